"""Lazada: the documented signature, mapping, batching, throttle, consent code and paging,
against the Lazada sandbox over real loopback HTTP. The token lifecycle (refresh once,
refused and lost refreshes, tokens never in clear) is tests/auth's, for every OAuth
marketplace."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from connectors.base import Listing
from connectors.errors import AuthError, ItemRejected, NotFoundError, ThrottledError
from connectors.http import make_http_client
from connectors.lazada import CONNECTOR, api
from connectors.lazada.client import LazadaClient, make_client
from connectors.lazada.envelope import classify_body
from connectors.lazada.oauth import OAUTH
from connectors.lazada.rules import DESCRIPTION_MAX, IMAGES_MAX
from connectors.lazada.sandbox import create_app
from connectors.lazada.signing import sign, string_to_sign, timestamp_ms
from connectors.ratelimit import Unlimited
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.sandbox.tokens import MemoryTokenProvider
from sync.settings import Account, PriceRules
from tests.connectors.conftest import sandbox_call
from tests.connectors.oauth_seller import (
    TODAY,
    authorised,
    fresh_seller,
    stats,
    valid_listings,
)
from tests.factories import make_product


# -- signature: Lazada's own examples ("Signature algorithm", "HTTP request sample") ---------
def test_signature_reproduces_the_documented_get_order_example() -> None:
    params = {
        "app_key": "123456",
        "access_token": "test",
        "timestamp": "1517820392000",
        "sign_method": "sha256",
        "order_id": "1234",
    }
    assert string_to_sign("/order/get", params) == (
        "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000"
    )
    assert sign("/order/get", params, "helloworld") == (
        "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
    )
    # `sign` itself is never signed.
    assert sign("/order/get", {**params, "sign": "X"}, "helloworld") == sign(
        "/order/get", params, "helloworld"
    )


def test_parameters_are_sorted_in_ascii_order_after_the_api_path() -> None:
    params = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}
    assert string_to_sign("/test/api", params) == "/test/apibar2foo1foo_bar3foobar4"


# -- a seller authorised on the sandbox's consent page, its tokens in memory ------------------
@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(create_app(SandboxConfig(seed=11, slow_seconds=1.5))) as running:
        yield running


@pytest.fixture
def account(server: SandboxServer, request: pytest.FixtureRequest) -> Account:
    return fresh_seller(CONNECTOR, server, request, "lz")


@pytest.fixture
async def tokens(account: Account) -> MemoryTokenProvider:
    return await authorised(CONNECTOR, account)


@pytest.fixture
async def client(account: Account, tokens: MemoryTokenProvider) -> AsyncIterator[LazadaClient]:
    made = make_client(account, tokens=tokens)
    yield made
    await made.aclose()


@pytest.fixture
def listings(account: Account) -> list[Listing]:
    return valid_listings(CONNECTOR, account, "BK-LZ")


def copies(listing: Listing, n: int, tag: str) -> list[Listing]:
    return [dataclasses.replace(listing, sku=f"{listing.sku}-{tag}{i}") for i in range(n)]


# -- mapping ---------------------------------------------------------------------------------
def test_mapping_builds_one_product_per_variant_through_the_category_map(account: Account) -> None:
    priced = account.model_copy(
        update={
            "price": PriceRules(markup_percent=10, round_to=1000),
            "options": {
                **account.options,
                "brand": "Tài Hoan",
                "package_cm": {"length": 20, "width": 15, "height": 8},
            },
        }
    )
    first, second = CONNECTOR.mapping.map_product(make_product("BK-MAP"), priced, TODAY)
    assert (first.sku, second.sku) == ("BK-MAP-100G", "BK-MAP-500G")
    content = first.content
    assert content["PrimaryCategory"] == "10002"  # the product set wins over the group
    assert content["category_attributes"] == {"warranty_type": "No Warranty"}
    assert content["brand"] == "Tài Hoan"
    assert content["name"] == "Tinh nghệ đỏ Bắc Kạn 100 g - OCOP 4 sao"
    assert "1234/QĐ-UBND" in content["description"] and content["description"].startswith("<p>")
    assert content["short_description"].startswith("<ul><li>OCOP 4 sao</li>")
    assert (content["package_weight"], content["package_length"]) == ("0.18", "20")
    assert first.price == 94000 and isinstance(first.price, int)  # 85 000 + 10 %, to 1 000
    assert content["Images"] == ["https://cdn.ocop-sample.example/bk-map/1.jpg"]


def test_mapping_reports_what_lazada_would_refuse(account: Account) -> None:
    images = [{"url": f"https://cdn.example/{i}.jpg"} for i in range(IMAGES_MAX + 2)]
    product = make_product("BK-BAD", description="x" * (DESCRIPTION_MAX + 1), images=images)
    no_category = account.model_copy(update={"categories": {}, "default_category": None})
    listing = CONNECTOR.mapping.map_product(product, no_category, TODAY)[0]
    fields = {(issue.field, issue.severity) for issue in listing.issues}
    assert ("PrimaryCategory", "error") in fields
    assert ("description", "error") in fields
    assert ("images", "warning") in fields and len(listing.content["Images"]) == IMAGES_MAX
    assert not listing.ok


def test_mapping_escapes_catalog_text_in_the_html_description(account: Account) -> None:
    product = make_product("BK-HTML", description="Ngon <b>lắm</b> & rẻ")
    listing = CONNECTOR.mapping.map_product(product, account, TODAY)[0]
    assert "Ngon &lt;b&gt;lắm&lt;/b&gt; &amp; rẻ" in listing.content["description"]


# -- client against the sandbox ----------------------------------------------------------------
async def test_images_are_migrated_once_per_account_and_read_back_as_their_sources(
    client: LazadaClient, server: SandboxServer, listings: list[Listing]
) -> None:
    before = stats(server)["images_migrated"]
    for listing in copies(listings[0], 3, "IMG"):
        await client.create(listing)
    assert stats(server)["images_migrated"] - before == 1
    found = await client.find_by_sku(f"{listings[0].sku}-IMG0")
    assert found is not None and found.content["Images"] == listings[0].content["Images"]
    assert found.content_hash == listings[0].content_hash


async def test_sandbox_refuses_external_image_urls(
    client: LazadaClient, listings: list[Listing]
) -> None:
    product = {"PrimaryCategory": "10001", "Images": {"Image": ["https://elsewhere.example/a.jpg"]}}
    with pytest.raises(ItemRejected) as info:
        await client.call("POST", api.PRODUCT_CREATE, {"payload": _product(product, listings[0])})
    assert "Lazada image URLs" in str(info.value)


def _product(fields: dict[str, Any], listing: Listing) -> str:
    import json

    content = listing.content
    product = {
        **fields,
        "Attributes": {
            **{k: content[k] for k in ("name", "description", "brand")},
            "warranty_type": "No Warranty",
        },
        "Skus": {
            "Sku": [
                {
                    "SellerSku": "EXT-1",
                    "price": "90000",
                    "quantity": "1",
                    "package_weight": "0.2",
                    "package_length": "10",
                    "package_width": "10",
                    "package_height": "10",
                }
            ]
        },
    }
    return json.dumps({"Request": {"Product": product}})


async def test_price_quantity_updates_go_in_batches_of_50_with_a_result_per_sku(
    client: LazadaClient, server: SandboxServer, listings: list[Listing]
) -> None:
    created = [(await client.create(item), item) for item in copies(listings[0], 120, "P")]
    ghost = ("999999999", dataclasses.replace(listings[0], sku="GHOST-SKU"))
    changed = [(rid, dataclasses.replace(item, price=120000, stock=5)) for rid, item in created]
    changed.insert(60, ghost)
    sent = client.requests_sent
    results = await client.update_prices_stocks(changed)
    assert client.requests_sent - sent == 3  # 121 SKUs -> 50 + 50 + 21
    assert [r.sku for r in results] == [item.sku for _, item in changed]
    assert [r.ok for r in results] == [item.sku != "GHOST-SKU" for _, item in changed]
    assert isinstance(results[60].error, NotFoundError) and "999999999" in str(results[60].error)
    found = await client.find_by_sku(created[-1][1].sku)
    assert found is not None and (found.price, found.stock) == (120000, 5)


async def test_sandbox_refuses_more_than_50_skus_in_one_price_quantity_call(
    client: LazadaClient,
) -> None:
    skus = [{"ItemId": "1", "SellerSku": f"S{i}", "Quantity": "1"} for i in range(51)]
    payload = '{"Request":{"Product":{"Skus":{"Sku":' + str(skus).replace("'", '"') + "}}}}"
    with pytest.raises(ItemRejected) as info:
        await client.call("POST", api.PRICE_QUANTITY_UPDATE, {"payload": payload})
    assert "1 to 50" in info.value.message


async def test_list_remote_pages_with_offset_and_limit(
    client: LazadaClient, listings: list[Listing]
) -> None:
    created = {item.sku: await client.create(item) for item in copies(listings[0], 7, "L")}
    sent = client.requests_sent
    remote = [item async for item in client.list_remote(page_size=3)]
    assert {item.sku: item.remote_id for item in remote} == created
    assert client.requests_sent - sent == 3  # 3 + 3 + 1
    with pytest.raises(ItemRejected):  # the documented page maximum is enforced
        await client.call("GET", api.PRODUCTS_GET, {"filter": "all", "limit": "51"})


def test_throttle_envelope_gives_the_ban_as_retry_after() -> None:
    body = {
        "type": "ISP",
        "code": "ApiCallLimit",
        "request_id": "x",
        "message": "Api access frequency exceeds the limit. this ban will last 3 seconds",
    }
    error = classify_body(body, account="a")
    assert isinstance(error, ThrottledError) and error.retry_after == 3.0


async def test_sandbox_throttle_answer_is_honoured_as_retry_after(
    account: Account, tokens: MemoryTokenProvider, server: SandboxServer
) -> None:
    sandbox_call(
        server,
        "/_sandbox/config",
        {"fault_rate": 1.0, "faults": ["throttle"], "throttle_seconds": 2},
    )
    client = make_client(account, tokens=tokens, limiter=Unlimited())
    try:
        with pytest.raises(ThrottledError) as info:
            await client.request("GET", api.PRODUCTS_GET, retry=False, params={"filter": "all"})
    finally:
        sandbox_call(server, "/_sandbox/config", {"fault_rate": 0.0, "throttle_seconds": 1.0})
        await client.aclose()
    assert info.value.retry_after == 2.0 and info.value.code == "ApiCallLimit"


# -- tokens ------------------------------------------------------------------------------------


async def test_the_gateway_refuses_a_timestamp_more_than_7200_seconds_off(
    account: Account, server: SandboxServer
) -> None:
    params = {
        "app_key": account.secret("app_key"),
        "sign_method": "sha256",
        "timestamp": timestamp_ms(now=1_000_000_000.0),
        "code": "x",
    }
    params["sign"] = sign(api.TOKEN_CREATE, params, account.secret("app_secret"))
    body = httpx.post(account.base_url + api.TOKEN_CREATE, data=params).json()
    assert body["code"] == api.INVALID_TIMESTAMP


async def test_a_consent_code_works_once(account: Account) -> None:
    link = OAUTH.authorize_url(account, "http://127.0.0.1/cb", state="s1")
    assert link.startswith(account.base_url.removesuffix("/rest") + "/oauth/authorize?")
    async with make_http_client(account) as http:
        answer = await http.get(link, follow_redirects=False)
        code = httpx.URL(answer.headers["location"]).params["code"]
        assert httpx.URL(answer.headers["location"]).params["state"] == "s1"
        grant = await OAUTH.exchange_code(account, code, None, http)
        assert grant.seller_id and "hidden" in repr(grant) and grant.access_token not in repr(grant)
        with pytest.raises(AuthError):
            await OAUTH.exchange_code(account, code, None, http)


def test_the_client_factory_needs_a_token_provider(account: Account) -> None:
    from sync.settings import ConfigError

    with pytest.raises(ConfigError, match="ocop-sync auth"):
        make_client(account)
