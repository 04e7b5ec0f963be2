"""Every parsing rule of the flat CSV/XLSX layout, through the real importers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from catalog_io_factory import one_error, one_product

from sync.ocop import IssuerLevel, OcopStatus, ProducerKind

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
