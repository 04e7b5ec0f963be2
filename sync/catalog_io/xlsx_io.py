"""XLSX workbooks (openpyxl): the first worksheet holds the flat layout.

Imported only where an XLSX file is read or written, never with the package: openpyxl
is ~13 MB of memory that a process syncing from a CSV or JSON catalog would carry for
nothing (each Celery pool process included)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from sync.catalog import Catalog
from sync.catalog_io.flat_read import Table
from sync.catalog_io.guide import Lang
from sync.catalog_io.results import CatalogFileError
from sync.catalog_io.workbook import workbook_bytes

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx)


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


def xlsx_bytes(catalog: Catalog, lang: Lang = "en") -> bytes:
    """The catalog as the keeper's workbook (workbook.py): drop-down lists, instructions,
    autofilter, frozen header, text cells for codes."""
    return workbook_bytes(catalog, lang)
