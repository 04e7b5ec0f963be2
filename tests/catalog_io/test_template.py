"""`ocop-sync template`: the workbook a catalog keeper fills in, and the sample in its layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sync.catalog_io import export_catalog, load_catalog
from sync.catalog_io.guide import VI_HEADERS
from sync.ocop import IssuerLevel, OcopStatus, ProducerKind
from sync.samples.bac_kan import REFERENCE_DATE, build_bac_kan_catalog
from tests.catalog_io.test_catalog_io_cli import run

SAMPLE = Path(__file__).parents[2] / "examples" / "bac-kan"
ENUMERATED = {
    "Hạng sao": "5,4,3",
    "Trạng thái OCOP": "đề xuất,đã công nhận,hết hạn,thu hồi",
    "Cấp công nhận": "cấp huyện,cấp tỉnh,cấp trung ương",
    "Loại hình chủ thể": "doanh nghiệp,hợp tác xã,tổ hợp tác,hộ kinh doanh",
    "Bộ tiêu chí": "1048/2019,148/2023,148+1489/2025",
    "Đơn vị tính": "g,kg,ml,lít,cái",
}


def _validations(sheet) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Header -> formula of the list validation on its data cells."""
    headers = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            letter = cell_range.coord.split(":")[0].rstrip("0123456789")
            assert cell_range.min_row == 2 and cell_range.max_row >= 1000
            found[headers[letter]] = validation.formula1
    return found


def test_the_template_has_vietnamese_headers_drop_down_lists_and_instructions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.xlsx"
    result = run("template", "-o", path)
    assert result.returncode == 0, result.stderr
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["Mã sản phẩm", "Đường dẫn", "Tên sản phẩm"]
    assert {"Giá (VNĐ)", "Tồn kho", "Hạng sao", "Số quyết định", "Xã/Phường"} <= set(headers)
    assert set(headers) <= set(VI_HEADERS.values())
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    validations = _validations(sheet)
    for header, values in ENUMERATED.items():
        assert validations[header] == f'"{values}"', header
    # The group list follows the criteria version typed on the same row.
    assert "OFFSET(" in validations["Nhóm sản phẩm"]
    assert "MATCH($F2" in validations["Nhóm sản phẩm"]
    # Codes are text cells, so Excel keeps a GTIN's or a phone number's leading zero.
    for header in ("Mã sản phẩm", "Mã biến thể", "Mã vạch (GTIN)", "Mã số thuế", "Điện thoại"):
        letter = get_column_letter(headers.index(header) + 1)
        assert sheet.column_dimensions[letter].number_format == "@", header
    guide = workbook["Hướng dẫn"]
    described = {row[0] for row in guide.iter_rows(values_only=True)}
    assert set(headers) <= described
    lists = workbook["Danh sách"]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists[1]] == ["1048/2019", "148/2023", "148+1489/2025"]


