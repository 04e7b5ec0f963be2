"""Bad rows and bad files: exact rows/columns named, good rows still load, one exception type."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from catalog_io_factory import HEADER, flat_row, product_data, write_csv, write_xlsx

from sync.catalog_io import CatalogFileError, LoadResult, RowError, load_catalog


def bad_rows() -> list[dict[str, Any]]:
    """Rows 2..9 as the user sees them: three good products (one NFD), five bad rows."""
    nfd = {key: unicodedata.normalize("NFD", value) for key, value in flat_row("BK-NFD").items()}
    return [
        flat_row("BK-01"),  # row 2: good
        flat_row("BK-01", "BK-01-1KG", net_quantity="1 kg", price="85 000 ₫"),  # row 3: good
        nfd,  # row 4: good, NFD text
        flat_row("BK-02", price="45,5"),  # row 5: decimal price
        flat_row("BK-03", group="Nông sản"),  # row 6: unknown group
        flat_row("BK-04", gtin="8930000000018"),  # row 7: bad check digit
        flat_row("BK-05", "BK-DUP"),  # row 8: duplicate variant SKU ...
        flat_row("BK-06", "BK-DUP"),  # row 9: ... used again
        flat_row("BK-07", stars="4 sao", score=""),  # row 10: good
    ]


EXPECTED = [
    (5, "price", "BK-02-500G"),
    (6, "group", "BK-03"),
    (7, "gtin", "BK-04-500G"),
    (8, "variant_sku", "BK-DUP"),
    (9, "variant_sku", "BK-DUP"),
]


def check_bad_rows(result: LoadResult, file: Path) -> None:
    assert [(e.row, e.column, e.sku) for e in result.errors] == EXPECTED
    assert all(e.file == str(file) for e in result.errors)
    assert result.rows == 9
    assert not result.ok
    assert [p.sku for p in result.catalog] == ["BK-01", "BK-NFD", "BK-07"]
    assert sum(1 for _ in result.catalog.variants()) == 4
    nfd_product = result.catalog.by_sku()["BK-NFD"]
    assert nfd_product.name == "Miến dong Tài Hoan"
    assert unicodedata.is_normalized("NFC", nfd_product.address.as_printed)
    assert "rows 8 and 9" in result.errors[3].message and "rows 8 and 9" in result.errors[4].message
    for error in result.errors:
        assert "pydantic" not in error.message and "https://errors" not in error.message


def test_bad_rows_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_rows(), delimiter=";", bom=True)
    check_bad_rows(load_catalog(path), path)


def test_bad_rows_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", bad_rows())
    check_bad_rows(load_catalog(path), path)


def test_row_error_str_format(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_rows())
    first = str(load_catalog(path).errors[0])
    assert first.startswith(f"{path}:5:price: '45,5': ")
    assert first.endswith("[SKU BK-02-500G]")
    assert str(RowError("a.csv", None, None, None, "boom")) == "a.csv: boom"
    assert str(RowError("a.csv", 1, "Màu", None, "unknown column")) == "a.csv:1:Màu: unknown column"


def test_duplicate_variant_within_one_product(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [flat_row(), flat_row(), flat_row("BK-2")])
    result = load_catalog(path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "variant_sku"), (3, "variant_sku")]
    assert [p.sku for p in result.catalog] == ["BK-2"]


def test_variant_sku_equal_to_another_product_sku(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "dup.csv", [flat_row("BK-1"), flat_row("BK-2", "BK-1"), flat_row("BK-3")]
    )
    result = load_catalog(path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "product_sku"), (3, "variant_sku")]
    assert [p.sku for p in result.catalog] == ["BK-3"]


def test_variant_may_reuse_its_own_product_sku(tmp_path: Path) -> None:
    result = load_catalog(write_csv(tmp_path / "c.csv", [flat_row("BK-1", "BK-1")]))
    assert result.ok


def test_missing_product_sku_cell(tmp_path: Path) -> None:
    result = load_catalog(
        write_csv(tmp_path / "c.csv", [flat_row(product_sku=""), flat_row("BK-2")])
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "product_sku")]
    assert len(result.catalog) == 1


def test_several_errors_in_one_row_are_all_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [flat_row(price="1,5", stock="nhiều", name="")])
    columns = {e.column for e in load_catalog(path).errors}
    assert columns == {"price", "stock", "name"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_missing_required_column_is_a_file_error_naming_it(tmp_path: Path, fmt: str) -> None:
    columns = [name for name in HEADER if name not in ("price", "stock")]
    writer = write_csv if fmt == "csv" else write_xlsx
    path = writer(tmp_path / f"c.{fmt}", [flat_row()], columns=columns)
    with pytest.raises(
        CatalogFileError, match=r"missing required column\(s\): price \(Giá \(VNĐ\)\), stock"
    ):
        load_catalog(path)


def test_duplicate_column_is_a_file_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", [flat_row()], columns=[*HEADER, "price"], headers=[*HEADER, "Giá (VNĐ)"]
    )
    with pytest.raises(CatalogFileError, match="both mean price"):
        load_catalog(path)


def test_unrecognised_header_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("hello,world\n1,2\n", encoding="utf-8")
    with pytest.raises(CatalogFileError, match="no recognised header row"):
        load_catalog(path)


def test_values_without_header(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    text = write_csv(tmp_path / "ok.csv", [flat_row()]).read_text(encoding="utf-8").splitlines()
    path.write_text(f"{text[0]}\n{text[1]},surprise\n", encoding="utf-8")
    result = load_catalog(path)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (1, f"column {len(HEADER) + 1}", "has values but no header")
    ]


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx", "empty.json"])
@pytest.mark.parametrize("content", [b"", b"  \r\n\n"])
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CatalogFileError, match=r"empty|not an XLSX"):
        load_catalog(path)


def test_empty_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", [], columns=[], headers=[])
    with pytest.raises(CatalogFileError, match="empty workbook"):
        load_catalog(path)


def test_header_only_file_is_an_empty_valid_catalog(tmp_path: Path) -> None:
    result = load_catalog(write_csv(tmp_path / "c.csv", []))
    assert result.ok and len(result.catalog) == 0 and result.rows == 0


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(CatalogFileError, match="not an XLSX workbook"):
        load_catalog(path)


def test_damaged_zip_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(512))
    with pytest.raises(CatalogFileError, match="not a readable XLSX"):
        load_catalog(path)


def test_legacy_xls_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(CatalogFileError, match=r"legacy \.xls"):
        load_catalog(path)


def test_non_utf8_csv(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("product_sku,name\nA,Đăk Lăk\n".encode("cp1258"))
    with pytest.raises(CatalogFileError, match="CSV UTF-8"):
        load_catalog(path)


def test_binary_csv(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"product_sku\x00,name\n")
    with pytest.raises(CatalogFileError, match="NUL bytes"):
        load_catalog(path)


def test_unsupported_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="unsupported catalog format"):
        load_catalog(tmp_path / "catalog.ods")
    with pytest.raises(CatalogFileError, match="cannot read"):
        load_catalog(tmp_path / "missing.csv")
    with pytest.raises(CatalogFileError, match="cannot read"):
        (tmp_path / "dir.json").mkdir()
        load_catalog(tmp_path / "dir.json")


def test_catalog_file_error_carries_path_and_reason(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError) as info:
        load_catalog(tmp_path / "missing.csv")
    assert info.value.path == str(tmp_path / "missing.csv")
    assert str(info.value).startswith(f"{tmp_path / 'missing.csv'}: cannot read")


# --- JSON -------------------------------------------------------------------------------------


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_json_bad_products_become_row_errors_good_ones_load(tmp_path: Path) -> None:
    bad_price = product_data("BK-2")
    bad_price["variants"][0]["price"] = "45,5"
    bad_group = product_data("BK-3", ocop={"group": "Nông sản", "stars": 4})
    extra = product_data("BK-4", colour="đỏ")
    nfd = product_data("BK-5", name=unicodedata.normalize("NFD", "Miến dong"))
    document = {"products": [product_data("BK-1"), bad_price, bad_group, extra, "oops", nfd]}
    result = load_catalog(write_json(tmp_path / "c.json", document))
    assert [(e.row, e.column, e.sku) for e in result.errors] == [
        (2, "variants.0.price", "BK-2"),
        (3, "ocop", "BK-3"),
        (4, "colour", "BK-4"),
        (5, None, None),
    ]
    assert result.errors[2].message == "unknown field"
    assert result.errors[3].message == "expected an object"
    assert [p.sku for p in result.catalog] == ["BK-1", "BK-5"]
    assert result.catalog.by_sku()["BK-5"].name == "Miến dong"
    assert result.rows == 6


def test_json_duplicate_skus_name_both_products(tmp_path: Path) -> None:
    document = {"products": [product_data("BK-1"), product_data("BK-2"), product_data("BK-1")]}
    result = load_catalog(write_json(tmp_path / "c.json", document))
    assert [(e.row, e.column) for e in result.errors] == [
        (1, "sku"),
        (1, "variants.0.sku"),
        (1, "variants.1.sku"),
        (3, "sku"),
        (3, "variants.0.sku"),
        (3, "variants.1.sku"),
    ]
    assert "products 1 and 3" in result.errors[0].message
    assert [p.sku for p in result.catalog] == ["BK-2"]


def test_json_unknown_top_level_key(tmp_path: Path) -> None:
    result = load_catalog(write_json(tmp_path / "c.json", {"products": [], "version": 2}))
    assert [(e.row, e.column) for e in result.errors] == [(None, "version")]


@pytest.mark.parametrize("content", ["{", "[]", '{"items": []}', '{"products": {}}', "[" * 100000])
def test_json_not_a_catalog(tmp_path: Path, content: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogFileError, match=r"not valid JSON|not a catalog"):
        load_catalog(path)


@pytest.mark.parametrize("price", [float("inf"), float("nan"), 1e400, 45000.5, True])
def test_json_odd_numbers_are_row_errors(tmp_path: Path, price: object) -> None:
    data = product_data()
    data["variants"][0]["price"] = price
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": [data]}), encoding="utf-8")  # Infinity/NaN literals
    result = load_catalog(path)
    assert [(e.row, e.column) for e in result.errors] == [(1, "variants.0.price")]


def test_rows_stay_right_after_a_skipped_duplicate(tmp_path: Path) -> None:
    rows = [
        flat_row("BK-1"),
        flat_row("BK-1"),  # duplicate of row 2, left out of the product
        flat_row("BK-1", "BK-1-1KG", gtin="8930000000018"),  # row 4: must be named, not row 3
    ]
    result = load_catalog(write_csv(tmp_path / "c.csv", rows))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "variant_sku"),
        (3, "variant_sku"),
        (4, "gtin"),
    ]
    assert result.errors[2].sku == "BK-1-1KG"


def test_product_error_names_the_row_its_value_came_from(tmp_path: Path) -> None:
    blank = dict.fromkeys(["score"], "")
    rows = [flat_row("BK-1", **blank), flat_row("BK-1", "BK-1-1KG", score="75")]
    result = load_catalog(write_csv(tmp_path / "c.csv", rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "score")]  # 75 points is 4★, not 5★
