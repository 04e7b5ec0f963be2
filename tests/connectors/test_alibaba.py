"""Alibaba.com (ICBU) specifics: TOP signing, the mapping's rules on Vietnamese data, the
sandbox's TOP gateway (auth, envelopes, throttle), the photobank, the opt-in batch method."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from connectors.alibaba import CONNECTOR, top
from connectors.alibaba.client import AlibabaClient
from connectors.alibaba.photobank import _CACHES, image_file_name
from connectors.alibaba.rules import SUBJECT_MAX
from connectors.alibaba.sandbox import (
    create_app,
    error_response,
    sandbox_account,
    sandbox_credentials,
    throttle_response,
)
from connectors.alibaba.signing import sign, string_to_sign, timestamp
from connectors.base import Listing
from connectors.errors import AuthError, ItemRejected, NotFoundError, RetriableError, ThrottledError
from connectors.ratelimit import Unlimited
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.settings import Account, PriceRules, StockRules
from tests.connectors.conftest import sandbox_call
from tests.factories import make_product, product_data

TODAY = date(2026, 11, 29)
MAPPING = CONNECTOR.mapping

# -- signing ----------------------------------------------------------------------------------

OFFICIAL = {
    "method": "taobao.item.seller.get",
    "app_key": "12345678",
    "session": "test",
    "timestamp": "2016-01-01 12:00:00",
    "format": "json",
    "v": "2.0",
    "sign_method": "md5",
    "fields": "num_iid,title,nick,price,num",
    "num_iid": "11223344",
}


def test_md5_signature_matches_the_official_example() -> None:
    assert sign(OFFICIAL, "helloworld", "md5") == "66987CB115214E59E6EC978214934FB8"


def test_the_sign_parameter_itself_is_not_signed() -> None:
    with_sign = {**OFFICIAL, "sign": "ANYTHING"}
    assert sign(with_sign, "helloworld", "md5") == "66987CB115214E59E6EC978214934FB8"


@pytest.mark.parametrize(
    ("method", "digest"), [("hmac", hashlib.md5), ("hmac-sha256", hashlib.sha256)]
)
def test_hmac_signatures_match_an_independent_computation(method: str, digest: Any) -> None:
    params = {**OFFICIAL, "sign_method": method}
    text = "".join(k + params[k] for k in sorted(params))
    expected = hmac.new(b"helloworld", text.encode(), digest).hexdigest().upper()
    assert sign(params, "helloworld", method) == expected


def test_string_to_sign_sorts_by_name_and_skips_empty_values() -> None:
    assert string_to_sign({"b": "2", "a": "1", "c": "", "sign": "X"}) == "a1b2"


def test_timestamp_is_gmt_plus_8() -> None:
    assert timestamp(datetime(2016, 1, 1, 4, 0, tzinfo=UTC)) == "2016-01-01 12:00:00"


# -- mapping ----------------------------------------------------------------------------------


def account_for(**changes: Any) -> Account:
    return sandbox_account("mapping", "http://sandbox.invalid").model_copy(update=changes)


def test_subject_is_english_with_the_quantity_and_the_vietnamese_name_is_kept() -> None:
    listing = MAPPING.map_product(make_product("BK-ENG"), account_for(), TODAY)[0]
    assert listing.ok, listing.issues
    assert listing.content["subject"] == "Bac Kan red turmeric starch 100 g"
    assert "Tinh nghệ đỏ Bắc Kạn" in listing.content["description"]
    attributes = {a["attribute_name"]: a["attribute_value"] for a in listing.content["attributes"]}
    assert attributes["Vietnamese Name"] == "Tinh nghệ đỏ Bắc Kạn"
    assert attributes["Place of Origin"] == "Đồng Phúc, Thái Nguyên, Vietnam"
    assert attributes["OCOP Certificate"] == "1234/QĐ-UBND"


def test_without_english_name_the_subject_is_the_ascii_folded_vietnamese_name() -> None:
    product = make_product("BK-VI", name="Miến dong Đà Bắc", name_en=None)
    listing = MAPPING.map_product(product, account_for(), TODAY)[1]
    assert listing.content["subject"] == "Mien dong Da Bac 500 g"
    assert product.slug == "mien-dong-da-bac"  # đ -> d in slugs too
    assert any(i.field == "name_en" and i.severity == "warning" for i in listing.issues)
    assert listing.ok


def test_price_is_usd_with_two_decimals_after_the_vnd_rules() -> None:
    rules = PriceRules(markup_percent=Decimal(10), round_to=1000, usd_rate=Decimal(25400))
    listings = MAPPING.map_product(make_product("BK-USD"), account_for(price=rules), TODAY)
    # 85,000 × 1.10 = 93,500 -> rounded half-up to 94,000 ₫ -> 3.7008 USD
    assert listings[0].price == "3.70"
    # 390,000 × 1.10 = 429,000 ₫ -> 16.8898 USD
    assert listings[1].price == "16.89"


def test_stock_keeps_the_account_buffer_back() -> None:
    account = account_for(stock=StockRules(buffer=5, max_shown=30))
    listings = MAPPING.map_product(make_product("BK-STOCK"), account, TODAY)
    assert [listing.stock for listing in listings] == [30, 7]


def test_a_missing_usd_rate_is_an_error_issue() -> None:
    listing = MAPPING.map_product(
        make_product("BK-NORATE"), account_for(price=PriceRules()), TODAY
    )[0]
    assert not listing.ok
    assert any(i.field == "price" and "usd_rate" in i.message for i in listing.issues)


def test_a_price_below_one_cent_is_an_error_issue() -> None:
    data = product_data("BK-CHEAP")
    data["variants"][0]["price"] = 100
    account = account_for(price=PriceRules(round_to=1, usd_rate=Decimal(25400)))
    listing = MAPPING.map_product(make_product(**data), account, TODAY)[0]
    assert listing.price == "0.00"
    assert any(i.field == "price" and "0.01" in i.message for i in listing.issues)


def test_an_over_long_subject_is_an_error_issue() -> None:
    product = make_product("BK-LONG", name_en="Premium Bac Kan turmeric " * 6)
    listing = MAPPING.map_product(product, account_for(), TODAY)[0]
    assert len(listing.content["subject"]) > SUBJECT_MAX
    assert any(i.field == "subject" and "128" in i.message for i in listing.issues)
    assert not listing.ok


def test_missing_images_and_category_are_error_issues() -> None:
    product = make_product("BK-BARE", images=[])
    listing = MAPPING.map_product(product, account_for(default_category=None), TODAY)[0]
    fields = {issue.field for issue in listing.issues if issue.severity == "error"}
    assert {"images", "category_id"} <= fields
    assert listing.content["image_files"] == []


def test_at_most_three_keywords_folded_to_ascii() -> None:
    product = make_product("BK-TAGS", tags=["nghệ", "đặc sản Bắc Kạn", "tinh bột", "OCOP"])
    listing = MAPPING.map_product(product, account_for(), TODAY)[0]
    assert listing.content["keywords"] == ["nghe", "dac san Bac Kan", "tinh bot"]
    assert any(i.field == "keywords" and i.severity == "warning" for i in listing.issues)


def test_an_expired_certificate_blocks_the_listing() -> None:
    data = product_data("BK-OLD")
    data["certificate"] = {**data["certificate"], "decision_date": "2021-01-10"}
    listing = MAPPING.map_product(make_product(**data), account_for(), TODAY)[0]
    assert any(i.field == "ocop" and "expired" in i.message for i in listing.issues)


def test_images_are_primary_first_and_named_deterministically() -> None:
    images = [
        {"url": "https://cdn.example.vn/a.png"},
        {"url": "https://cdn.example.vn/b.JPEG", "primary": True},
    ]
    listing = MAPPING.map_product(make_product("BK-IMG", images=images), account_for(), TODAY)[0]
    assert listing.images == ["https://cdn.example.vn/b.JPEG", "https://cdn.example.vn/a.png"]
    names = listing.content["image_files"]
    assert names == [image_file_name(url) for url in listing.images]
    assert names[0].endswith(".jpg") and names[1].endswith(".png")
    again = MAPPING.map_product(make_product("BK-IMG", images=images), account_for(), TODAY)[0]
    assert again.content_hash == listing.content_hash


# -- the sandbox and the client ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(create_app(SandboxConfig(seed=3, slow_seconds=1.5))) as server:
        yield server


@pytest.fixture
def account(sandbox: SandboxServer, request: pytest.FixtureRequest) -> Account:
    name = f"a-{abs(hash(request.node.nodeid)) % 10**8}"
    return sandbox_account(name, sandbox.base_url).model_copy(
        update={"timeout": 2.0, "rate_limit": 500.0}
    )


@pytest.fixture
async def client(account: Account) -> AsyncIterator[AlibabaClient]:
    client = AlibabaClient(account)
    yield client
    await client.aclose()


@pytest.fixture
def listings(account: Account) -> list[Listing]:
    return MAPPING.map_product(make_product("BK-ALI"), account, TODAY)


def raw_call(
    sandbox: SandboxServer, params: dict[str, str], secret: str, forged: str | None = None
) -> dict[str, Any]:
    """A hand-made TOP call: `params` signed (or with a `forged` sign) in the query string."""
    params = {"format": "json", "v": "2.0", "sign_method": "md5", **params}
    params.setdefault("timestamp", timestamp())
    params["sign"] = forged or sign(params, secret, params["sign_method"])
    response = httpx.post(sandbox.base_url + top.GATEWAY_PATH, params=params)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def seller_params(seller: str) -> dict[str, str]:
    creds = sandbox_credentials(seller)
    return {"method": top.PRODUCT_GET, "app_key": creds["app_key"], "session": creds["session"]}


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
async def test_every_sign_method_is_accepted(account: Account, method: str) -> None:
    options = {**account.options, "sign_method": method}
    client = AlibabaClient(account.model_copy(update={"options": options}))
    try:
        assert await client.find_by_sku("NONE") is None
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sign": "0" * 32}, top.CODE_INVALID_SIGNATURE),
        ({"session": "session-someone-else"}, top.CODE_INVALID_SESSION),
        ({"app_key": "12345678"}, top.CODE_INVALID_APP_KEY),
        (
            {"timestamp": timestamp(datetime.now(UTC) - timedelta(minutes=11))},
            top.CODE_INVALID_TIMESTAMP,
        ),
        ({"method": "alibaba.icbu.no.such"}, top.CODE_INVALID_METHOD),
    ],
)
def test_the_gateway_refuses_bad_calls_with_top_codes_in_an_http_200_body(
    sandbox: SandboxServer, change: dict[str, str], code: int
) -> None:
    params = {**seller_params("gw"), "sku_code": "X"}
    params.update({k: v for k, v in change.items() if k != "sign"})
    answer = raw_call(sandbox, params, sandbox_credentials("gw")["app_secret"], change.get("sign"))
    error = answer["error_response"]
    assert error["code"] == code and error["msg"] and error["request_id"]
    assert "ak-gw" not in json.dumps(answer) and "session-gw" not in json.dumps(answer)


def test_success_answers_use_the_method_envelope(sandbox: SandboxServer) -> None:
    params = {**seller_params("env"), "method": top.PRODUCT_LIST}
    answer = raw_call(sandbox, params, sandbox_credentials("env")["app_secret"])
    assert answer["alibaba_icbu_product_list_response"]["total_item"] == 0


def response(body: dict[str, Any], status: int = 200) -> httpx.Response:
    request = httpx.Request("POST", "http://x/router/rest?method=alibaba.icbu.product.get")
    return httpx.Response(status, json=body, request=request)


@pytest.mark.parametrize(
    ("code", "sub_code", "kind"),
    [
        (25, None, AuthError),
        (27, None, AuthError),
        (29, None, AuthError),
        (22, None, ItemRejected),
        (15, "isv.invalid-parameter", ItemRejected),
        (15, "isv.product-not-exist", NotFoundError),
        (15, "isp.remote-service-error", RetriableError),
        (10, "isp.service-unavailable", RetriableError),
    ],
)
async def test_top_errors_are_classified_from_the_body(
    client: AlibabaClient, code: int, sub_code: str | None, kind: type
) -> None:
    body = top.error_body(code, "msg", sub_code, "the marketplace's words", request_id="r1")
    error = client.classify(response(body))
    assert type(error) is kind
    assert error is not None and "the marketplace's words" in error.message
    assert client.account.name in str(error) and "HTTP 200" not in str(error)


async def test_the_throttle_answer_is_http_200_with_the_ban_seconds(client: AlibabaClient) -> None:
    answer = throttle_response(0.3)
    assert answer.status_code == 200
    body = json.loads(bytes(answer.body))["error_response"]
    assert (body["code"], body["msg"], body["sub_code"]) == (
        7,
        "App Call Limited",
        "accesscontrol.limited-by-app-access-count",
    )
    assert body["sub_msg"] == "This ban will last 1 more seconds"
    five = top.error_body(7, "App Call Limited", top.THROTTLE_SUB_CODE,
                          "This ban will last 5 more seconds", request_id="r")  # fmt: skip
    error = client.classify(response(five))
    assert isinstance(error, ThrottledError) and error.retry_after == 5


async def test_server_errors_are_retriable_in_both_shapes(client: AlibabaClient) -> None:
    for status in (500, 503):
        answer = error_response(status)
        body = json.loads(bytes(answer.body))
        error = client.classify(response(body, answer.status_code))
        assert isinstance(error, RetriableError) and not isinstance(error, ThrottledError)


async def test_the_sandbox_throttles_per_seller_from_the_query_string(
    sandbox: SandboxServer, account: Account
) -> None:
    before = sandbox_call(sandbox, "/_sandbox/stats")["throttled"]
    sandbox_call(sandbox, "/_sandbox/config", {"rate_limit": 2})
    client = AlibabaClient(account, limiter=Unlimited())
    try:
        for i in range(5):
            assert await client.find_by_sku(f"T-{i}") is None
    finally:
        sandbox_call(sandbox, "/_sandbox/config", {"rate_limit": None})
        await client.aclose()
    assert sandbox_call(sandbox, "/_sandbox/stats")["throttled"] > before


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"keywords": ["a", "b", "c", "d"]}, "at most 3 keywords"),
        ({"min_order_quantity": 100_000}, "min_order_quantity"),
        ({"category_id": ""}, "category_id is required"),
        ({"subject": "x" * 129}, "at most 128 characters"),
    ],
)
async def test_the_sandbox_rejects_what_the_mapping_flags(
    client: AlibabaClient, listings: list[Listing], change: dict[str, Any], words: str
) -> None:
    bad = dataclasses.replace(listings[0], content={**listings[0].content, **change})
    with pytest.raises(ItemRejected) as info:
        await client.create(bad)
    assert words in info.value.message and info.value.code == "isv.invalid-parameter"
    assert await client.find_by_sku(bad.sku) is None


@pytest.mark.parametrize("price", ["10000000.00", "0.00", "1.5", "abc"])
async def test_the_sandbox_rejects_prices_outside_the_usd_rules(
    client: AlibabaClient, listings: list[Listing], price: str
) -> None:
    remote_id = await client.create(listings[0])
    with pytest.raises(ItemRejected, match="price"):
        await client.update_price(remote_id, dataclasses.replace(listings[0], price=price))


async def test_a_product_must_reference_photobank_images(
    client: AlibabaClient, listings: list[Listing]
) -> None:
    wire = {**listings[0].content, "sku_code": "FOREIGN", "price": "1.00", "stock": 1}
    del wire["image_files"]
    wire["main_image"] = {"images": ["https://cdn.ocop-sample.example/x.jpg"]}
    with pytest.raises(ItemRejected, match="not in your photobank"):
        await client.call(top.PRODUCT_ADD, {"product": json.dumps(wire)}, retry=False)


async def photobank_size(client: AlibabaClient) -> int:
    data = await client.call(top.PHOTOBANK_LIST, {"current_page": "1", "page_size": "50"})
    return int(data["total_item"])


async def test_an_image_is_uploaded_once_per_account(
    account: Account, client: AlibabaClient, listings: list[Listing]
) -> None:
    for listing in listings:  # two variants, one product image
        await client.create(listing)
    other = AlibabaClient(account)  # a second client of the same account shares the cache
    try:
        await other.create(dataclasses.replace(listings[0], sku="BK-ALI-OTHER"))
    finally:
        await other.aclose()
    assert await photobank_size(client) == 1


async def test_a_cold_cache_reads_the_photobank_instead_of_uploading_again(
    account: Account, client: AlibabaClient, listings: list[Listing]
) -> None:
    await client.create(listings[0])
    _CACHES.clear()  # a new process
    fresh = AlibabaClient(account)
    try:
        found = await fresh.find_by_sku(listings[0].sku)
        assert found is not None and found.content == listings[0].content
        await fresh.create(listings[1])
    finally:
        await fresh.aclose()
    assert await photobank_size(client) == 1


async def test_image_bytes_are_uploaded_as_an_unsigned_multipart_file(
    account: Account, listings: list[Listing]
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

    async def image(_: Any) -> Response:
        return Response(png, media_type="image/png")

    with SandboxServer(Starlette(routes=[Route("/kf/1.png", image)])) as host:
        url = f"{host.base_url}/kf/1.png"
        listing = MAPPING.map_product(
            make_product("BK-BYTES", images=[{"url": url}]), account, TODAY
        )[0]
        options = {**account.options, "photobank_fetch": True}
        client = AlibabaClient(account.model_copy(update={"options": options}))
        try:
            remote_id = await client.create(listing)
            data = await client.call(top.PHOTOBANK_LIST, {"current_page": "1", "page_size": "5"})
        finally:
            await client.aclose()
    assert remote_id
    assert [(p["file_name"], p["size"]) for p in data["photos"]] == [
        (listing.content["image_files"][0], len(png))
    ]


async def test_without_the_batch_option_each_item_is_one_update_field_call(
    client: AlibabaClient, listings: list[Listing]
) -> None:
    items = [(await client.create(listing), listing) for listing in listings]
    before = client.requests_sent
    results = await client.update_prices_stocks(items)
    assert [r.ok for r in results] == [True, True]
    assert client.requests_sent - before == len(items)
    assert CONNECTOR.batch_size == 1


async def test_the_opt_in_batch_method_reports_each_item_in_one_call(
    account: Account, listings: list[Listing]
) -> None:
    options = {**account.options, "batch_update_field": True}
    client = AlibabaClient(account.model_copy(update={"options": options}))
    try:
        items = [(await client.create(listing), listing) for listing in listings]
        changed = [(rid, dataclasses.replace(item, stock=9)) for rid, item in items]
        changed.append(("424242", dataclasses.replace(listings[0], sku="GHOST")))
        before = client.requests_sent
        results = await client.update_prices_stocks(changed)
        assert client.requests_sent - before == 1
        assert [r.ok for r in results] == [True, True, False]
        assert isinstance(results[2].error, NotFoundError)
        found = await client.find_by_sku(listings[1].sku)
        assert found is not None and found.stock == 9
    finally:
        await client.aclose()


async def test_delisting_an_unknown_product_is_not_found(client: AlibabaClient) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        await client.delist("424242", "GHOST")


async def test_list_remote_asks_at_most_fifty_per_page(
    client: AlibabaClient, listings: list[Listing]
) -> None:
    await client.create(listings[0])
    remote = [item async for item in client.list_remote(page_size=500)]
    assert [item.sku for item in remote] == [listings[0].sku]
    assert remote[0].price == listings[0].price and remote[0].active
