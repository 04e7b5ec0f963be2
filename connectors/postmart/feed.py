"""Bulk-upload XLSX for sellers who list through the Postmart web seller portal.

One row per listing, Vietnamese headers, the same values the partner API would receive, so a
listing looks the same whichever way it reaches Postmart. The column layout is ours (the
portal's own template comes with the seller account); the guide sheet states the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from connectors.base import Listing
from connectors.feed import DAY, TEXT, VND, Column, content_at, image_at, iso_day, write_xlsx_feed
from connectors.postmart import rules
from sync.money import group_thousands as _vnd
from sync.settings import Account

PRODUCER_TYPES_VI = {
    "enterprise": "Doanh nghiệp",
    "cooperative": "Hợp tác xã",
    "cooperative_group": "Tổ hợp tác",
    "household_business": "Hộ kinh doanh",
}


_field = content_at
_day = iso_day
_image = image_at


def _joined(key: str, separator: str) -> Callable[[Listing], Any]:
    def value(listing: Listing) -> str | None:
        items = _field(*key.split("."))(listing)
        return separator.join(items) if items else None

    return value


def _producer_type(listing: Listing) -> str | None:
    kind = _field("producer", "type")(listing)
    return PRODUCER_TYPES_VI.get(kind, kind)


COLUMNS: list[Column] = [
    Column("Mã SKU người bán", lambda listing: listing.sku, 22, TEXT),
    Column("Mã sản phẩm gốc", lambda listing: listing.product_sku, 18, TEXT),
    Column("Tên sản phẩm", _field("name"), 50),
    Column("Mã danh mục", _field("category_id"), 12, TEXT),
    Column("Giá bán (VNĐ)", lambda listing: listing.price, 14, VND),
    Column("Số lượng tồn kho", lambda listing: listing.stock, 10),
    Column("Khối lượng (gram)", _field("weight_g"), 12),
    Column("Mã vạch (GTIN)", _field("gtin"), 16, TEXT),
    Column("Mô tả ngắn", _field("short_description"), 50),
    Column("Mô tả chi tiết", _field("description"), 60),
    *(Column(f"Ảnh {i + 1}", _image(i), 30) for i in range(rules.IMAGES_MAX)),
    Column("Tỉnh/thành xuất xứ", _field("origin", "province"), 16),
    Column("Xã/phường", _field("origin", "commune"), 16),
    Column("Địa chỉ sản xuất (theo giấy chứng nhận)", _field("origin", "address"), 40),
    Column("Chủ thể sản xuất", _field("producer", "name"), 30),
    Column("Loại hình chủ thể", _producer_type, 14),
    Column("Hạng OCOP (sao)", _field("ocop", "stars"), 10),
    Column("Nhóm sản phẩm OCOP", _field("ocop", "group"), 20),
    Column("Số quyết định công nhận OCOP", _field("ocop", "certificate_no"), 22, TEXT),
    Column("Ngày quyết định", _day("ocop", "certificate_date"), 14, DAY),
    Column("Cơ quan công nhận", _field("ocop", "issuer"), 24),
    Column("Hiệu lực đến", _day("ocop", "valid_until"), 14, DAY),
    Column("Khối lượng tịnh", _field("attributes", "net_quantity"), 12),
    Column("Quy cách", _field("attributes", "package"), 14),
    Column("Hạn sử dụng (ngày)", _field("attributes", "shelf_life_days"), 12),
    Column("Tiêu chuẩn", _joined("attributes.standards", "; "), 20),
    Column("Từ khóa", _joined("tags", ", "), 24),
    Column("Đường dẫn (slug)", _field("slug"), 40),
]
HEADERS = [column.header for column in COLUMNS]


GUIDE: list[tuple[str, str]] = [
    ("Cột", "Yêu cầu của Postmart (theo hợp đồng API đối tác của ocop-sync)"),
    ("Tên sản phẩm", f"Bắt buộc, tối đa {rules.NAME_MAX} ký tự, giữ nguyên dấu tiếng Việt."),
    ("Mô tả ngắn", f"Bắt buộc, tối đa {rules.SHORT_DESCRIPTION_MAX} ký tự."),
    ("Mô tả chi tiết", "Bắt buộc."),
    ("Giá bán (VNĐ)", f"Số nguyên từ {_vnd(rules.PRICE_MIN)} đến {_vnd(rules.PRICE_MAX)}."),
    ("Mã danh mục", "Bắt buộc, theo cây danh mục của tài khoản người bán."),
    ("Ảnh 1 … Ảnh 10", f"Từ {rules.IMAGES_MIN} đến {rules.IMAGES_MAX} ảnh, đường dẫn https."),
    ("Khối lượng (gram)", "Bắt buộc (tính cước Bưu điện), số nguyên gram."),
    ("Mã vạch (GTIN)", "Không bắt buộc; nếu có, chữ số kiểm tra phải đúng."),
    ("Xuất xứ, chủ thể", "Bắt buộc: tỉnh/thành và chủ thể sản xuất."),
    ("Hạng OCOP", "3–5 sao, kèm số quyết định; giấy chứng nhận còn hiệu lực."),
]


def export_feed(listings: Sequence[Listing], account: Account, path: Path) -> None:
    """Write `listings` as a Postmart bulk-upload XLSX at `path` (one row per listing)."""
    write_xlsx_feed(
        Path(path),
        listings,
        COLUMNS,
        sheet_title="Sản phẩm",
        guide=[*GUIDE, ("Tài khoản", account.name), ("Số dòng sản phẩm", str(len(listings)))],
        title=f"Postmart – tải lên hàng loạt – {account.name}",
    )
