"""`ocop-sync validate` run as the real console script, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from catalog_io_factory import HEADER, flat_row, rich_catalog, write_csv, write_xlsx

from sync.catalog_io import export_catalog


def _script() -> str:
    beside = Path(sys.executable).parent / "ocop-sync"
    found = str(beside) if beside.exists() else shutil.which("ocop-sync")
    if found is None:  # pragma: no cover - the package is installed in the venv
        pytest.skip("ocop-sync console script not installed")
    return found


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    result = subprocess.run(
        [_script(), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    return result


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    rows = [
        flat_row("BK-1"),
        flat_row("BK-2", price="45,5"),
        flat_row("BK-3", stars="3", score="55"),
    ]
    return write_csv(tmp_path / "bad.csv", rows)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_valid_catalog_exits_0(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"catalog.{fmt}"
    export_catalog(rich_catalog(), path)
    result = run("validate", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every row is valid" in result.stdout
    assert "valid products" in result.stdout


def test_valid_catalog_json_summary(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    export_catalog(rich_catalog(), path)
    result = run("validate", path, "--json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert {k: document[k] for k in ("products", "variants", "by_stars", "errors")} == {
        "products": 3,
        "variants": 5,
        "by_stars": {"5": 1, "4": 1, "3": 0, "2": 1},
        "errors": [],
    }
    assert not [w for w in document["warnings"] if w["kind"] == "formula"]
    # Valid rows whose products are never listed (here an expired certificate and an
    # expired rating): one warning per variant, counted.
    not_listed = [w for w in document["warnings"] if w["kind"] == "not_listable"]
    assert not_listed and all(w["message"].startswith("will not be listed: ") for w in not_listed)
    assert document["counts"]["not_listable"] == len(not_listed)


def test_invalid_rows_exit_1_with_one_line_per_error(bad_csv: Path) -> None:
    result = run("validate", bad_csv)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{bad_csv}:3:price: '45,5': ")  # one line, never wrapped
    assert lines[0].endswith("[SKU BK-2-500G]")
    assert "1 error(s) in 1 row(s)" in result.stdout
    assert result.stderr == ""


def test_invalid_rows_json_output_is_exactly_the_summary(bad_csv: Path) -> None:
    result = run("validate", bad_csv, "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)  # nothing but JSON on stdout
    assert document["products"] == 2 and document["variants"] == 2
    assert document["by_stars"] == {"5": 1, "4": 0, "3": 1}
    assert len(document["errors"]) == 1
    error = document["errors"][0]
    assert set(error) == {"file", "row", "column", "sku", "message"}
    assert (error["file"], error["row"], error["column"], error["sku"]) == (
        str(bad_csv),
        3,
        "price",
        "BK-2-500G",
    )


def test_xlsx_with_vietnamese_header_error(tmp_path: Path) -> None:
    headers = [
        "Mã sản phẩm" if h == "product_sku" else "Giá (VNĐ)" if h == "price" else h for h in HEADER
    ]
    path = write_xlsx(tmp_path / "c.xlsx", [flat_row(price=45000.5)], headers=headers)
    result = run("validate", path, "--json")
    assert result.returncode == 1
    assert [(e["row"], e["column"]) for e in json.loads(result.stdout)["errors"]] == [
        (2, "Giá (VNĐ)")
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("random.xlsx", os.urandom(1024), "not an XLSX workbook"),
        ("empty.csv", b"", "empty file"),
        ("broken.json", b"{", "not valid JSON"),
        ("catalog.txt", b"hello", "unsupported catalog format"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_unreadable_file_exits_2_with_message_on_stderr(
    tmp_path: Path, name: str, content: bytes, reason: str, as_json: bool
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run("validate", path, *(["--json"] if as_json else []))
    assert result.returncode == 2
    assert reason in result.stderr
    assert result.stdout == ""


def test_missing_required_column_exits_2_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [flat_row()], columns=[h for h in HEADER if h != "price"])
    result = run("validate", path)
    assert result.returncode == 2
    assert "missing required column(s): price" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nope.csv")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


@pytest.mark.parametrize("args", [("validate",), ("validate", "a.csv", "--bogus")])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""


def test_help_lists_validate() -> None:
    result = run("validate", "--help")
    assert result.returncode == 0
    assert "--json" in result.stdout
