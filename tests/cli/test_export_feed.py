"""`ocop-sync export-feed`, run as the real console script on a temp config and catalog."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.registry import REGISTRY
from connectors.voso.feed import HEADERS, SHEET
from sync.catalog import Catalog, Product
from sync.catalog_io import export_catalog
from tests.factories import make_product, product_data

SCRIPT = Path(sys.executable).parent / "ocop-sync"

CONFIG = """
[[accounts]]
name = "voso-backan"
marketplace = "voso"
base_url = "https://partner.voso.example"
default_category = "1001"

[accounts.categories]
"Đồ uống" = "1003"

[accounts.price]
markup_percent = "10"
round_to = 1000

[[accounts]]
name = "other"
marketplace = "{other}"
base_url = "https://other.example"
"""


def _expired(sku: str) -> Product:
    certificate = {**product_data()["certificate"], "decision_date": "2020-01-10"}
    return make_product(sku, certificate=certificate)


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_SYNC_")}
    env["COLUMNS"] = "200"  # keep rich from wrapping the lines the tests read
    return subprocess.run(
        [str(SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    other = next((name for name, c in REGISTRY.items() if c.feed_exporter is None), "voso")
    path = tmp_path / "ocop-sync.toml"
    path.write_text(CONFIG.format(other=other), encoding="utf-8")
    return path


def _catalog(tmp_path: Path, *products: Product, name: str = "catalog.xlsx") -> Path:
    path = tmp_path / name
    export_catalog(Catalog(products=list(products)), path)
    return path


def _rows(path: Path) -> list[tuple[object, ...]]:
    return list(load_workbook(path)[SHEET].iter_rows(values_only=True))


def test_writes_one_row_per_listable_variant(tmp_path: Path, config: Path) -> None:
    catalog = _catalog(
        tmp_path,
        make_product("BK-NGHE"),
        make_product(
            "BK-CHE",
            name="Chè Shan tuyết Nà Rì",
            ocop={"group": "Đồ uống", "stars": 4, "score": 80},
        ),
        _expired("BK-CU-MAI"),
    )
    out = tmp_path / "voso.xlsx"
    result = _run(
        tmp_path,
        "export-feed",
        "--account",
        "voso-backan",
        "--catalog",
        str(catalog),
        "-o",
        str(out),
        "--config",
        str(config),
    )
    assert result.returncode == 1, result.stderr  # BK-CU-MAI left out (expired), as --help says
    rows = _rows(out)
    assert rows[0] == tuple(HEADERS)
    assert [row[0] for row in rows[1:]] == [
        "BK-NGHE-100G",
        "BK-NGHE-500G",
        "BK-CHE-100G",
        "BK-CHE-500G",
    ]
    by_sku = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    assert by_sku["BK-CHE-100G"]["Tên sản phẩm"] == "Chè Shan tuyết Nà Rì - hũ 100 g (OCOP 4 sao)"
    assert by_sku["BK-CHE-100G"]["Mã danh mục"] == "1003"
    assert by_sku["BK-NGHE-100G"]["Mã danh mục"] == "1001"
    assert by_sku["BK-NGHE-100G"]["Giá bán (VNĐ)"] == 94_000  # 85.000 + 10%, rounded
    assert "not listable: BK-CU-MAI (certificate expired on 2023-01-10)" in result.stdout
    assert "Wrote 4 listing(s) of 2 product(s)" in result.stdout


def test_listings_with_errors_are_left_out_and_reported(tmp_path: Path, config: Path) -> None:
    catalog = _catalog(
        tmp_path, make_product("BK-NGHE"), make_product("BK-LONG", name="Mật ong rừng " * 9)
    )
    out = tmp_path / "voso.xlsx"
    result = _run(
        tmp_path,
        "export-feed",
        "-a",
        "voso-backan",
        "--catalog",
        str(catalog),
        "-o",
        str(out),
        "-c",
        str(config),
    )
    assert result.returncode == 1, result.stderr
    assert [row[0] for row in _rows(out)[1:]] == ["BK-NGHE-100G", "BK-NGHE-500G"]
    assert "left out BK-LONG-100G: name: Tên sản phẩm vượt quá 120 ký tự" in result.stderr
    assert "left out 2 listing(s) with errors" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "nobody"], "no account named 'nobody'"),
        (["-a", "voso-backan", "--catalog", "missing.csv"], "missing.csv"),
        (["-a", "voso-backan", "--config", "nowhere.toml"], "configuration file not found"),
    ],
)
def test_usage_errors_exit_2_with_a_message(
    tmp_path: Path, config: Path, args: list[str], message: str
) -> None:
    catalog = _catalog(tmp_path, make_product("BK-NGHE"))
    base = ["export-feed", "--catalog", str(catalog), "--config", str(config), "-o", "out.xlsx"]
    result = _run(tmp_path, *base, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_marketplace_without_a_feed_exits_2(tmp_path: Path, config: Path) -> None:
    if all(c.feed_exporter is not None for c in REGISTRY.values()):
        pytest.skip("every registered marketplace has a bulk-upload file")
    catalog = _catalog(tmp_path, make_product("BK-NGHE"))
    result = _run(
        tmp_path,
        "export-feed",
        "-a",
        "other",
        "--catalog",
        str(catalog),
        "-o",
        "out.xlsx",
        "--config",
        str(config),
    )
    assert result.returncode == 2 and "has no bulk-upload file" in result.stderr
