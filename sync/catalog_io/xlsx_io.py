"""XLSX workbooks (openpyxl): the first worksheet holds the flat layout."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sync.catalog import Catalog
from sync.catalog_io.flat_read import Table
from sync.catalog_io.flat_write import catalog_rows
from sync.catalog_io.results import CatalogFileError
from sync.formula_text import inert_xlsx_cell

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx)
_SHEET_TITLE = "catalog"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_xlsx(data: bytes, file: str) -> Table:
    """Parse XLSX bytes into a Table; header is the first non-blank row of the first sheet."""
    if not data:
        raise CatalogFileError(file, "empty file")
    if data.startswith(_OLE_MAGIC):
        raise CatalogFileError(
            file, "legacy .xls or password-protected workbook; save it as an unprotected .xlsx"
        )
    if not data.startswith(_ZIP_MAGIC):
        raise CatalogFileError(file, "not an XLSX workbook (the content is not a zip package)")
    try:
        # Not read-only mode: it reports the true row numbers and merged cells as blank.
        workbook = load_workbook(io.BytesIO(data), data_only=True)
        sheet = workbook.worksheets[0]
        values: list[list[object]] = [
            list(row) for row in sheet.iter_rows(min_row=1, values_only=True)
        ]
        workbook.close()
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        raise CatalogFileError(file, f"not a readable XLSX workbook ({exc})") from None
    header: list[object] | None = None
    header_row = 0
    rows: list[tuple[int, list[object]]] = []
    for number, row in enumerate(values, start=1):
        if all(_blank(cell) for cell in row):
            continue
        if header is None:
            header, header_row = row, number
        else:
            rows.append((number, row))
    if header is None:
        raise CatalogFileError(file, "empty workbook (the first sheet has no rows)")
    return Table(file=file, header_row=header_row, header=header, rows=rows)


def xlsx_bytes(catalog: Catalog) -> bytes:
    """The catalog as an XLSX workbook: bold frozen header, readable column widths."""
    header, rows = catalog_rows(catalog)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = _SHEET_TITLE
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        width = len(name)
        for cell in sheet[letter][1:]:
            value = cell.value
            if isinstance(value, float) and float(f"{value:.16g}") != value:
                # openpyxl writes 16 significant digits; keep the exact value as text instead.
                cell.value = value = repr(value)
            inert_xlsx_cell(cell)  # catalog text, never a formula for Excel to evaluate
            if isinstance(value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
            width = max(width, min(len(str(value or "")), 60))
        sheet.column_dimensions[letter].width = width + 2
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
