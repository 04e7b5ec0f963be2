"""Every parsing rule of the flat CSV/XLSX layout, through the real importers."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from catalog_io_factory import HEADER, flat_row, write_csv, write_xlsx

from sync.catalog import Product
from sync.catalog_io import LoadResult, RowError, load_catalog
from sync.catalog_io.columns import COLUMNS, header_key, match_header
from sync.ocop import IssuerLevel, OcopStatus, ProducerKind


def load_rows(
    tmp_path: Path, rows: list[dict[str, Any]], fmt: str = "csv", **options: Any
) -> LoadResult:
    writer = write_csv if fmt == "csv" else write_xlsx
    return load_catalog(writer(tmp_path / f"catalog.{fmt}", rows, **options))


def one_product(tmp_path: Path, fmt: str = "csv", **cells: Any) -> Product:
    result = load_rows(tmp_path, [flat_row(**cells)], fmt)
    assert result.errors == []
    assert len(result.catalog) == 1
    return result.catalog.products[0]


def one_error(tmp_path: Path, fmt: str = "csv", **cells: Any) -> RowError:
    result = load_rows(tmp_path, [flat_row(**cells)], fmt)
    assert len(result.errors) == 1, result.errors
    assert len(result.catalog) == 0
    return result.errors[0]


# --- VND prices -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["45.000", "45 000", "45\u00a0000", "45.000 ₫", "45.000đ", "45000", "45000 VNĐ"]
)
def test_price_text_forms(tmp_path: Path, cell: str) -> None:
    assert one_product(tmp_path, price=cell).variants[0].price == 45000


@pytest.mark.parametrize("cell", ["45,5", "45.5", "45,000", "4.50", "-45000", "abc", "0"])
def test_price_rejects_decimals_and_garbage(tmp_path: Path, cell: str) -> None:
    error = one_error(tmp_path, price=cell)
    assert (error.row, error.column) == (2, "price")
    assert cell in error.message or "≥ 1" in error.message


def test_price_decimal_comma_message_is_explicit(tmp_path: Path) -> None:
    message = one_error(tmp_path, price="45,5").message
    assert "45,5" in message and "no minor unit" in message


@pytest.mark.parametrize(("cell", "expected"), [(45000, 45000), (45000.0, 45000)])
def test_price_numeric_xlsx_cells(tmp_path: Path, cell: object, expected: int) -> None:
    assert one_product(tmp_path, "xlsx", price=cell).variants[0].price == expected


def test_price_xlsx_float_with_fraction_is_an_error(tmp_path: Path) -> None:
    error = one_error(tmp_path, "xlsx", price=45000.5)
    assert (error.row, error.column) == (2, "price")
    assert "no minor unit" in error.message


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["15/10/2021", "15-10-2021", "15.10.2021", "2021-10-15"])
def test_date_text_forms(tmp_path: Path, cell: str) -> None:
    certificate = one_product(tmp_path, decision_date=cell).certificate
    assert certificate is not None
    assert certificate.decision_date == date(2021, 10, 15)
    assert certificate.valid_until == date(2024, 10, 15)  # 36 months by default


@pytest.mark.parametrize("cell", [datetime(2021, 10, 15), date(2021, 10, 15)])
def test_date_xlsx_cells(tmp_path: Path, cell: object) -> None:
    certificate = one_product(tmp_path, "xlsx", decision_date=cell).certificate
    assert certificate is not None and certificate.decision_date == date(2021, 10, 15)


@pytest.mark.parametrize("cell", ["31/02/2021", "10/2021", "hôm qua", "2021/10/15"])
def test_bad_dates(tmp_path: Path, cell: str) -> None:
    error = one_error(tmp_path, decision_date=cell)
    assert (error.row, error.column) == (2, "decision_date")
    assert "not a date" in error.message


def test_valid_until_before_decision_names_valid_until(tmp_path: Path) -> None:
    error = one_error(tmp_path, valid_until="01/01/2020")
    assert (error.row, error.column) == (2, "valid_until")


# --- stars and score --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["4", "4*", "4 sao", "4 Sao", "★★★★", "4★", "4 stars"])
def test_star_forms(tmp_path: Path, cell: str) -> None:
    assert one_product(tmp_path, stars=cell, score="75").ocop.stars == 4


@pytest.mark.parametrize("cell", [4, 4.0])
def test_star_xlsx_numbers(tmp_path: Path, cell: object) -> None:
    assert one_product(tmp_path, "xlsx", stars=cell, score=75).ocop.stars == 4


@pytest.mark.parametrize("cell", ["6", "0", "four", "4.5", "★★★★★★"])
def test_bad_stars(tmp_path: Path, cell: str) -> None:
    error = one_error(tmp_path, stars=cell, score="")
    assert (error.row, error.column) == (2, "stars")


@pytest.mark.parametrize(("cell", "expected"), [("91,14", 91.14), ("91.14", 91.14), ("90", 90.0)])
def test_score_forms(tmp_path: Path, cell: str, expected: float) -> None:
    assert one_product(tmp_path, score=cell).ocop.score == expected


def test_score_that_contradicts_stars_names_score(tmp_path: Path) -> None:
    error = one_error(tmp_path, score="75")
    assert (error.row, error.column) == (2, "score")
    assert "4★" in error.message


# --- quantities, counts, GTIN -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "unit"),
    [
        ("500 g", "500", "g"),
        ("0,5 kg", "0.5", "kg"),
        ("1 lít", "1", "l"),
        ("10 gói", "10", "piece"),
    ],
)
def test_net_quantity(tmp_path: Path, cell: str, value: str, unit: str) -> None:
    quantity = one_product(tmp_path, net_quantity=cell).variants[0].net_quantity
    assert (quantity.value, quantity.unit) == (Decimal(value), unit)


@pytest.mark.parametrize("cell", ["500", "nửa cân", "0 g"])
def test_bad_net_quantity(tmp_path: Path, cell: str) -> None:
    assert one_error(tmp_path, net_quantity=cell).column == "net_quantity"


def test_stock_and_weight(tmp_path: Path) -> None:
    variant = one_product(tmp_path, stock="1.200", weight_g="520").variants[0]
    assert (variant.stock, variant.weight_g) == (1200, 520)


@pytest.mark.parametrize(
    ("column", "cell"), [("stock", "-1"), ("stock", "1,5"), ("weight_g", "0"), ("weight_g", "nặng")]
)
def test_bad_counts(tmp_path: Path, column: str, cell: str) -> None:
    error = one_error(tmp_path, **{column: cell})
    assert (error.row, error.column) == (2, column)


def test_gtin_numeric_xlsx_cell(tmp_path: Path) -> None:
    assert one_product(tmp_path, "xlsx", gtin=8930000000019).variants[0].gtin == "8930000000019"


def test_bad_gtin(tmp_path: Path) -> None:
    error = one_error(tmp_path, gtin="8930000000018")
    assert (error.row, error.column, error.sku) == (2, "gtin", "BK-MD-01-500G")
    assert "check digit" in error.message


def test_xlsx_restores_leading_zero_of_phone_and_tax_id(tmp_path: Path) -> None:
    producer = one_product(
        tmp_path, "xlsx", producer_phone=912345678, producer_tax_id=101234567
    ).producer
    assert (producer.phone, producer.tax_id) == ("0912345678", "0101234567")


# --- enums ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("Hợp tác xã", ProducerKind.COOPERATIVE),
        ("HTX", ProducerKind.COOPERATIVE),
        ("hop tac xa", ProducerKind.COOPERATIVE),
        ("Doanh nghiệp", ProducerKind.ENTERPRISE),
        ("Công ty", ProducerKind.ENTERPRISE),
        ("CTCP", ProducerKind.ENTERPRISE),
        ("Tổ hợp tác", ProducerKind.COOPERATIVE_GROUP),
        ("THT", ProducerKind.COOPERATIVE_GROUP),
        ("Hộ kinh doanh", ProducerKind.HOUSEHOLD_BUSINESS),
        ("household_business", ProducerKind.HOUSEHOLD_BUSINESS),
        ("Enterprise", ProducerKind.ENTERPRISE),
    ],
)
def test_producer_kind_words(tmp_path: Path, cell: str, kind: ProducerKind) -> None:
    assert one_product(tmp_path, producer_kind=cell).producer.kind is kind


@pytest.mark.parametrize(
    ("cell", "level"),
    [
        ("huyện", IssuerLevel.DISTRICT),
        ("Tỉnh", IssuerLevel.PROVINCE),
        ("trung ương", IssuerLevel.CENTRAL),
        ("province", IssuerLevel.PROVINCE),
    ],
)
def test_issuer_level_words(tmp_path: Path, cell: str, level: IssuerLevel) -> None:
    certificate = one_product(tmp_path, issuer_level=cell).certificate
    assert certificate is not None and certificate.issuer_level is level


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("đề xuất", OcopStatus.PROPOSED),
        ("Đã công nhận", OcopStatus.CERTIFIED),
        ("hết hạn", OcopStatus.EXPIRED),
        ("thu hồi", OcopStatus.REVOKED),
    ],
)
def test_ocop_status_words(tmp_path: Path, cell: str, status: OcopStatus) -> None:
    assert one_product(tmp_path, ocop_status=cell).ocop.status is status


@pytest.mark.parametrize(
    ("cell", "version"),
    [
        ("148/2023", "148/2023"),
        ("QĐ 148/QĐ-TTg", "148/2023"),
        ("148+1489/2025", "148+1489/2025"),
        ("1489", "148+1489/2025"),
        ("1048", "1048/2019"),
    ],
)
def test_criteria_version_forms(tmp_path: Path, cell: str, version: str) -> None:
    assert one_product(tmp_path, criteria_version=cell).ocop.criteria_version.value == version


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("producer_kind", "cá nhân"),
        ("issuer_level", "xã"),
        ("ocop_status", "tốt"),
        ("criteria_version", "2019"),
    ],
)
def test_unknown_enum_words_name_the_cell_and_the_choices(
    tmp_path: Path, column: str, cell: str
) -> None:
    error = one_error(tmp_path, **{column: cell})
    assert (error.row, error.column) == (2, column)
    assert repr(cell) in error.message and "use " in error.message


def test_group_is_matched_without_diacritics(tmp_path: Path) -> None:
    assert one_product(tmp_path, group="thuc pham").ocop.group == "Thực phẩm"


def test_unknown_group_names_group_column(tmp_path: Path) -> None:
    error = one_error(tmp_path, group="Nông sản")
    assert (error.row, error.column, error.sku) == (2, "group", "BK-MD-01")
    assert "unknown OCOP group" in error.message


# --- lists, images, optional groups -----------------------------------------------------------


def test_multi_valued_cells_and_primary_image(tmp_path: Path) -> None:
    product = one_product(tmp_path, standards="TCCS 01; HACCP ;", tags="miến\nđặc sản")
    assert product.standards == ["TCCS 01", "HACCP"]
    assert product.tags == ["miến", "đặc sản"]
    assert [image.primary for image in product.images] == [True, False]
    assert str(product.images[0].url) == "https://img.example.vn/md-1.jpg"


def test_bad_image_url(tmp_path: Path) -> None:
    error = one_error(tmp_path, images="https://img.example.vn/a.jpg; not a url")
    assert (error.row, error.column) == (2, "images")
    assert "URL" in error.message


def test_certificate_and_traceability_absent_when_blank(tmp_path: Path) -> None:
    blank = dict.fromkeys(["decision_no", "decision_date", "issuer_level", "issuer_name"], "")
    product = one_product(
        tmp_path, ocop_status="proposed", traceability_url="", traceability_provider="", **blank
    )
    assert product.certificate is None and product.traceability is None


def test_certified_product_without_certificate(tmp_path: Path) -> None:
    blank = dict.fromkeys(["decision_no", "decision_date", "issuer_level", "issuer_name"], "")
    error = one_error(tmp_path, **blank)
    assert (error.row, error.column) == (2, "decision_no")
    assert "certificate" in error.message


def test_partial_certificate_names_missing_cell(tmp_path: Path) -> None:
    error = one_error(tmp_path, issuer_name="")
    assert (error.row, error.column, error.message) == (
        2,
        "issuer_name",
        "required value is missing",
    )


def test_traceability_provider_without_url(tmp_path: Path) -> None:
    assert one_error(tmp_path, traceability_url="").column == "traceability_url"


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
