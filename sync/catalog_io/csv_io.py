"""CSV files: UTF-8 with or without BOM, ';' or ',' delimiter (sniffed from the header)."""

from __future__ import annotations

import csv
import io
from datetime import date

from sync.catalog import Catalog
from sync.catalog_io.flat_read import Table
from sync.catalog_io.flat_write import Cell, catalog_rows
from sync.catalog_io.results import CatalogFileError


def _delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    # Excel in Vietnamese (and most European) locales saves CSV with ';'.
    return ";" if header.count(";") > header.count(",") else ","


def read_csv(data: bytes, file: str) -> Table:
    """Parse CSV bytes into a Table (CatalogFileError if not UTF-8 text, empty or malformed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogFileError(
            file, f"not UTF-8 text (byte {exc.start}); save the sheet as 'CSV UTF-8'"
        ) from None
    if "\x00" in text:
        # NUL never occurs in CSV text: this is UTF-16 ("Unicode Text") or a binary file.
        raise CatalogFileError(
            file, "not a CSV text file (contains NUL bytes); save the sheet as 'CSV UTF-8'"
        )
    if not text.strip():
        raise CatalogFileError(file, "empty file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    header: list[object] | None = None
    header_row = 0
    rows: list[tuple[int, list[object]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue  # blank lines keep their number but are not data
            if header is None:
                header, header_row = list(record), number
            else:
                rows.append((number, list(record)))
    except csv.Error as exc:
        raise CatalogFileError(file, f"malformed CSV: {exc}") from None
    if header is None:
        raise CatalogFileError(file, "empty file (no header row)")
    return Table(file=file, header_row=header_row, header=header, rows=rows)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    return str(value)


def csv_bytes(catalog: Catalog) -> bytes:
    """The catalog as CSV: UTF-8 with BOM (so Excel shows Vietnamese right), ',' delimiter."""
    header, rows = catalog_rows(catalog)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_text(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