def test_a_template_filled_in_with_vietnamese_values_imports_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    assert run("template", "-o", path).returncode == 0
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    row = {
        "Mã sản phẩm": "BK-MIEN-01",
        "Tên sản phẩm": "Miến dong Tài Hoan",
        "Mô tả": "Sợi miến dai, trong.",
        "Bộ tiêu chí": "148/2023",
        "Nhóm sản phẩm": "Thực phẩm",
        "Hạng sao": "5",
        "Trạng thái OCOP": "đã công nhận",
        "Số quyết định": "2751/QĐ-BNN-VPĐP",
        "Ngày quyết định": "26/07/2024",
        "Cấp công nhận": "cấp trung ương",
        "Cơ quan công nhận": "Bộ Nông nghiệp và Phát triển nông thôn",
        "Chủ thể": "Hợp tác xã Tài Hoan",
        "Loại hình chủ thể": "hợp tác xã",
        "Mã số thuế": "0123456789",
        "Điện thoại": "0912345678",
        "Địa chỉ in trên giấy chứng nhận": "thôn Chè Cọ, xã Côn Minh, huyện Na Rì, tỉnh Bắc Kạn",
        "Xã/Phường": "xã Côn Minh",
        "Tỉnh": "Bắc Kạn",
        "Tỉnh hiện nay": "Thái Nguyên",
        "Mã biến thể": "BK-MIEN-01-500G",
        "Khối lượng tịnh": "0,5",
        "Đơn vị tính": "kg",
        "Giá (VNĐ)": "73.000",
        "Tồn kho": "305",
        "Khối lượng (g)": "560",
        "Mã vạch (GTIN)": "8937000101012",
        "Hình ảnh": "https://cdn.example.vn/1.jpg",
    }
    for name, value in row.items():
        sheet.cell(row=2, column=headers.index(name) + 1, value=value)
    household = dict(row, **{"Mã biến thể": "BK-MIEN-01-1KG", "Khối lượng tịnh": "1"})
    for name, value in household.items():
        sheet.cell(row=3, column=headers.index(name) + 1, value=value)
    workbook.save(path)

    result = load_catalog(path)
    assert result.errors == []
    (product,) = result.catalog.products
    assert product.ocop.status is OcopStatus.CERTIFIED
    assert product.producer.kind is ProducerKind.COOPERATIVE
    assert product.producer.tax_id == "0123456789" and product.producer.phone == "0912345678"
    assert product.certificate is not None
    assert product.certificate.issuer_level is IssuerLevel.CENTRAL
    assert [str(v.net_quantity) for v in product.variants] == ["0.5 kg", "1 kg"]
    assert product.variants[0].price == 73000


def test_a_unit_that_disagrees_with_the_quantity_is_an_error(tmp_path: Path) -> None:
    catalog = build_bac_kan_catalog()
    catalog.products[:] = catalog.products[:1]
    path = tmp_path / "catalog.csv"
    export_catalog(catalog, path, lang="vi")
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    rows[0]["Khối lượng tịnh"], rows[0]["Đơn vị tính"] = "500 g", "kg"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (error,) = load_catalog(path).errors
    assert (error.row, error.column) == (2, "Đơn vị tính")
    assert "disagrees" in error.message


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_the_sample_in_the_new_layout_validates_182_products_1_18_163(fmt: str) -> None:
    path = SAMPLE / f"catalog.{fmt}"
    if fmt == "xlsx":
        assert load_workbook(path).worksheets[0]["A1"].value == "Mã sản phẩm"
    elif fmt == "csv":
        assert path.read_text(encoding="utf-8-sig").startswith("Mã sản phẩm,")
    result = run("validate", path, "--json", "--on", REFERENCE_DATE.isoformat())
    assert result.returncode == 0, result.stdout
    document = json.loads(result.stdout)
    assert document["products"] == 182
    assert document["by_stars"] == {"5": 1, "4": 18, "3": 163}
    assert document["errors"] == []
    assert load_catalog(path).catalog == build_bac_kan_catalog()


def test_validate_on_the_sample_warns_about_each_of_the_six_variants_never_listed() -> None:
    result = run("validate", SAMPLE / "catalog.xlsx", "--on", REFERENCE_DATE.isoformat())
    assert result.returncode == 0, result.stdout
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: BK-CUMAI-DAITHANG-500G: will not be listed: certificate expired on 2025-10-14",
        "warning: BK-KHANTHOCAM-CONGBANG-1C: will not be listed: no product image",
        "warning: BK-TINHNGHE-QUANGPHONG-200G: will not be listed: OCOP status is proposed",
        "warning: BK-TINHNGHE-QUANGPHONG-500G: will not be listed: OCOP status is proposed",
        "warning: BK-MANGKHO-LUONGBANG-500G: will not be listed: OCOP status is revoked",
        "warning: BK-MANGKHO-LUONGBANG-1KG: will not be listed: OCOP status is revoked",
    ]
    assert "every row is valid" in result.stdout


def test_validate_takes_the_catalog_from_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "ocop-sync.toml"
    config.write_text(f'catalog = "{SAMPLE / "catalog.csv"}"\n', encoding="utf-8")
    result = run("validate", "--config", config, "--json", "--on", REFERENCE_DATE.isoformat())
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["products"] == 182
    assert document["counts"]["not_listable"] == 6 and document["counts"]["warnings"] == 6
