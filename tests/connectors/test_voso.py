"""Voso: mapping with Vietnamese data, the sandbox's rules and envelope, sessions, the feed."""

from __future__ import annotations

import asyncio
import dataclasses
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from connectors.base import Connector, Listing
from connectors.errors import AuthError
from connectors.sandbox import SandboxServer
from connectors.voso import CONNECTOR, sandbox_account
from connectors.voso.client import VosoClient
from connectors.voso.feed import GUIDE_SHEET, HEADERS, SHEET, export_feed
from connectors.voso.mapping import MAPPING
from connectors.voso.sandbox import CATEGORIES
from sync.settings import Account, PriceRules, StockRules
from tests.connectors.conftest import TODAY, sandbox_call
from tests.factories import make_product

IMAGE = "https://cdn.ocop-sample.example/mien/{}.jpg"


@pytest.fixture(scope="module")
def connector() -> Connector:
    """Only Voso here (overrides the contract suite's parametrised fixture)."""
    return CONNECTOR


@pytest.fixture
def voso(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The sandbox, with its default session lifetime and no faults restored afterwards."""
    yield sandbox
    sandbox_call(sandbox, "/_sandbox/config", {"token_ttl": 3600.0, "fault_rate": 0.0})


def _account(**update: Any) -> Account:
    return sandbox_account("htx-dong-phuc", "http://unused").model_copy(update=update)


def _map(sku: str = "BK-MIEN", account: Account | None = None, **overrides: Any) -> list[Listing]:
    return MAPPING.map_product(make_product(sku, **overrides), account or _account(), TODAY)


def _errors(listing: Listing) -> dict[str, str]:
    return {i.field: i.message for i in listing.issues if i.severity == "error"}


def _requests(server: SandboxServer) -> int:
    return int(sandbox_call(server, "/_sandbox/stats")["requests"])


# -- mapping ---------------------------------------------------------------------------------
def test_one_listing_per_variant_keyed_by_variant_sku_with_diacritics_in_the_title() -> None:
    listings = _map()
    assert [listing.sku for listing in listings] == ["BK-MIEN-100G", "BK-MIEN-500G"]
    assert {listing.product_sku for listing in listings} == {"BK-MIEN"}
    assert listings[0].content["name"] == "Tinh nghệ đỏ Bắc Kạn - hũ 100 g (OCOP 4 sao)"
    assert all(listing.ok for listing in listings)


def test_decomposed_input_gives_the_same_composed_title_and_hash() -> None:
    nfd = unicodedata.normalize("NFD", "Miến dong Tài Hoan")
    composed, decomposed = _map(name="Miến dong Tài Hoan")[0], _map(name=nfd)[0]
    assert decomposed.content["name"].startswith("Miến dong Tài Hoan - ")
    assert decomposed.content_hash == composed.content_hash


def test_slug_is_ascii_with_d_for_the_vietnamese_d() -> None:
    listing = _map(name="Đặc sản miến dong Đồng Phúc")[0]
    assert listing.content["slug"] == "dac-san-mien-dong-dong-phuc-hu-100-g"


def test_mapping_is_deterministic() -> None:
    first, second = _map(), _map()
    assert [x.content_hash for x in first] == [y.content_hash for y in second]


def test_price_follows_the_account_rules_and_rounds_half_up() -> None:
    account = _account(price=PriceRules(markup_percent=Decimal(10), round_to=1000))
    listing = _map(account=account)[0]  # 85.000 + 10% = 93.500 -> 94.000
    assert listing.price == 94_000


def test_price_not_a_multiple_of_100_is_an_error_issue() -> None:
    account = _account(price=PriceRules(fixed_add=55, round_to=1))
    assert _errors(_map(account=account)[0])["price"].startswith(
        "Giá bán phải là bội số của 100 đồng"
    )


def test_stock_keeps_the_buffer_back() -> None:
    listing = _map(account=_account(stock=StockRules(buffer=5, max_shown=30)))[0]
    assert listing.stock == 30  # 40 - 5 = 35, capped at 30


def test_over_long_title_is_an_error_in_voso_words() -> None:
    listing = _map(name="Trà hoa vàng " * 10)[0]
    assert _errors(listing) == {"name": "Tên sản phẩm vượt quá 120 ký tự"}


def test_title_counts_letters_not_bytes() -> None:
    # 120 letters with diacritics: fine, although far more than 120 bytes in UTF-8.
    name = "ệ" * (120 - len(" - hũ 100 g (OCOP 4 sao)"))
    listing = _map(name=name)[0]
    assert len(listing.content["name"]) == 120 and "name" not in _errors(listing)


def test_missing_images_and_description_are_errors() -> None:
    listing = _map(images=[], description=None)[0]
    assert _errors(listing) == {
        "images": "Sản phẩm cần ít nhất 1 ảnh",
        "description": "Mô tả sản phẩm là bắt buộc",
    }


def test_plain_http_image_is_an_error() -> None:
    listing = _map(images=[{"url": "http://cdn.example/1.jpg"}])[0]
    assert "https" in _errors(listing)["images"]


def test_more_than_nine_images_sends_the_first_nine_primary_first_with_a_warning() -> None:
    images = [{"url": IMAGE.format(i), "primary": i == 5} for i in range(12)]
    listing = _map(images=images)[0]
    assert listing.ok and len(listing.content["images"]) == 9
    assert listing.content["images"][0] == IMAGE.format(5)
    assert [i.field for i in listing.issues] == ["images"]


def test_missing_category_for_the_account_is_an_error_naming_the_account() -> None:
    listing = _map(account=_account(categories={}, default_category=None))[0]
    message = _errors(listing)["category_id"]
    assert message.startswith("Danh mục sản phẩm là bắt buộc")
    assert "htx-dong-phuc" in message and "Rau, củ, quả tươi và sơ chế" in message


def test_ocop_rating_and_certificate_travel_as_attributes() -> None:
    attributes = _map()[0].content["attributes"]
    assert attributes["ocop_stars"] == 4
    assert attributes["ocop_certificate_no"] == "1234/QĐ-UBND"
    assert attributes["ocop_valid_until"] == "2028-03-15"
    assert attributes["origin"] == "Đồng Phúc, Thái Nguyên"
    assert attributes["gtin"] == "8930000000019"


def test_description_keeps_the_printed_address_and_names_the_merged_province() -> None:
    description = _map()[0].content["description"]
    assert description.startswith("Tinh bột nghệ nguyên chất")
    assert "huyện Ba Bể, tỉnh Bắc Kạn (nay là xã Đồng Phúc, tỉnh Thái Nguyên)" in description
    assert "quyết định 1234/QĐ-UBND ngày 15/03/2025" in description


def test_certificate_expiring_soon_warns_and_expired_is_an_error() -> None:
    product = make_product("BK-MIEN")
    soon = MAPPING.map_product(product, _account(), date(2028, 3, 1))[0]
    assert soon.ok and soon.issues[0].severity == "warning"
    late = MAPPING.map_product(product, _account(), date(2028, 3, 16))[0]
    assert "đã hết hạn ngày 15/03/2028" in _errors(late)["attributes.ocop_valid_until"]


# -- sandbox: envelope, auth, rules -------------------------------------------------------------
def _login(server: SandboxServer, user: str = "htx-a", password: str | None = None) -> str:
    body = {"USERNAME": user, "PASSWORD": password or f"voso-sandbox-{user}"}
    answer = httpx.post(server.base_url + "/v2/user/Login", json=body)
    assert answer.status_code == 200 and answer.json()["error"] is False
    return str(answer.json()["data"]["token"])


def _payload(listing: Listing, **content: Any) -> dict[str, Any]:
    return {
        "sku": listing.sku,
        "price": listing.price,
        "stock": listing.stock,
        **listing.content,
        **content,
    }


def _create(server: SandboxServer, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.base_url + "/v2/seller/products", json=body, headers={"Token": token})


def test_login_with_a_wrong_password_is_401_without_echoing_it(voso: SandboxServer) -> None:
    body = {"USERNAME": "htx-a", "PASSWORD": "hunter2-secret"}
    answer = httpx.post(voso.base_url + "/v2/user/Login", json=body)
    assert answer.status_code == 401
    assert answer.json() == {
        "status": 401,
        "error": True,
        "message": "Sai tên đăng nhập hoặc mật khẩu",
    }


def test_calls_without_a_valid_token_are_401(voso: SandboxServer) -> None:
    url = voso.base_url + "/v2/seller/products"
    assert httpx.get(url).json()["message"] == "Thiếu token xác thực"
    assert httpx.get(url, headers={"Token": "forged"}).status_code == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Trà xanh"}, "Tên sản phẩm phải có ít nhất 10 ký tự"),
        ({"name": "Chè Shan tuyết " * 9}, "Tên sản phẩm vượt quá 120 ký tự"),
        ({"description": "x" * 5001}, "Mô tả sản phẩm vượt quá 5.000 ký tự"),
        ({"images": [IMAGE.format(i) for i in range(10)]}, "Tối đa 9 ảnh cho mỗi sản phẩm"),
        ({"images": ["http://cdn.example/1.jpg"]}, "Ảnh phải là đường dẫn https"),
        ({"price": 999}, "Giá bán phải từ 1.000 đến 500.000.000 đồng"),
        ({"price": 500_000_100}, "Giá bán phải từ 1.000 đến 500.000.000 đồng"),
        ({"price": 85_050}, "Giá bán phải là bội số của 100 đồng"),
        ({"category_id": "9999"}, "Danh mục không tồn tại"),
        ({"category_id": None}, "Danh mục sản phẩm là bắt buộc"),
        ({"weight_g": 0}, "Khối lượng (gram) phải là số nguyên dương"),
        ({"stock": -1}, "Tồn kho phải là số nguyên từ 0 đến 999.999"),
        ({"colour": "đỏ"}, "Trường không hợp lệ: colour"),
    ],
)
def test_sandbox_rejects_broken_listing_rules_with_400(
    voso: SandboxServer, change: dict[str, Any], message: str
) -> None:
    answer = _create(voso, _login(voso), _payload(_map()[0], **change))
    assert answer.status_code == 400
    assert answer.json()["error"] is True and message in answer.json()["message"]


def test_sandbox_rules_and_mapping_issues_agree(voso: SandboxServer) -> None:
    listing = _map(name="Miến dong " * 14, images=[{"url": "http://cdn.example/1.jpg"}])[0]
    answer = _create(voso, _login(voso), _payload(listing))
    for field, message in _errors(listing).items():
        assert f"{field}: {message}" in answer.json()["message"]


def test_batch_is_limited_to_50_items(voso: SandboxServer) -> None:
    items = [{"id": str(i), "stock": 1} for i in range(51)]
    answer = httpx.post(
        voso.base_url + "/v2/seller/products/batch-price-stock",
        json={"items": items},
        headers={"Token": _login(voso)},
    )
    assert answer.status_code == 400 and "50" in answer.json()["message"]


def test_page_size_is_limited_to_100(voso: SandboxServer) -> None:
    url = voso.base_url + "/v2/seller/products?page=1&size=101"
    assert httpx.get(url, headers={"Token": _login(voso)}).status_code == 400


def test_throttle_is_429_with_retry_after_in_the_usual_envelope(voso: SandboxServer) -> None:
    token = _login(voso)
    sandbox_call(voso, "/_sandbox/config", {"rate_limit": 1})
    try:
        answers = [
            httpx.get(voso.base_url + "/v2/seller/categories", headers={"Token": token})
            for _ in range(3)
        ]
    finally:
        sandbox_call(voso, "/_sandbox/config", {"rate_limit": None})
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled and int(throttled[0].headers["Retry-After"]) >= 1
    assert throttled[0].json()["error"] is True


def test_openapi_documents_every_route(voso: SandboxServer) -> None:
    spec = httpx.get(voso.base_url + "/openapi.json").json()
    assert {"/v2/user/Login", "/v2/seller/products", "/v2/seller/products/{id}/status"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["Token"]["name"] == "Token"


# -- client: sessions and batches ---------------------------------------------------------------
async def test_expired_token_is_renewed_once_and_the_call_succeeds(
    voso: SandboxServer, account: Account
) -> None:
    client = VosoClient(account)
    try:
        assert await client.find_by_sku("A") is None  # login + call
        sandbox_call(voso, "/_sandbox/config", {"token_ttl": 0.2})
        await asyncio.sleep(0.3)
        before = _requests(voso)
        assert await client.find_by_sku("B") is None
        assert _requests(voso) - before == 3  # refused call, one login, the call again
    finally:
        await client.aclose()


async def test_short_lived_token_is_renewed_before_it_lapses(
    voso: SandboxServer, account: Account
) -> None:
    sandbox_call(voso, "/_sandbox/config", {"token_ttl": 0.3})
    client = VosoClient(account)
    try:
        await client.find_by_sku("A")
        await asyncio.sleep(0.35)
        before = _requests(voso)
        await client.find_by_sku("B")
        assert _requests(voso) - before == 2  # a login, then the call: never a refused call
    finally:
        await client.aclose()


async def test_concurrent_first_calls_share_one_login(
    voso: SandboxServer, account: Account
) -> None:
    client = VosoClient(account)
    before = _requests(voso)
    try:
        await asyncio.gather(*(client.find_by_sku(f"C-{i}") for i in range(8)))
    finally:
        await client.aclose()
    assert _requests(voso) - before == 9


async def test_missing_password_is_an_auth_error_naming_the_key(account: Account) -> None:
    client = VosoClient(account.model_copy(update={"credentials": {}}))
    try:
        with pytest.raises(AuthError, match="'username' is not set"):
            await client.find_by_sku("A")
    finally:
        await client.aclose()


async def test_batch_of_120_items_goes_out_in_three_calls(
    voso: SandboxServer, account: Account, listings: list[Listing]
) -> None:
    client = VosoClient(account)
    try:
        remote_id = await client.create(listings[0])
        items = [(remote_id, dataclasses.replace(listings[0], stock=i)) for i in range(120)]
        before = _requests(voso)
        results = await client.update_prices_stocks(items)
        assert _requests(voso) - before == 3
        assert all(result.ok for result in results) and len(results) == 120
        found = await client.find_by_sku(listings[0].sku)
        assert found is not None and found.stock == 119
    finally:
        await client.aclose()


def test_sandbox_account_categories_exist_in_the_sandbox() -> None:
    account = _account()
    assert set(account.categories.values()) | {account.default_category} <= set(CATEGORIES)


# -- bulk-upload feed ---------------------------------------------------------------------------
def test_feed_has_vietnamese_headers_and_one_row_per_listing(tmp_path: Path) -> None:
    listings = _map() + _map("BK-CHE", name="Chè Shan tuyết Nà Rì")
    path = tmp_path / "voso.xlsx"
    export_feed(listings, _account(), path)
    book = load_workbook(path)
    rows = list(book[SHEET].iter_rows(values_only=True))
    assert rows[0] == tuple(HEADERS)
    assert rows[0][:3] == ("Mã SKU", "Mã sản phẩm gốc", "Tên sản phẩm")
    assert [row[0] for row in rows[1:]] == [listing.sku for listing in listings]
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["Tên sản phẩm"] == "Tinh nghệ đỏ Bắc Kạn - hũ 100 g (OCOP 4 sao)"
    assert first["Giá bán (VNĐ)"] == 85_000 and first["Tồn kho"] == 40
    assert first["Số sao OCOP"] == 4
    assert first["Ngày quyết định"] == datetime(2025, 3, 15)
    assert first["Ảnh 1"] == listings[0].images[0] and first["Ảnh 2"] is None
    guide = {key: value for key, value in book[GUIDE_SHEET].iter_rows(values_only=True)}
    assert guide["Tài khoản"] == "htx-dong-phuc" and guide["Số dòng sản phẩm"] == "4"


def test_feed_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    listing = _map()[0]
    listing.content["name"] = '=HYPERLINK("http://evil")'
    path = tmp_path / "voso.xlsx"
    export_feed([listing], _account(), path)
    cell = load_workbook(path)[SHEET]["C2"]
    assert cell.data_type == "s" and cell.value == listing.content["name"]
