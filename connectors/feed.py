"""Bulk-upload XLSX files for marketplaces' web seller portals: what every feed shares.

A connector's `feed.py` declares its columns (Vietnamese header, value, width, format) and
calls `write_xlsx_feed`; this module does the workbook: bold wrapped headers, widths, frozen
header row, text that stays text, an optional guide sheet, and an atomic save.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from connectors.base import Listing
from sync.formula_text import inert_xlsx_cell

TEXT = "@"  # Excel's text format: SKUs and GTINs keep their leading zeros when edited
VND = "#,##0"
DAY = "DD/MM/YYYY"


Cell = Callable[[Listing], Any]


def content_at(*keys: str) -> Cell:
    """The listing content's value at content[k1][k2]…; None anywhere gives an empty cell."""

    def value(listing: Listing) -> Any:
        current: Any = listing.content
        for key in keys:
            current = current.get(key) if isinstance(current, dict) else None
        return current

    return value


def iso_day(*keys: str) -> Cell:
    """An ISO date string in the content, as a real date cell."""

    def value(listing: Listing) -> date | None:
        raw = content_at(*keys)(listing)
        return date.fromisoformat(raw) if raw else None

    return value


def image_at(index: int) -> Cell:
    """The listing's image number `index` (0-based), or an empty cell."""

    def value(listing: Listing) -> str | None:
        images = listing.content.get("images") or []
        return images[index] if index < len(images) else None

    return value


@dataclass(frozen=True)
class Column:
    """One feed column: its header, how to read the value off a listing, width, format."""

    header: str
    value: Callable[[Listing], Any]
    width: int = 16
    number_format: str | None = None


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters; a catalog description may carry some.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _write_row(sheet: Worksheet, row: int, values: Sequence[Any]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=_cell_value(value))
        # Text that looks like a formula stays text: a listing title is never executed.
        inert_xlsx_cell(cell)


def _bold_header(sheet: Worksheet) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_xlsx_feed(
    path: Path,
    listings: Sequence[Listing],
    columns: Sequence[Column],
    *,
    sheet_title: str = "Sản phẩm",
    guide: Sequence[tuple[str, str]] = (),
    guide_title: str = "Hướng dẫn",
    title: str = "",
) -> None:
    """Write one row per listing under a header row, plus a two-column guide sheet if given."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = sheet_title
    _write_row(sheet, 1, [column.header for column in columns])
    _bold_header(sheet)
    for row, listing in enumerate(listings, start=2):
        _write_row(sheet, row, [column.value(listing) for column in columns])
        for index, column in enumerate(columns, start=1):
            if column.number_format:
                sheet.cell(row=row, column=index).number_format = column.number_format
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "B2"
    if guide:
        page = workbook.create_sheet(guide_title)
        for row, pair in enumerate(guide, start=1):
            _write_row(page, row, pair)
        _bold_header(page)
        page.column_dimensions["A"].width = 28
        page.column_dimensions["B"].width = 90
    workbook.properties.title = title or sheet_title
    workbook.properties.creator = "ocop-sync"
    save_atomically(workbook, Path(path))


def save_atomically(workbook: Workbook, path: Path) -> None:
    """Save beside the target and rename, so a half-written file is never picked up."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
