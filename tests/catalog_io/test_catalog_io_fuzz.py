"""Property tests: arbitrary cells, headers and bytes never raise anything but CatalogFileError."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from catalog_io_factory import HEADER, csv_text, flat_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sync.catalog_io import CatalogFileError, LoadResult, load_catalog
from sync.catalog_io.columns import COLUMNS

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Canonical names, one Vietnamese alias each, a blank header and an unknown one.
HEADERS = [*HEADER, *(column.aliases[0] for column in COLUMNS if column.aliases), "", "Màu"]

# Cells people (and Excel) put in catalog sheets, plus hostile ones.
TEXT = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789.,;- ₫đ*★saoSAOg kgml", max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "45,5",
            "45.000",
            "4 sao",
            "★★★",
            "15/10/2021",
            "2021-02-30",
            "500 g",
            "Hợp tác xã",
            "Mie\u0302\u0301n dong",
            "\u0301",
            "=1+1",
            '"',
            "a;b;c",
            "\r\n",
            "NaN",
            "1e309",
            "BK-MD-01-500G",
            "P1",
        ]
    ),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(min_value=-1e300, max_value=1e300),  # XLSX (XML) cannot hold inf or NaN
    st.booleans(),
)
XLSX_CELLS = st.one_of(
    st.none(),
    TEXT.map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),  # openpyxl refuses these on write
    NUMBERS,
    st.dates(min_value=date(1900, 3, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1)),
    st.times(),
)


@st.composite
def mutated_rows(draw: st.DrawFn, cells: st.SearchStrategy[Any]) -> list[dict[str, Any]]:
    """Valid rows (some sharing a product SKU) with a few cells replaced by random ones."""
    rows = []
    for index in range(draw(st.integers(0, 4))):
        row = flat_row(draw(st.sampled_from(["P1", "P2", f"P{index}"])))
        for column in draw(st.lists(st.sampled_from(HEADER), max_size=6)):
            row[column] = draw(cells)
        rows.append(row)
    return rows


def check(path: Path) -> LoadResult | None:
    """Load `path`; only CatalogFileError may escape, and a result must be self-consistent."""
    try:
        result = load_catalog(path)
    except CatalogFileError:
        return None
    assert len(result.catalog) <= result.rows
    assert result.ok == (not result.errors)
    for error in result.errors:
        assert error.file == str(path)
        assert str(error).startswith(str(path))
        assert "errors.pydantic.dev" not in error.message
    return result


@FUZZ
@given(
    rows=mutated_rows(TEXT),
    delimiter=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_csv_random_cells(
    tmp_path: Path, rows: list[dict[str, Any]], delimiter: str, encoding: str
) -> None:
    path = tmp_path / "fuzz.csv"
    # "replace": lone surrogates from st.text() cannot be written as UTF-8 by anyone.
    path.write_bytes(csv_text(rows, delimiter=delimiter).encode(encoding, errors="replace"))
    check(path)


@FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS) | st.text(max_size=8), max_size=12),
    rows=st.lists(st.lists(TEXT, max_size=14), max_size=5),
)
def test_csv_random_headers_and_rows(
    tmp_path: Path, header: list[str], rows: list[list[str]]
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(out.getvalue().encode("utf-8", errors="replace"))
    check(path)


@FUZZ
@given(
    content=st.binary(max_size=300)
    | st.text(max_size=300).map(lambda s: s.encode("utf-8", "replace")),
    suffix=st.sampled_from([".csv", ".xlsx", ".json"]),
)
def test_random_bytes(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    check(path)


@FUZZ
@given(
    rows=mutated_rows(XLSX_CELLS),
    shuffled=st.booleans(),
    stray=st.lists(XLSX_CELLS, max_size=len(HEADER) + 3),
    data=st.data(),
)
def test_xlsx_random_cells(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    shuffled: bool,
    stray: list[Any],
    data: st.DataObject,
) -> None:
    header = data.draw(st.permutations(HEADER)) if shuffled else HEADER
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    sheet.append(stray)  # a row of random cells, possibly beyond the header
    path = tmp_path / "fuzz.xlsx"
    workbook.save(path)
    check(path)


@FUZZ
@given(rows=mutated_rows(TEXT))
def test_good_rows_survive_bad_neighbours(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    # A product untouched by the fuzzing, with its own SKUs, must always load.
    anchor = flat_row("ANCHOR")
    path = tmp_path / "fuzz.csv"
    content = csv_text([anchor, *rows]).encode("utf-8", errors="replace")
    path.write_bytes(content)
    result = check(path)
    if result is None:
        assert b"\x00" in content  # the only way good rows can make the file unreadable
        return
    assert "ANCHOR" in result.catalog.by_sku()
