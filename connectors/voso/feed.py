"""Bulk-upload file for sellers who list through the Voso web seller portal (mc.voso.vn).

One XLSX row per listing with Vietnamese column headers, the same values the API would
receive (so a listing looks the same whichever way it reaches Voso), plus a short guide
sheet. The column layout is ours: Voso's own template comes with the seller account.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from connectors.base import Listing
from connectors.voso.rules import DESCRIPTION_MAX, IMAGES_MAX, TITLE_MAX, TITLE_MIN
from sync.settings import Account

SHEET = "Sản phẩm"
GUIDE_SHEET = "Hướng dẫn"


def _attribute(key: str) -> Callable[[Listing], Any]:
    return lambda listing: listing.content.get("attributes", {}).get(key)


def _vn_date(key: str) -> Callable[[Listing], Any]:
    def value(listing: Listing) -> str | None:
        raw = _attribute(key)(listing)
        return date.fromisoformat(raw).strftime("%d/%m/%Y") if raw else None

    return value


def _image(index: int) -> Callable[[Listing], Any]:
    return lambda listing: (
        listing.content["images"][index] if index < len(listing.content.get("images", [])) else None
    )


# (header, value, column width). Order is what a seller reads left to right.
COLUMNS: list[tuple[str, Callable[[Listing], Any], int]] = [
    ("Mã SKU", lambda listing: listing.sku, 22),
    ("Mã sản phẩm gốc", lambda listing: listing.product_sku, 18),
    ("Tên sản phẩm", lambda listing: listing.content.get("name"), 50),
    ("Mã danh mục", lambda listing: listing.content.get("category_id"), 12),
    ("Giá bán (VNĐ)", lambda listing: listing.price, 14),
    ("Tồn kho", lambda listing: listing.stock, 10),
    ("Khối lượng (gram)", lambda listing: listing.content.get("weight_g"), 12),
    ("Mô tả sản phẩm", lambda listing: listing.content.get("description"), 60),
    *((f"Ảnh {i + 1}", _image(i), 30) for i in range(IMAGES_MAX)),
    ("Số sao OCOP", _attribute("ocop_stars"), 10),
    ("Số quyết định công nhận OCOP", _attribute("ocop_certificate_no"), 22),
    ("Ngày quyết định", _vn_date("ocop_certificate_date"), 14),
    ("Hiệu lực đến", _vn_date("ocop_valid_until"), 14),
    ("Nhóm sản phẩm OCOP", _attribute("ocop_group"), 20),
    ("Chủ thể sản xuất", _attribute("producer"), 30),
    ("Xuất xứ", _attribute("origin"), 24),
    ("Khối lượng tịnh", _attribute("net_quantity"), 12),
    ("Quy cách đóng gói", _attribute("packaging"), 16),
    ("Mã vạch (GTIN)", _attribute("gtin"), 16),
    ("Hạn sử dụng (ngày)", _attribute("shelf_life_days"), 12),
    ("Chỉ dẫn địa lý", _attribute("geographical_indication"), 16),
    ("Đường dẫn (slug)", lambda listing: listing.content.get("slug"), 40),
]
HEADERS = [header for header, _, _ in COLUMNS]

GUIDE = [
    ("Tên sản phẩm", f"Bắt buộc, từ {TITLE_MIN} đến {TITLE_MAX} ký tự, giữ nguyên dấu tiếng Việt."),
    ("Mô tả sản phẩm", f"Bắt buộc, tối đa {DESCRIPTION_MAX:,} ký tự.".replace(",", ".")),
    ("Giá bán (VNĐ)", "Số nguyên từ 1.000 đến 500.000.000, bội số của 100."),
    ("Mã danh mục", "Bắt buộc, theo cây danh mục của tài khoản người bán."),
    ("Ảnh 1 … Ảnh 9", "Ít nhất 1 ảnh, đường dẫn https; Ảnh 1 là ảnh đại diện."),
    ("Số sao OCOP", "Sản phẩm OCOP ghi kèm số quyết định công nhận và hiệu lực."),
]


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters; a catalog description may carry some.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _write_row(sheet: Worksheet, row: int, values: Sequence[Any]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=_cell_value(value))
        if isinstance(value, str) and value.startswith("="):
            # Text that looks like a formula stays text: a listing title is never executed.
            cell.data_type = "s"


def _product_sheet(sheet: Worksheet, listings: Sequence[Listing]) -> None:
    sheet.title = SHEET
    _write_row(sheet, 1, HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row, listing in enumerate(listings, start=2):
        _write_row(sheet, row, [value(listing) for _, value, _ in COLUMNS])
        sheet.cell(row=row, column=HEADERS.index("Giá bán (VNĐ)") + 1).number_format = "#,##0"
    for index, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"


def _guide_sheet(workbook: Workbook, account: Account, count: int) -> None:
    guide = workbook.create_sheet(GUIDE_SHEET)
    rows: list[tuple[str, str]] = [
        ("Tài khoản", account.name),
        ("Số dòng sản phẩm", str(count)),
        ("", ""),
        ("Cột", "Yêu cầu của Voso"),
        *GUIDE,
    ]
    for row, values in enumerate(rows, start=1):
        _write_row(guide, row, values)
    guide["A4"].font = guide["B4"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 80


def export_feed(listings: Sequence[Listing], account: Account, path: Path) -> None:
    """Write `listings` as a Voso bulk-upload XLSX at `path` (one row per listing)."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    _product_sheet(sheet, listings)
    _guide_sheet(workbook, account, len(listings))
    workbook.properties.title = f"Voso bulk upload – {account.name}"
    workbook.properties.creator = "ocop-sync"
    path = Path(path)
    # Write beside the target and rename, so a half-written file is never picked up.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
