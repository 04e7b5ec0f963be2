"""The flat layout itself: normalisation, CSV encoding/delimiters, headers, row grouping."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from catalog_io_factory import (
    HEADER,
    flat_row,
    load_rows,
    one_error,
    one_product,
)

from sync.catalog_io.columns import COLUMNS, header_key, match_header
from sync.ocop import ProducerKind

# --- text normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_nfd_text_loads_nfc(tmp_path: Path, fmt: str) -> None:
    nfd = {key: unicodedata.normalize("NFD", value) for key, value in flat_row().items()}
    assert nfd["name"] != flat_row()["name"]
    product = load_rows(tmp_path, [nfd], fmt).catalog.products[0]
    assert product.name == "Miến dong Tài Hoan"
    assert unicodedata.is_normalized("NFC", product.name)
    assert product.producer.kind is ProducerKind.COOPERATIVE  # "Hợp tác xã" in NFD still matches
    assert product.address.commune == "Côn Minh"


def test_spaces_are_collapsed(tmp_path: Path) -> None:
    assert one_product(tmp_path, name="  Miến   dong  ").name == "Miến dong"


# --- CSV encoding, delimiter, layout ----------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_bom_and_delimiter(tmp_path: Path, bom: bool, delimiter: str) -> None:
    rows = [flat_row(), flat_row("BK-2", description="Ngon, bổ; rẻ")]
    result = load_rows(tmp_path, rows, delimiter=delimiter, bom=bom)
    assert result.errors == [] and len(result.catalog) == 2
    assert result.catalog.products[1].description == "Ngon, bổ; rẻ"


VIETNAMESE_HEADERS = {
    "product_sku": "Mã sản phẩm",
    "name": "Tên sản phẩm",
    "group": "Nhóm sản phẩm",
    "stars": "Hạng sao",
    "decision_no": "Số quyết định",
    "decision_date": "Ngày quyết định",
    "issuer_level": "Cấp công nhận",
    "issuer_name": "Cơ quan công nhận",
    "producer_name": "Chủ thể",
    "producer_kind": "Loại hình chủ thể",
    "address_as_printed": "Địa chỉ",
    "commune": "Xã",
    "district": "Huyện",
    "province": "Tỉnh",
    "variant_sku": "Mã biến thể",
    "net_quantity": "Khối lượng tịnh",
    "price": "Giá (VNĐ)",
    "stock": "Tồn kho",
    "weight_g": "Khối lượng (g)",
    "gtin": "Mã vạch",
    "images": "Hình ảnh",
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_vietnamese_headers(tmp_path: Path, fmt: str) -> None:
    columns = list(VIETNAMESE_HEADERS)
    headers = [
        f"  {name.upper()} " for name in VIETNAMESE_HEADERS.values()
    ]  # case and spaces ignored
    rows = [flat_row(price="45.000", score=None), flat_row(price="46.000 đ", gtin="", score=None)]
    rows[1]["variant_sku"] = "BK-MD-01-1KG"
    result = load_rows(tmp_path, rows, fmt, columns=columns, headers=headers)
    assert result.errors == []
    assert [v.price for v in result.catalog.products[0].variants] == [45000, 46000]


def test_vietnamese_header_named_in_errors(tmp_path: Path) -> None:
    columns = list(VIETNAMESE_HEADERS)
    result = load_rows(
        tmp_path,
        [flat_row(price="45,5")],
        columns=columns,
        headers=list(VIETNAMESE_HEADERS.values()),
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "Giá (VNĐ)")]
    assert str(result.errors[0]).startswith(f"{tmp_path / 'catalog.csv'}:2:Giá (VNĐ): ")


def test_nfd_header_matches(tmp_path: Path) -> None:
    assert match_header(unicodedata.normalize("NFD", "Tồn kho")) is match_header("stock")
    assert header_key("Product SKU") == header_key("product_sku")


def test_header_aliases_are_unambiguous() -> None:
    seen: dict[str, str] = {}
    for column in COLUMNS:
        for header in (column.name, *column.aliases):
            assert seen.setdefault(header_key(header), column.name) == column.name


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    required = [c.name for c in COLUMNS if c.required]
    columns = [*required, "ocop_status"]
    result = load_rows(tmp_path, [flat_row(ocop_status="proposed")], columns=columns)
    assert result.errors == []
    product = result.catalog.products[0]
    assert product.certificate is None and product.images == [] and product.ocop.score is None


def test_several_variant_rows_make_one_product_with_blank_repeats(tmp_path: Path) -> None:
    second = {key: "" for key in HEADER} | {
        "product_sku": "BK-MD-01",
        "variant_sku": "BK-MD-01-1KG",
        "net_quantity": "1 kg",
        "price": "85.000",
        "stock": "3",
        "weight_g": "1030",
    }
    result = load_rows(tmp_path, [flat_row(), second, flat_row("BK-2")])
    assert result.errors == [] and result.rows == 3
    assert [len(p.variants) for p in result.catalog] == [2, 1]
    assert result.catalog.products[0].name == "Miến dong Tài Hoan"


def test_product_rows_need_not_be_adjacent(tmp_path: Path) -> None:
    rows = [flat_row(), flat_row("BK-2"), flat_row(variant_sku="BK-MD-01-1KG")]
    result = load_rows(tmp_path, rows)
    assert [p.sku for p in result.catalog] == ["BK-MD-01", "BK-2"]
    assert len(result.catalog.products[0].variants) == 2


def test_disagreeing_product_cells_name_the_later_row(tmp_path: Path) -> None:
    rows = [flat_row(), flat_row(variant_sku="BK-MD-01-1KG", name="Miến dong khác", stars="5 sao")]
    result = load_rows(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "name")]  # "5 sao" equals "5"
    assert "row 2" in result.errors[0].message
    assert len(result.catalog) == 0


def test_notes_column_is_ignored_but_unknown_column_is_reported(tmp_path: Path) -> None:
    rows = [flat_row() | {"notes": "gọi lại", "color": "đỏ"}]
    result = load_rows(
        tmp_path, rows, columns=[*HEADER, "notes", "color"], headers=[*HEADER, "Ghi chú", "Màu"]
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [(1, "Màu", "unknown column")]
    assert len(result.catalog) == 1  # the row itself is fine


def test_blank_rows_are_skipped_and_numbering_kept(tmp_path: Path) -> None:
    rows = [flat_row(), dict.fromkeys(HEADER, ""), flat_row("BK-2", price="1,5")]
    result = load_rows(tmp_path, rows)
    assert result.rows == 2
    assert [(e.row, e.column) for e in result.errors] == [(4, "price")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sku_with_spaces_or_slash_is_rejected(tmp_path: Path, fmt: str) -> None:
    error = one_error(tmp_path, fmt, variant_sku="BK MD/01")
    assert (error.row, error.column) == (2, "variant_sku")
    assert "letters, digits" in error.message


def test_docs_describe_every_column_and_alias() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "catalog-format.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column.name}` |" in docs
        for alias in column.aliases:
            assert alias in docs, alias


def test_a_bad_first_row_is_named_even_when_a_later_row_disagrees(tmp_path: Path) -> None:
    rows = [flat_row(group="Đồ chơi"), flat_row(variant_sku="BK-MD-01-1KG")]
    result = load_rows(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "group"), (3, "group")]
    assert "unknown OCOP group" in result.errors[0].message
    assert "disagrees with row 2" in result.errors[1].message
