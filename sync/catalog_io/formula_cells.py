"""Cells of a CSV/XLSX catalog whose text a spreadsheet would evaluate as a formula.

They are loaded as text like any other (a title may well start with '-'), and every file
ocop-sync writes keeps them inert (sync.formula_text); `validate` still warns, because such a
cell in a catalog someone shares is how formula injection reaches the next person who opens
it, and because it is rarely what the catalog keeper meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sync.catalog_io.csv_io import CsvRows, read_csv
from sync.catalog_io.flat_read import Row
from sync.catalog_io.formats import format_of
from sync.catalog_io.results import CatalogFileError, RowError
from sync.formula_text import looks_like_formula

LIMIT = 200  # warnings listed per file; a catalog full of them needs one look, not 100k


def formula_cells(path: Path | str, limit: int = LIMIT) -> list[RowError]:
    """One warning per formula-like text cell (file, row, column as headed, the reason), in
    file order; [] for JSON catalogs. Raises CatalogFileError like the loaders."""
    source, file = Path(path), str(path)
    fmt = format_of(source)
    if fmt == "json":
        return []
    if fmt == "csv":
        table = read_csv(source, file)
        rows: Iterable[Row] = table.rows.raw() if isinstance(table.rows, CsvRows) else table.rows
    else:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CatalogFileError(file, f"cannot read: {exc.strerror or exc}") from None
        from sync.catalog_io.xlsx_io import read_xlsx  # openpyxl only for XLSX

        table = read_xlsx(data, file)
        rows = table.rows
    header = [str(name).strip() if name is not None else "" for name in table.header]
    found: list[RowError] = []
    for number, values in rows:
        for index, value in enumerate(values):
            if isinstance(value, str) and looks_like_formula(value):
                column = header[index] if index < len(header) else f"column {index + 1}"
                found.append(RowError(file, number, column or None, None, _reason(value)))
                if len(found) >= limit:
                    return found
    return found


def _reason(value: str) -> str:
    shown = value if len(value) <= 40 else value[:39] + "…"
    return (
        f"warning: {shown!r} starts with {value[:1]!r}, which spreadsheets "
        "evaluate as a formula; ocop-sync writes it as text, check it is meant"
    )
