"""Text that a spreadsheet would take for a formula ("CSV injection", "formula injection").

A catalog title such as ``=HYPERLINK("http://…","Trà")`` or ``@SUM(1+1)`` is data for us,
but Excel, LibreOffice and Google Sheets evaluate a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, in CSV, after a tab or carriage return). Every file ocop-sync writes
keeps such text inert:

- XLSX: the cell is a string cell (`inert_xlsx_cell`), never a formula cell;
- CSV: as the OWASP "CSV Injection" guidance says, every field is quoted and a field that
  starts with one of those characters gets a leading apostrophe (`escape_csv`), which the
  spreadsheet shows as text; our CSV reader removes it again (`unescape_csv`), so an
  exported catalog reads back unchanged.

`validate` warns about such cells (see `sync.catalog_io.formula_cells`).
"""

from __future__ import annotations

import re
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
# A plain number ("-5", "+84 912", "1.200") is a number to a spreadsheet too, not a formula.
_NUMBER = re.compile(r"[-+]?[0-9][0-9 .,]*")


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would evaluate `text` typed into a cell (not plain numbers)."""
    return text.startswith(TRIGGERS) and not _NUMBER.fullmatch(text)


def escape_csv(text: str) -> str:
    """`text` for a CSV field: a leading apostrophe when it starts like a formula (or when
    it already starts with an apostrophe that `unescape_csv` would remove)."""
    if text.startswith(TRIGGERS) or (text.startswith(_QUOTE) and _escaped(text)):
        return _QUOTE + text
    return text


def unescape_csv(text: str) -> str:
    """The text `escape_csv` was given: its leading apostrophe removed, if it added one."""
    return text[1:] if _escaped(text) else text


def _escaped(text: str) -> bool:
    return text.startswith(_QUOTE) and (
        text[1:2] in TRIGGERS or (text[1:2] == _QUOTE and _escaped(text[1:]))
    )


def inert_xlsx_cell(cell: Any) -> None:
    """Make an openpyxl cell holding text a string cell (openpyxl types '=…' as formula)."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
