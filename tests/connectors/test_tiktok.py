"""TikTok Shop specifics: the documented signature, the mapping's rules on Vietnamese data,
the sandbox's gateway (credential refusals, throttle), the audit, page tokens, partial
errors and images reused by content hash. The token lifecycle (refresh once, refused and
lost refreshes, tokens never in clear) is tests/auth's, for every OAuth marketplace."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from connectors.base import Listing
from connectors.errors import AuthError, ItemRejected, NotFoundError, ThrottledError
from connectors.image_upload import Remembered
from connectors.ratelimit import Unlimited
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.sandbox.tokens import MemoryTokenProvider
from connectors.tiktok import CONNECTOR, api, envelope
from connectors.tiktok import client as tiktok_client
from connectors.tiktok.audit import AuditState
from connectors.tiktok.client import TikTokClient
from connectors.tiktok.images import _SHOPS, image_key
from connectors.tiktok.mapping import title
from connectors.tiktok.oauth import TikTokOAuth
from connectors.tiktok.rules import DESCRIPTION_TAGS, TITLE_MAX, TITLE_MIN
from connectors.tiktok.sandbox import authorize, sandbox_account
from connectors.tiktok.signing import sign, signed_body, string_to_sign, timestamp_problem
from sync.settings import Account, PriceRules
from sync.state.media import MediaStore, StoredMediaMemory
from sync.state.store import StateStore
from tests.connectors.conftest import sandbox_call
from tests.factories import make_product, product_data

TODAY = date(2026, 11, 29)
MAPPING = CONNECTOR.mapping
DAY = 86400

# -- signing ----------------------------------------------------------------------------------


def test_signature_matches_the_worked_example_of_tiktoks_signing_guide() -> None:
    """partner.tiktokshop.com/docv2/page/sign-your-api-request, "Step-by-step breakdown":
    Get Authorized Shops with app_key 29a39d, timestamp 1623812664, app secret e59af819cc.
    The guide shows each intermediate string and the resulting sign. (Its curl line shows
    another sign, bc721f0e…, which its own steps do not produce; we follow the steps.)"""
    query = {"app_key": "29a39d", "timestamp": "1623812664"}
    path = "/authorization/202309/shops"
    assert (
        string_to_sign(path, query) == "/authorization/202309/shopsapp_key29a39dtimestamp1623812664"
    )
    assert sign(path, query, "", "e59af819cc") == (
        "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_sign_and_access_token_are_left_out_and_keys_sorted() -> None:
    query = {"timestamp": "1623812664", "sign": "x", "access_token": "TTP_y", "app_key": "29a39d"}
    assert sign("/authorization/202309/shops", query, "", "e59af819cc") == (
        "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_body_is_appended_after_the_query_as_the_guide_shows() -> None:
    """The guide's Update Shop Webhook string (no digest given for it): shop_cipher sorts in
    among the query keys and the JSON body follows, byte for byte."""
    body = '{    "address":"https://partner.tiktokshop.com",    "event_type": "PACKAGE_UPDATE"}'
    query = {
        "app_key": "68xu9ks5p4i8",
        "timestamp": "1696909648",
        "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
    }
    assert string_to_sign("/event/202309/webhooks", query, body) == (
        "/event/202309/webhooksapp_key68xu9ks5p4i8shop_cipherROW_xkMbgAAAeVAQra0eZWebFQq5aIK"
        "timestamp1696909648" + body
    )


def test_multipart_bodies_are_not_signed() -> None:
    assert signed_body("multipart/form-data; boundary=abc", b"--abc\r\n...") == ""
    assert signed_body("application/json", b'{"a":1}') == '{"a":1}'


@pytest.mark.parametrize(("offset", "ok"), [(-299, True), (-301, False), (29, True), (31, False)])
def test_timestamp_window_is_five_minutes_back_and_thirty_seconds_ahead(
    offset: int, ok: bool
) -> None:
    now = 1_800_000_000.0
    assert (timestamp_problem(str(int(now) + offset), now) is None) is ok


# -- mapping ----------------------------------------------------------------------------------


def _account(**options: object) -> Account:
    base = sandbox_account("map", "http://127.0.0.1:9")
    return base.model_copy(update={"options": {**base.options, **options}})


def test_mapping_builds_one_product_per_variant_with_vietnamese_title_and_package() -> None:
    listings = MAPPING.map_product(make_product("BK-T1"), _account(), TODAY)
    assert [listing.sku for listing in listings] == ["BK-T1-100G", "BK-T1-500G"]
    first = listings[0]
    assert first.ok, first.issues
    assert (
        first.content["title"] == "Tinh nghệ đỏ Bắc Kạn hũ 100 g - Đặc sản OCOP 4 sao Thái Nguyên"
    )
    assert first.content["package_weight"] == {"value": "0.18", "unit": "KILOGRAM"}
    assert first.content["package_dimensions"] == {
        "length": "20", "width": "15", "height": "10", "unit": "CENTIMETER"
    }  # fmt: skip
    assert first.price == 85000 and isinstance(first.price, int)
    assert first.content["main_images"] == [image_key(first.images[0])]


def test_category_and_attributes_come_from_the_accounts_maps() -> None:
    account = _account(attribute_ids={"origin": "555", "shelf_life": "777"})
    account = account.model_copy(
        update={"categories": {"Rau, củ, quả tươi và sơ chế": "700438", "Thực phẩm": "700437"}}
    )
    content = MAPPING.map_product(make_product("BK-T2"), account, TODAY)[0].content
    assert content["category_id"] == "700438"  # the product set wins over the group
    assert content["product_attributes"] == [
        {"id": "555", "values": [{"name": "Thái Nguyên"}]},
        {"id": "777", "values": [{"name": "365 ngày"}]},
    ]


def test_a_product_without_a_category_is_not_sent() -> None:
    account = _account().model_copy(update={"categories": {}, "default_category": None})
    listing = MAPPING.map_product(make_product("BK-T3"), account, TODAY)[0]
    assert not listing.ok
    assert [issue.field for issue in listing.issues] == ["category_id"]


def test_short_names_are_padded_past_25_characters_and_long_ones_cut_at_a_word() -> None:
    short = make_product("BK-T4", name="Mật ong")
    assert len(title(short, short.variants[0])) >= TITLE_MIN
    long = make_product("BK-T5", name=("Miến dong Na Rì " * 15).strip())
    cut = title(long, long.variants[0])
    assert len(cut) <= TITLE_MAX and not cut.endswith(" ") and "Miến dong Na Rì" in cut


def test_description_is_html_in_tiktoks_subset_without_escapes() -> None:
    product = make_product("BK-T6", description="Nghệ & mật ong <ngon> &nbsp;thơm")
    html_text = MAPPING.map_product(product, _account(), TODAY)[0].content["description"]
    assert html_text.startswith("<p>") and "&" not in html_text
    assert "Nghệ và mật ong ngon thơm" in html_text
    assert {"p"} <= DESCRIPTION_TAGS


def test_prices_are_whole_dong_after_the_accounts_markup() -> None:
    account = _account().model_copy(update={"price": PriceRules(markup_percent=10, round_to=1000)})
    assert MAPPING.map_product(make_product("BK-T7"), account, TODAY)[0].price == 94000


def test_a_seller_sku_over_50_characters_is_an_error() -> None:
    data = product_data("BK-T8")
    data["variants"][0]["sku"] = "BK-" + "X" * 60
    listing = MAPPING.map_product(make_product(**data), _account(), TODAY)[0]
    assert any(issue.field == "seller_sku" for issue in listing.issues) and not listing.ok


# -- the sandbox, over loopback HTTP ----------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(CONNECTOR.sandbox_factory(SandboxConfig(seed=3))) as running:
        yield running


@pytest.fixture
def shop(server: SandboxServer, request: pytest.FixtureRequest) -> Account:
    sandbox_call(server, "/_sandbox/config", {"fault_rate": 0.0, "rate_limit": None})
    sandbox_call(server, "/_sandbox/audit", {"seconds": 0})
    name = f"tt-{abs(hash(request.node.nodeid)) % 10**8}"
    return sandbox_account(name, server.base_url).model_copy(
        update={"timeout": 2.0, "max_attempts": 6, "rate_limit": 500.0}
    )


@pytest.fixture
async def tokens(shop: Account) -> MemoryTokenProvider:
    return MemoryTokenProvider(shop, TikTokOAuth(), await authorize(shop))


@pytest.fixture
async def client(shop: Account, tokens: MemoryTokenProvider) -> AsyncIterator[TikTokClient]:
    client = TikTokClient(shop, tokens=tokens)
    yield client
    await client.aclose()


def _listing(shop: Account, sku: str, **overrides: object) -> Listing:
    listing = MAPPING.map_product(make_product("BK-S", **overrides), shop, TODAY)[0]
    return dataclasses.replace(listing, sku=sku)


def _stats(server: SandboxServer) -> dict:
    return sandbox_call(server, "/_sandbox/stats")


async def test_a_new_product_is_reported_in_audit_until_tiktok_approves_it(
    client: TikTokClient, shop: Account, server: SandboxServer
) -> None:
    sandbox_call(server, "/_sandbox/audit", {"seconds": 3600})
    listing = _listing(shop, "AUD-1")
    remote_id = await client.create(listing)
    found = await client.find_by_sku("AUD-1")
    assert found is not None and found.remote_id == remote_id
    assert (found.status, found.audit, found.in_audit) == ("PENDING", AuditState.IN_AUDIT, True)
    assert found.active  # in audit is not off sale: nothing to relist
    sandbox_call(server, "/_sandbox/clock", {"advance": 3601})
    found = await client.find_by_sku("AUD-1")
    assert found is not None and (found.status, found.audit) == ("ACTIVATE", AuditState.APPROVED)


async def test_a_rejected_product_carries_tiktoks_reasons(
    client: TikTokClient, shop: Account
) -> None:
    listing = _listing(shop, "AUD-2", description="Nghệ đỏ chữa bệnh dạ dày.")
    await client.create(listing)
    found = await client.find_by_sku("AUD-2")
    assert found is not None and found.audit is AuditState.REJECTED and found.status == "FAILED"
    assert any("medical claim" in reason for reason in found.audit_reasons)


async def test_a_wrong_app_secret_is_an_auth_error_not_a_refresh(
    shop: Account, tokens: MemoryTokenProvider, server: SandboxServer
) -> None:
    wrong = dict(shop.credentials) | {"app_secret": SecretStr("WrOnG")}
    client = TikTokClient(shop.model_copy(update={"credentials": wrong}), tokens=tokens)
    try:
        with pytest.raises(AuthError) as info:
            await client.find_by_sku("ANY")
    finally:
        await client.aclose()
    assert info.value.code == str(api.INVALID_SIGN) and tokens.refreshes == 0
    assert tokens.tokens.access_token not in str(info.value)


async def test_throttle_answers_pause_and_every_call_succeeds(
    shop: Account, tokens: MemoryTokenProvider, server: SandboxServer
) -> None:
    sandbox_call(server, "/_sandbox/config", {"rate_limit": 3})
    before = _stats(server)["throttled"]
    client = TikTokClient(shop, tokens=tokens, limiter=Unlimited())
    try:
        results = await asyncio.gather(*(client.find_by_sku(f"Q-{i}") for i in range(9)))
    finally:
        await client.aclose()
        sandbox_call(server, "/_sandbox/config", {"rate_limit": None})
    assert results == [None] * 9
    assert _stats(server)["throttled"] > before  # answered 429/36009002, waited, retried


def test_code_36009002_is_a_throttle_even_without_http_429_or_retry_after() -> None:
    answer = httpx.Response(200, json={"code": 36009002, "message": "Too many requests."})
    error = envelope.classify(answer, "acc")
    assert isinstance(error, ThrottledError) and error.retry_after == envelope.THROTTLE_FIRST_WAIT


async def test_list_remote_follows_page_tokens(client: TikTokClient, shop: Account) -> None:
    skus = [f"PG-{i}" for i in range(7)]
    for sku in skus:
        await client.create(_listing(shop, sku))
    first = await client.call("POST", api.SEARCH_PRODUCTS, params={"page_size": "3"}, body={})
    assert len(first["products"]) == 3 and first["next_page_token"]
    assert sorted([item.sku async for item in client.list_remote(page_size=3)]) == skus
    with pytest.raises(ItemRejected):
        await client.call(
            "POST", api.SEARCH_PRODUCTS, params={"page_size": "3", "page_token": "nope"}, body={}
        )


async def test_partial_errors_name_the_item(client: TikTokClient, shop: Account) -> None:
    remote_id = await client.create(_listing(shop, "PE-1"))
    with pytest.raises(NotFoundError):
        await client.delist("999999999", "GHOST")
    other = TikTokClient(
        shop.model_copy(update={"options": {**shop.options, "warehouse_id": "42"}}),
        tokens=client.tokens,
    )
    try:
        with pytest.raises(ItemRejected) as info:
            await other.update_stock(remote_id, _listing(shop, "PE-1"))
    finally:
        await other.aclose()
    assert info.value.code == "12052530"


async def test_bare_product_ids_of_older_bindings_still_work(
    client: TikTokClient,
    shop: Account,
    tokens: MemoryTokenProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """State written before remote ids carried the SKU id holds the bare product id: every
    call still addresses the product (reading its SKU id once), and a remote id naming a
    SKU of another product is refused by TikTok, not silently applied."""
    product_id, _, sku_id = (await client.create(_listing(shop, "OLD-1"))).partition(":")
    other = await client.create(_listing(shop, "OLD-2"))
    monkeypatch.setattr(tiktok_client, "_SKU_IDS", {})  # as in a new process
    cold = TikTokClient(shop, tokens=tokens)
    try:
        await cold.update(product_id, dataclasses.replace(_listing(shop, "OLD-1"), stock=7))
        await cold.update_price(
            product_id, dataclasses.replace(_listing(shop, "OLD-1"), price=88000)
        )
        await cold.delist(product_id, "OLD-1")
        assert not (await cold.remote(product_id)).active
        await cold.relist(product_id, "OLD-1")
        found = await cold.find_by_sku("OLD-1")
        assert found is not None and found.remote_id == f"{product_id}:{sku_id}"
        assert (found.active, found.price, found.stock) == (True, 88000, 7)
        with pytest.raises(ItemRejected) as info:
            await cold.update_price(
                f"{product_id}:{other.partition(':')[2]}", _listing(shop, "OLD-1")
            )
        assert info.value.code == "12052910"
        for malformed in ("", ":1", "1:", "1:2:3"):
            with pytest.raises(NotFoundError):
                await cold.update_stock(malformed, _listing(shop, "OLD-1"))
    finally:
        await cold.aclose()


async def test_images_are_uploaded_once_per_content_hash(
    shop: Account, tokens: MemoryTokenProvider, server: SandboxServer
) -> None:
    async def photo(_: object) -> Response:
        return Response(b"\xff\xd8 the same turmeric photo", media_type="image/jpeg")

    images = Starlette(routes=[Route("/a.jpg", photo), Route("/b.jpg", photo)])
    with SandboxServer(images) as host:
        fetching = shop.model_copy(update={"options": {**shop.options, "image_fetch": True}})
        client = TikTokClient(fetching, tokens=tokens)
        before = _stats(server)["image_uploads"]
        try:
            for sku, path in (("IMG-1", "/a.jpg"), ("IMG-2", "/b.jpg"), ("IMG-3", "/a.jpg")):
                product = make_product("BK-I", images=[{"url": host.base_url + path}])
                listing = MAPPING.map_product(product, fetching, TODAY)[0]
                await client.create(dataclasses.replace(listing, sku=sku))
            found = await client.find_by_sku("IMG-3")
            first_key = image_key(host.base_url + "/a.jpg")
        finally:
            await client.aclose()
    assert _stats(server)["image_uploads"] - before == 1
    assert found is not None and found.content["main_images"] == [first_key]


async def test_a_remembered_image_tiktok_no_longer_has_is_uploaded_again(
    shop: Account, tokens: MemoryTokenProvider, server: SandboxServer, tmp_path: Path
) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    listing = _listing(shop, "STALE-1")
    key = listing.content["main_images"][0]
    # Another process uploaded this image, and TikTok no longer has it (here: never had).
    gone = Remembered(key, "", "tos-sbx-vn/gone", "tos-sbx-vn/gone")
    MediaStore(store).remember(shop.name, gone)
    memory = StoredMediaMemory(store, shop.name)
    client = TikTokClient(shop, tokens=tokens, media=memory)
    try:
        await client.create(listing)  # refused once (12052722), uploaded again, sent again
    finally:
        await client.aclose()
    kept = {r.key: r for r in MediaStore(store).load(shop.name)}
    assert kept[key].ref != gone.ref
    _SHOPS.pop((shop.base_url, shop.name))  # a new process reads the product back
    cold = TikTokClient(shop, tokens=tokens, media=memory)
    try:
        found = await cold.find_by_sku("STALE-1")
    finally:
        await cold.aclose()
        store.close()
    assert found is not None and found.content == listing.content


async def test_consent_codes_work_once(shop: Account, server: SandboxServer) -> None:
    flow = TikTokOAuth()
    link = flow.authorize_url(shop, "", "st4te")
    assert "service_id=tts-" in link and "state=st4te" in link
    async with httpx.AsyncClient() as http:
        location = (await http.get(link)).headers["location"]
        code = httpx.URL(location).params["code"]
        grant = await flow.exchange_code(shop, code, None, http)
        assert grant.extra["shop_cipher"] == f"SBX_{shop.name}" and "hidden" in repr(grant)
        with pytest.raises(AuthError) as info:
            await flow.exchange_code(shop, code, None, http)
    assert "re-authorise" in str(info.value)


async def test_price_and_inventory_updates_address_one_product_each(
    client: TikTokClient,
    shop: Account,
    tokens: MemoryTokenProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No batch call across products (docs/marketplaces/tiktok.md): each listing's price
    and stock are one Update Price and one Update Inventory of its own product. The remote
    id carries the SKU id they address, so a process that did not create the listings
    sends nothing else; a bare product id stored before then costs one Get Product."""
    created = [(await client.create(_listing(shop, f"PQ-{i}")), f"PQ-{i}") for i in range(3)]
    assert all(rid.count(":") == 1 for rid, _ in created)  # product_id:sku_id
    changed = [
        (rid, dataclasses.replace(_listing(shop, sku), price=99000, stock=4))
        for rid, sku in created
    ]
    sent = client.requests_sent
    results = await client.update_prices_stocks(changed)
    assert [r.ok for r in results] == [True] * 3
    assert client.requests_sent - sent == 2 * 3
    monkeypatch.setattr(tiktok_client, "_SKU_IDS", {})  # as in a new process
    cold = TikTokClient(shop, tokens=tokens)
    try:
        assert all(r.ok for r in await cold.update_prices_stocks(changed))
        assert cold.requests_sent == 2 * 3  # Update Price, Update Inventory: no Get Product
        bare = [(rid.partition(":")[0], listing) for rid, listing in changed]
        assert all(r.ok for r in await cold.update_prices_stocks(bare))
        assert cold.requests_sent == 2 * 3 + 3 * 3  # a bare id: Get Product first, once
        assert all(r.ok for r in await cold.update_prices_stocks(bare))
        assert cold.requests_sent == 2 * 3 + 3 * 3 + 2 * 3
    finally:
        await cold.aclose()
    found = await client.find_by_sku("PQ-2")
    assert found is not None and found.remote_id == created[2][0]
    assert found is not None and (found.price, found.stock) == (99000, 4)
