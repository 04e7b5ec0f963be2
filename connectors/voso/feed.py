"""Bulk-upload file for sellers who list through the Voso web seller portal (mc.voso.vn).

One XLSX row per listing with Vietnamese column headers, the same values the API would
receive (so a listing looks the same whichever way it reaches Voso), plus a short guide
sheet. The column layout is ours: Voso's own template comes with the seller account.
The workbook itself (styles, text that stays text, atomic save) is connectors/feed.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors.base import Listing
from connectors.feed import (
    DAY,
    TEXT,
    VND,
    Cell,
    Column,
    content_at,
    image_at,
    iso_day,
    write_xlsx_feed,
)
from connectors.voso.rules import (
    DESCRIPTION_MAX,
    IMAGES_MAX,
    PRICE_MAX,
    PRICE_MIN,
    PRICE_STEP,
    TITLE_MAX,
    TITLE_MIN,
)
from sync.money import group_thousands as _vnd
from sync.settings import Account

SHEET = "Sản phẩm"
GUIDE_SHEET = "Hướng dẫn"


def _content(key: str) -> Cell:
    return content_at(key)


def _attribute(key: str) -> Cell:
    return content_at("attributes", key)


def _day(key: str) -> Cell:
    return iso_day("attributes", key)


_image = image_at


# Left to right as a seller reads them: identity, sale terms, text, images, OCOP facts.
COLUMNS: list[Column] = [
    Column("Mã SKU", lambda listing: listing.sku, 22, TEXT),
    Column("Mã sản phẩm gốc", lambda listing: listing.product_sku, 18, TEXT),
    Column("Tên sản phẩm", _content("name"), 50),
    Column("Mã danh mục", _content("category_id"), 12, TEXT),
    Column("Giá bán (VNĐ)", lambda listing: listing.price, 14, VND),
    Column("Tồn kho", lambda listing: listing.stock, 10),
    Column("Khối lượng (gram)", _content("weight_g"), 12),
    Column("Mô tả sản phẩm", _content("description"), 60),
    *(Column(f"Ảnh {i + 1}", _image(i), 30) for i in range(IMAGES_MAX)),
    Column("Số sao OCOP", _attribute("ocop_stars"), 10),
    Column("Số quyết định công nhận OCOP", _attribute("ocop_certificate_no"), 22, TEXT),
    Column("Ngày quyết định", _day("ocop_certificate_date"), 14, DAY),
    Column("Hiệu lực đến", _day("ocop_valid_until"), 14, DAY),
    Column("Nhóm sản phẩm OCOP", _attribute("ocop_group"), 20),
    Column("Chủ thể sản xuất", _attribute("producer"), 30),
    Column("Xuất xứ", _attribute("origin"), 24),
    Column("Khối lượng tịnh", _attribute("net_quantity"), 12),
    Column("Quy cách đóng gói", _attribute("packaging"), 16),
    Column("Mã vạch (GTIN)", _attribute("gtin"), 16, TEXT),
    Column("Hạn sử dụng (ngày)", _attribute("shelf_life_days"), 12),
    Column("Chỉ dẫn địa lý", _attribute("geographical_indication"), 16),
    Column("Đường dẫn (slug)", _content("slug"), 40),
]
HEADERS = [column.header for column in COLUMNS]


GUIDE: list[tuple[str, str]] = [
    ("Cột", "Yêu cầu của Voso (theo hợp đồng API đối tác của ocop-sync)"),
    ("Tên sản phẩm", f"Bắt buộc, từ {TITLE_MIN} đến {TITLE_MAX} ký tự, giữ nguyên dấu tiếng Việt."),
    ("Mô tả sản phẩm", f"Bắt buộc, tối đa {_vnd(DESCRIPTION_MAX)} ký tự."),
    (
        "Giá bán (VNĐ)",
        f"Số nguyên từ {_vnd(PRICE_MIN)} đến {_vnd(PRICE_MAX)}, bội số của {PRICE_STEP}.",
    ),
    ("Mã danh mục", "Bắt buộc, theo cây danh mục của tài khoản người bán."),
    ("Ảnh 1 … Ảnh 9", f"Từ 1 đến {IMAGES_MAX} ảnh, đường dẫn https; Ảnh 1 là ảnh đại diện."),
    ("Khối lượng (gram)", "Bắt buộc (tính cước Viettel Post), số nguyên gram."),
    ("Số sao OCOP", "Kèm số quyết định công nhận; giấy chứng nhận còn hiệu lực."),
]


def export_feed(listings: Sequence[Listing], account: Account, path: Path) -> None:
    """Write `listings` as a Voso bulk-upload XLSX at `path` (one row per listing)."""
    write_xlsx_feed(
        Path(path),
        listings,
        COLUMNS,
        sheet_title=SHEET,
        guide=[*GUIDE, ("Tài khoản", account.name), ("Số dòng sản phẩm", str(len(listings)))],
        guide_title=GUIDE_SHEET,
        title=f"Voso – tải lên hàng loạt – {account.name}",
    )
