"""The catalog workbook people fill in: the flat layout with drop-down lists, an instructions
sheet, an autofilter, a frozen header and text cells for codes. `ocop-sync template` writes
it empty (or with the sample); exporting a catalog to .xlsx writes the same workbook.

Sheets: the catalog (first: the importer reads the first sheet), the instructions
("Hướng dẫn"), and the hidden lists the drop-downs read (OCOP groups per criteria version).
"""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sync.catalog import Catalog
from sync.catalog_io.flat_write import catalog_rows, exported
from sync.catalog_io.guide import (
    ENUM_COLUMNS,
    HELP,
    TEXT_COLUMNS,
    Lang,
    choices,
    header,
    units,
)
from sync.formula_text import inert_xlsx_cell
from sync.ocop import GROUPS, CriteriaVersion

TITLES = {
    "vi": ("Danh mục", "Hướng dẫn", "Danh sách"),
    "en": ("catalog", "Instructions", "Lists"),
}
# Drop-down lists and text formats cover this many rows below the data, for new products.
SPARE_ROWS = 1000
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_INTRO = {
    "vi": [
        "Mỗi dòng là một biến thể (quy cách) của sản phẩm; các dòng cùng Mã sản phẩm là một "
        "sản phẩm và phải giống nhau ở các cột của sản phẩm.",
        "Cột tô cam là bắt buộc. Ô có danh sách: bấm mũi tên để chọn. Kiểm tra tệp bằng: "
        "ocop-sync validate <tệp>.",
    ],
    "en": [
        "One row per variant (package size); rows with the same product SKU are one product "
        "and must agree on the product columns.",
        "Orange columns are required. Cells with a list: click the arrow to pick. Check the "
        "file with: ocop-sync validate <file>.",
    ],
}
_GUIDE_HEADERS = {
    "vi": ("Cột", "Bắt buộc", "Cách điền", "Giá trị chọn"),
    "en": ("Column", "Required", "How to fill it in", "Values"),
}


def _list_validation(values: list[str], lang: Lang) -> DataValidation:
    # An inline list ("a,b,c") is limited to 255 characters; every list here is shorter.
    formula = '"' + ",".join(values) + '"'
    return DataValidation(type="list", formula1=formula, allow_blank=True)


def _validations(names: list[str], lang: Lang, last_row: int, lists: str) -> list[DataValidation]:
    letter = {name: get_column_letter(i) for i, name in enumerate(names, start=1)}
    rules: list[tuple[str, DataValidation]] = []
    for name in ENUM_COLUMNS:
        rules.append((name, _list_validation(choices(name, lang), lang)))
    rules.append(("stars", _list_validation(["5", "4", "3"], lang)))
    versions = [v.value for v in CriteriaVersion]
    rules.append(("criteria_version", _list_validation(versions, lang)))
    rules.append(("net_unit", _list_validation(units(lang), lang)))
    if "criteria_version" in letter:
        # The groups of the criteria version typed on the same row (148/2023 when blank).
        column = f"${letter['criteria_version']}2"
        span = f"{lists}!$A$1:${get_column_letter(len(versions))}$1"
        default = versions.index(CriteriaVersion.QD148_2023.value)
        formula = (
            f"OFFSET({lists}!$A$2,0,IFERROR(MATCH({column},{span},0)-1,{default}),"
            f"{max(len(g) for g in GROUPS.values())},1)"
        )
        rules.append(("group", DataValidation(type="list", formula1=formula, allow_blank=True)))
    found = []
    for name, validation in rules:
        if name not in letter:
            continue
        _, vi, en = HELP[name]
        validation.error = vi if lang == "vi" else en
        validation.errorTitle = header(name, lang)
        # A warning, not a stop: the importer accepts more spellings than the list shows.
        validation.errorStyle = "warning"
        validation.showErrorMessage = True
        validation.add(f"{letter[name]}2:{letter[name]}{last_row}")
        found.append(validation)
    return found


def _fill_catalog(sheet: Worksheet, catalog: Catalog, lang: Lang) -> list[str]:
    header_row, rows = catalog_rows(catalog, lang)
    names = [column.name for column in exported(lang)]
    sheet.append(header_row)
    for row in rows:
        sheet.append(row)
    for index, name in enumerate(names, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = _REQUIRED_FILL if HELP[name][0] else _HEADER_FILL
        letter = get_column_letter(index)
        width = len(str(cell.value))
        for data in sheet[letter][1:]:
            value = data.value
            if isinstance(value, float) and float(f"{value:.16g}") != value:
                # openpyxl writes 16 significant digits; keep the exact value as text instead.
                data.value = value = repr(value)
            inert_xlsx_cell(data)  # catalog text, never a formula for Excel to evaluate
            if isinstance(value, date | datetime):
                data.number_format = "dd/mm/yyyy"
            if name in TEXT_COLUMNS:
                data.number_format = "@"
            width = max(width, min(len(str(value or "")), 60))
        sheet.column_dimensions[letter].width = min(width, 60) + 2
    return names


def _text_columns(sheet: Worksheet, names: list[str]) -> None:
    # The column's own format covers the empty rows below the data, so a GTIN typed there
    # keeps its leading zeros and a phone number its 0 (no empty cells are written).
    for index, name in enumerate(names, start=1):
        if name in TEXT_COLUMNS:
            sheet.column_dimensions[get_column_letter(index)].number_format = "@"


def _fill_guide(sheet: Worksheet, names: list[str], lang: Lang) -> None:
    for line in _INTRO[lang]:
        sheet.append([line])
    sheet.append([])
    sheet.append(list(_GUIDE_HEADERS[lang]))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    yes, no = ("có", "không") if lang == "vi" else ("yes", "no")
    for name in names:
        required, vi, en = HELP[name]
        values = ""
        if name in ENUM_COLUMNS:
            values = ", ".join(choices(name, lang))
        elif name == "net_unit":
            values = ", ".join(units(lang))
        elif name == "stars":
            values = "3, 4, 5"
        elif name == "criteria_version":
            values = ", ".join(v.value for v in CriteriaVersion)
        sheet.append(
            [header(name, lang), yes if required else no, vi if lang == "vi" else en, values]
        )
    for letter, width in zip("ABCD", (32, 10, 90, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _fill_lists(sheet: Worksheet) -> None:
    versions = list(CriteriaVersion)
    sheet.append([v.value for v in versions])
    for index in range(max(len(g) for g in GROUPS.values())):
        sheet.append([GROUPS[v][index] if index < len(GROUPS[v]) else None for v in versions])
    sheet.sheet_state = "hidden"


def workbook_bytes(catalog: Catalog, lang: Lang = "vi") -> bytes:
    """The catalog workbook in `lang` (an empty catalog: the blank template)."""
    catalog_title, guide_title, lists_title = TITLES[lang]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = catalog_title
    names = _fill_catalog(sheet, catalog, lang)
    data_rows = sheet.max_row - 1
    last_row = data_rows + 1 + SPARE_ROWS
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(names))}{max(data_rows + 1, 2)}"
    _text_columns(sheet, names)
    lists = workbook.create_sheet(lists_title)
    _fill_lists(lists)
    for validation in _validations(names, lang, last_row, quote_sheetname(lists_title)):
        sheet.add_data_validation(validation)
    guide = workbook.create_sheet(guide_title, index=1)
    _fill_guide(guide, names, lang)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
