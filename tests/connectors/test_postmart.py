"""Postmart specifics: the mapping with Vietnamese data, the signed protocol, the sandbox's
rules over real loopback HTTP, and the bulk-upload XLSX."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from connectors.base import Listing
from connectors.errors import AuthError, ItemRejected, NotFoundError
from connectors.postmart import CONNECTOR, invalid_listing, rules, sandbox_account
from connectors.postmart.client import PostmartClient
from connectors.postmart.feed import HEADERS
from connectors.postmart.mapping import PostmartMapping, create_payload
from connectors.postmart.sandbox import create_app, error_response, throttle_response
from connectors.postmart.signing import canonical_path, sign, string_to_sign
from connectors.ratelimit import Unlimited
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.settings import Account, PriceRules, StockRules
from tests.factories import make_product, product_data

TODAY = date(2026, 11, 29)
MAPPING = PostmartMapping()


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """A Postmart sandbox of its own on a free loopback port."""
    with SandboxServer(create_app(SandboxConfig(seed=3))) as running:
        yield running


@pytest.fixture
def account(server: SandboxServer) -> Account:
    """A fresh seller per test."""
    return sandbox_account(f"pm-{uuid.uuid4().hex[:10]}", server.base_url)


@pytest.fixture
async def client(account: Account) -> AsyncIterator[PostmartClient]:
    """The Postmart client of that seller."""
    client = PostmartClient(account, limiter=Unlimited())
    yield client
    await client.aclose()


def offline_account(**changes: Any) -> Account:
    """A sandbox account for mapping tests (no server needed)."""
    return sandbox_account("bac-kan-htx", "http://127.0.0.1:1").model_copy(update=changes)


def listing_for(**overrides: Any) -> Listing:
    """The first listing of a test product built with `overrides`."""
    return MAPPING.map_product(make_product("BK-PM-01", **overrides), offline_account(), TODAY)[0]


def fields(listing: Listing) -> set[str]:
    return {issue.field for issue in listing.issues if issue.severity == "error"}


def signed_headers(
    account: Account, method: str, path: str, params: dict[str, str], body: bytes, ts: int
) -> dict[str, str]:
    """Headers as the contract describes them, computed independently of the client."""
    secret = account.secret("api_secret")
    signature = sign(secret, method, path, params.items(), str(ts), body)
    return {
        "X-Api-Key": account.secret("api_key"),
        "X-Timestamp": str(ts),
        "X-Signature": signature,
        "Content-Type": "application/json",
    }


# -- mapping ----------------------------------------------------------------------------------
def test_one_listing_per_variant_keyed_by_variant_sku_with_diacritics_kept() -> None:
    listings = MAPPING.map_product(make_product("BK-PM-01"), offline_account(), TODAY)
    assert [listing.sku for listing in listings] == ["BK-PM-01-100G", "BK-PM-01-500G"]
    first = listings[0]
    assert first.ok, first.issues
    assert first.content["name"] == "Tinh nghệ đỏ Bắc Kạn – hũ 100 g"
    assert first.content["slug"] == "tinh-nghe-do-bac-kan-hu-100-g"  # đ -> d, not dj
    assert tuple(first.content) == rules.CONTENT_FIELDS
    assert first.content["origin"] == {
        "province": "Thái Nguyên",
        "commune": "Đồng Phúc",
        "address": "Thôn Nà Làng, xã Đồng Phúc, huyện Ba Bể, tỉnh Bắc Kạn",
    }
    assert first.content["producer"] == {"name": "HTX Nông sản Đồng Phúc", "type": "cooperative"}
    assert first.content["ocop"]["stars"] == 4
    assert first.content["ocop"]["valid_until"] == "2028-03-15"
    assert first.content["category_id"] == "1100"  # Thực phẩm in the sandbox tree
    assert "OCOP 4 sao" in first.content["short_description"]


def test_decomposed_input_gives_a_composed_title() -> None:
    nfd = unicodedata.normalize("NFD", "Miến dong Đà Bắc")
    title = listing_for(name=nfd).content["name"]
    assert title == unicodedata.normalize("NFC", title)
    assert title.startswith("Miến dong Đà Bắc – ")


def test_prices_follow_the_account_rules_and_stock_keeps_the_buffer() -> None:
    account = offline_account(
        price=PriceRules(markup_percent=10, round_to=1000),
        stock=StockRules(buffer=5, max_shown=30),
    )
    small, large = MAPPING.map_product(make_product("BK-PM-01"), account, TODAY)
    assert small.price == 94_000  # 85,000 + 10 % = 93,500 -> half-up to 94,000
    assert large.price == 429_000
    assert (small.stock, large.stock) == (30, 7)  # 40-5 capped at 30; 12-5


def test_mapping_is_deterministic() -> None:
    first = listing_for()
    again = listing_for()
    assert first.content == again.content and first.content_hash == again.content_hash


def test_over_long_title_is_an_issue() -> None:
    listing = listing_for(name="Tinh bột nghệ " * 12)
    assert "name" in fields(listing)
    assert not listing.ok


def test_missing_or_insecure_images_are_issues() -> None:
    assert "images" in fields(listing_for(images=[]))
    insecure = listing_for(images=[{"url": "http://cdn.example/1.jpg"}])
    assert "images[0]" in fields(insecure)


def test_more_than_ten_images_sends_ten_with_a_warning() -> None:
    images = [{"url": f"https://cdn.example/{i}.jpg"} for i in range(12)]
    listing = listing_for(images=images)
    assert listing.ok and len(listing.content["images"]) == 10
    assert [i.severity for i in listing.issues if i.field == "images"] == ["warning"]


def test_missing_category_names_the_account() -> None:
    account = offline_account(categories={}, default_category=None)
    listing = MAPPING.map_product(make_product("BK-PM-01"), account, TODAY)[0]
    issue = next(i for i in listing.issues if i.field == "category_id")
    assert "bac-kan-htx" in issue.message and "Thực phẩm" in issue.message


def test_price_outside_postmart_bounds_is_an_issue() -> None:
    data = product_data("BK-PM-01")
    data["variants"][0]["price"] = 500
    account = offline_account(price=PriceRules(round_to=1))
    listing = MAPPING.map_product(make_product(**data), account, TODAY)[0]
    assert "price" in fields(listing)


def test_missing_description_and_expired_certificate_are_issues() -> None:
    assert "description" in fields(listing_for(description=None))
    expired = MAPPING.map_product(make_product("BK-PM-01"), offline_account(), date(2028, 3, 16))
    assert "ocop.valid_until" in fields(expired[0])


def test_short_description_stays_within_500_characters() -> None:
    listing = listing_for(description="Bột nghệ vàng óng " * 60)
    assert len(listing.content["short_description"]) <= rules.SHORT_DESCRIPTION_MAX
    assert listing.ok


# -- signing ----------------------------------------------------------------------------------
def test_canonical_path_encodes_and_sorts_the_query() -> None:
    query = [("seller_sku", "BK 01/đ"), ("limit", "2"), ("cursor", "100")]
    assert canonical_path("/api/v1/products", query) == (
        "/api/v1/products?cursor=100&limit=2&seller_sku=BK%2001%2F%C4%91"
    )


def test_signature_matches_the_documented_example() -> None:
    body = b'{"price":94000}'
    text = string_to_sign("patch", "/api/v1/products/100001/price", [], "1764374400", body)
    assert text == (
        "PATCH\n/api/v1/products/100001/price\n1764374400\n" + hashlib.sha256(body).hexdigest()
    )
    secret = "postmart-sandbox-secret-demo"
    expected = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    assert sign(secret, "PATCH", "/api/v1/products/100001/price", [], "1764374400", body) == (
        expected
    )
    # The example printed in docs/marketplaces/postmart.md.
    assert expected == "85677d39369d5bfdabdb1a7110e4ac3d6275e592d8dd5850561561799c3db372"


# -- protocol over HTTP -----------------------------------------------------------------------
def test_a_signature_over_a_tampered_body_is_rejected(
    server: SandboxServer, account: Account
) -> None:
    listing = MAPPING.map_product(make_product("BK-PM-01"), account, TODAY)[0]
    signed_body = json.dumps(create_payload(listing)).encode()
    tampered = json.dumps({**create_payload(listing), "price": 1000}).encode()
    headers = signed_headers(account, "POST", "/api/v1/products", {}, signed_body, int(time.time()))
    answer = httpx.post(server.base_url + "/api/v1/products", content=tampered, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "UNAUTHORIZED" and "Signature" in answer.json()["message"]
    untampered = httpx.post(
        server.base_url + "/api/v1/products", content=signed_body, headers=headers
    )
    assert untampered.status_code == 201


# A few seconds of margin each side: the timestamp is whole seconds and the request takes
# time, so 301 s can arrive as 300.x s on a loaded machine.
@pytest.mark.parametrize(
    ("offset", "accepted"), [(-305, False), (-290, True), (290, True), (305, False)]
)
def test_timestamps_more_than_300_seconds_off_are_refused(
    server: SandboxServer, account: Account, offset: int, accepted: bool
) -> None:
    params = {"seller_sku": "NONE"}
    ts = int(time.time()) + offset
    headers = signed_headers(account, "GET", "/api/v1/products/lookup", params, b"", ts)
    answer = httpx.get(server.base_url + "/api/v1/products/lookup", params=params, headers=headers)
    if accepted:
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"
    else:
        assert answer.status_code == 401
        body = answer.json()
        assert body["code"] == "TIMESTAMP_OUT_OF_WINDOW"
        assert "300 s" in body["message"] and abs(body["server_time"] - time.time()) < 5


async def test_client_with_a_wrong_clock_adopts_the_server_clock_once(account: Account) -> None:
    skewed = PostmartClient(account, limiter=Unlimited(), clock=lambda: time.time() - 3600)
    try:
        assert await skewed.find_by_sku("NONE") is None
        assert await skewed.find_by_sku("NONE") is None
    finally:
        await skewed.aclose()
    assert skewed.requests_sent == 3  # one refusal, then both calls with the corrected clock
    assert abs(skewed.clock_offset - 3600) < 5


async def test_wrong_secret_is_an_auth_error_without_retry(account: Account) -> None:
    wrong = sandbox_account(account.name, account.base_url).model_copy(
        update={
            "credentials": {**account.credentials, "api_secret": account.credentials["api_key"]}
        }
    )
    client = PostmartClient(wrong, limiter=Unlimited())
    try:
        with pytest.raises(AuthError) as info:
            await client.find_by_sku("ANY")
    finally:
        await client.aclose()
    assert info.value.code == "UNAUTHORIZED" and client.requests_sent == 1


async def test_wrong_clock_and_wrong_secret_fail_after_one_correction(account: Account) -> None:
    wrong = account.model_copy(
        update={
            "credentials": {**account.credentials, "api_secret": account.credentials["api_key"]}
        }
    )
    client = PostmartClient(wrong, limiter=Unlimited(), clock=lambda: time.time() + 900)
    try:
        with pytest.raises(AuthError) as info:
            await client.find_by_sku("ANY")
        with pytest.raises(AuthError):
            await client.find_by_sku("ANY")
    finally:
        await client.aclose()
    assert info.value.code == "UNAUTHORIZED"
    assert client.requests_sent == 3  # skew refusal, corrected retry; then one plain refusal


async def test_query_values_needing_encoding_are_signed_alike(client: PostmartClient) -> None:
    assert await client.find_by_sku("BK 01/đ&x=1") is None  # 404, not a 401 mismatch


def _break(listing: Listing, **content: Any) -> Listing:
    return dataclasses.replace(listing, content={**listing.content, **content})


BROKEN = {
    "name": lambda li: _break(li, name="x" * 151),
    "images[0]": lambda li: _break(li, images=["http://cdn.example/1.jpg"]),
    "images": lambda li: _break(li, images=[f"https://cdn.example/{i}.jpg" for i in range(11)]),
    "category_id": lambda li: _break(li, category_id="9999"),
    "short_description": lambda li: _break(li, short_description="ngắn " * 101),
    "description": lambda li: _break(li, description=" "),
    "gtin": lambda li: _break(li, gtin="8930000000010"),
    "weight_g": lambda li: _break(li, weight_g=0),
    "origin.province": lambda li: _break(li, origin={**li.content["origin"], "province": ""}),
    "producer.type": lambda li: _break(li, producer={"name": "HTX", "type": "farm"}),
    "ocop.stars": lambda li: _break(li, ocop={**li.content["ocop"], "stars": 2}),
    "price": lambda li: dataclasses.replace(li, price=1_000_000_001),
}


@pytest.mark.parametrize("field", sorted(BROKEN))
async def test_sandbox_rejects_each_broken_rule_with_its_field(
    client: PostmartClient, field: str
) -> None:
    listing = MAPPING.map_product(make_product("BK-PM-01"), client.account, TODAY)[0]
    bad = BROKEN[field](listing)
    with pytest.raises(ItemRejected) as info:
        await client.create(bad)
    assert info.value.code == "INVALID_PRODUCT" and info.value.status == 400
    assert f"{field}:" in info.value.message
    assert await client.find_by_sku(bad.sku) is None


def test_invalid_listing_of_the_kit_is_flagged_by_the_mapping_rules_too() -> None:
    listing = MAPPING.map_product(make_product("BK-PM-01"), offline_account(), TODAY)[0]
    problems = rules.check_product(create_payload(invalid_listing(listing)), TODAY)
    assert [field for field, _ in problems] == ["name"]


async def test_batch_over_50_items_is_split_and_reports_each_item(client: PostmartClient) -> None:
    listing = MAPPING.map_product(make_product("BK-PM-01"), client.account, TODAY)[0]
    real = []
    for i in range(3):
        copy = dataclasses.replace(listing, sku=f"{listing.sku}-{i}")
        real.append((await client.create(copy), dataclasses.replace(copy, price=99_000, stock=i)))
    ghosts = [(str(900_000 + i), dataclasses.replace(listing, sku=f"G-{i}")) for i in range(48)]
    bad_price = [(real[0][0], dataclasses.replace(real[0][1], sku="LOW", price=10))]
    sent = client.requests_sent
    results = await client.update_prices_stocks([*real, *ghosts, *bad_price])
    assert client.requests_sent - sent == 2  # 52 items -> 50 + 2
    assert [r.sku for r in results] == [item.sku for _, item in [*real, *ghosts, *bad_price]]
    assert all(r.ok for r in results[:3])
    assert all(isinstance(r.error, NotFoundError) for r in results[3:51])
    assert isinstance(results[51].error, ItemRejected) and "price:" in str(results[51].error)
    found = await client.find_by_sku(real[2][1].sku)
    assert found is not None and (found.price, found.stock) == (99_000, 2)


def test_sandbox_refuses_batches_over_50(server: SandboxServer, account: Account) -> None:
    body = json.dumps({"items": [{"product_id": str(i), "stock": 1} for i in range(51)]}).encode()
    path = "/api/v1/products/batch-update"
    headers = signed_headers(account, "POST", path, {}, body, int(time.time()))
    answer = httpx.post(server.base_url + path, content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "BATCH_TOO_LARGE"


def test_throttle_and_server_errors_use_the_postmart_envelope() -> None:
    throttled = throttle_response(0.2)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert json.loads(bytes(throttled.body))["code"] == "RATE_LIMITED"
    assert json.loads(bytes(error_response(500).body))["code"] == "INTERNAL"
    assert json.loads(bytes(error_response(503).body))["code"] == "UNAVAILABLE"


def test_openapi_document_is_served(server: SandboxServer) -> None:
    spec = httpx.get(server.base_url + "/openapi.json").json()
    assert "/api/v1/products/batch-update" in spec["paths"]
    assert spec["components"]["schemas"]["ProductBody"]["properties"]["name"]["maxLength"] == 150


# -- bulk-upload file -------------------------------------------------------------------------
def test_feed_writes_one_row_per_listing_with_vietnamese_headers(tmp_path: Path) -> None:
    assert CONNECTOR.feed_exporter is not None  # the registry's entry, imported on first use
    account = offline_account()
    listings = [
        *MAPPING.map_product(make_product("BK-PM-01"), account, TODAY),
        *MAPPING.map_product(make_product("BK-PM-02", name="Miến dong Tài Hoan"), account, TODAY),
    ]
    path = tmp_path / "postmart.xlsx"
    CONNECTOR.feed_exporter(listings, account, path)
    workbook = load_workbook(path)
    sheet = workbook["Sản phẩm"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert {"Tên sản phẩm", "Giá bán (VNĐ)", "Hạng OCOP (sao)", "Mã vạch (GTIN)"} <= set(HEADERS)
    assert len(rows) == 1 + len(listings)
    row: dict[str, Any] = dict(zip(HEADERS, rows[1], strict=True))
    assert row["Mã SKU người bán"] == "BK-PM-01-100G"
    assert row["Tên sản phẩm"] == "Tinh nghệ đỏ Bắc Kạn – hũ 100 g"
    assert row["Giá bán (VNĐ)"] == 85_000 and row["Hạng OCOP (sao)"] == 4
    assert row["Mã vạch (GTIN)"] == "8930000000019"  # text, not 8.93E+12
    assert row["Loại hình chủ thể"] == "Hợp tác xã"
    assert row["Ngày quyết định"].date() == date(2025, 3, 15)
    assert str(rows[3][HEADERS.index("Tên sản phẩm")]).startswith("Miến dong Tài Hoan")
    assert "Hướng dẫn" in workbook.sheetnames
