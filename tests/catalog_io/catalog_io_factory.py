"""Valid flat rows, model dicts and files for the catalog_io tests (built in code)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from sync.catalog import Catalog, Product
from sync.catalog_io import LoadResult, RowError, load_catalog

# A valid 5★ product row (Miến dong Tài Hoan, design §6) in the flat layout.
BASE_ROW: dict[str, Any] = {
    "product_sku": "BK-MD-01",
    "name": "Miến dong Tài Hoan",
    "name_en": "Tai Hoan arrowroot vermicelli",
    "description": "Miến dong làm thủ công từ củ dong riềng Na Rì.",
    "criteria_version": "148/2023",
    "group": "Thực phẩm",
    "product_set": "",
    "stars": "5",
    "score": "91.14",
    "ocop_status": "certified",
    "decision_no": "2890/QĐ-BNN-VPĐP",
    "decision_date": "15/10/2021",
    "issuer_level": "central",
    "issuer_name": "Bộ Nông nghiệp và Phát triển nông thôn",
    "valid_until": "",
    "producer_name": "HTX Tài Hoan",
    "producer_kind": "Hợp tác xã",
    "producer_tax_id": "4700263427",
    "producer_phone": "0912 345 678",
    "address_as_printed": "Thôn Nà Làng, xã Côn Minh, huyện Na Rì, tỉnh Bắc Kạn",
    "commune": "Côn Minh",
    "district": "Na Rì",
    "province": "Bắc Kạn",
    "current_province": "Thái Nguyên",
    "variant_sku": "BK-MD-01-500G",
    "variant_label": "Gói 500 g",
    "net_quantity": "500 g",
    "packaging": "túi nilon",
    "price": "45.000",
    "stock": "120",
    "weight_g": "520",
    "gtin": "8930000000019",
    "shelf_life_days": "365",
    "ingredients": "Tinh bột dong riềng",
    "standards": "TCCS 01:2020/TH; HACCP",
    "geographical_indication": "",
    "traceability_url": "https://truyxuat.example.vn/bk-md-01",
    "traceability_provider": "Check Vàng",
    "images": "https://img.example.vn/md-1.jpg; https://img.example.vn/md-2.jpg",
    "tags": "miến; đặc sản",
}
HEADER: list[str] = list(BASE_ROW)


def flat_row(
    product_sku: str = "BK-MD-01", variant_sku: str | None = None, **cells: Any
) -> dict[str, Any]:
    """A valid flat row; `cells` override columns by English name."""
    row = dict(BASE_ROW, product_sku=product_sku, variant_sku=variant_sku or f"{product_sku}-500G")
    row.update(cells)
    return row


def _layout(
    columns: Sequence[str] | None, headers: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    keys = list(columns) if columns is not None else HEADER
    names = list(headers) if headers is not None else keys
    assert len(names) == len(keys), "one header per column"
    return keys, names


def csv_text(
    rows: Sequence[dict[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
    delimiter: str = ",",
) -> str:
    """Rows as CSV text: `columns` picks row keys (default HEADER), `headers` renames them."""
    keys, names = _layout(columns, headers)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row.get(key) for key in keys])
    return out.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[dict[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    """Write rows as a UTF-8 CSV file (optionally with BOM) and return its path."""
    text = csv_text(rows, columns=columns, headers=headers, delimiter=delimiter)
    path.write_bytes(text.encode("utf-8-sig" if bom else "utf-8"))
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[dict[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
) -> Path:
    """Write rows to the first sheet of an XLSX workbook; cells keep their Python types."""
    keys, names = _layout(columns, headers)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(names)
    for row in rows:
        sheet.append([None if row.get(key) in ("", None) else row.get(key) for key in keys])
    workbook.save(path)
    return path


def product_data(sku: str = "BK-MD-01", **overrides: Any) -> dict[str, Any]:
    """A valid product in the model's own (JSON) shape, with two variants."""
    data: dict[str, Any] = {
        "sku": sku,
        "name": "Miến dong Tài Hoan",
        "ocop": {"group": "Thực phẩm", "stars": 5, "score": 91.14},
        "certificate": {
            "decision_no": "2890/QĐ-BNN-VPĐP",
            "decision_date": "2021-10-15",
            "issuer_level": "central",
            "issuer_name": "Bộ Nông nghiệp và Phát triển nông thôn",
        },
        "producer": {"name": "HTX Tài Hoan", "kind": "cooperative"},
        "address": {
            "as_printed": "xã Côn Minh, huyện Na Rì",
            "commune": "Côn Minh",
            "province": "Bắc Kạn",
        },
        "variants": [
            {
                "sku": f"{sku}-500G",
                "net_quantity": {"value": "500", "unit": "g"},
                "price": 45000,
                "stock": 120,
                "weight_g": 520,
            },
            {
                "sku": f"{sku}-1KG",
                "net_quantity": {"value": "1", "unit": "kg"},
                "price": 85000,
                "stock": 0,
                "weight_g": 1030,
                "gtin": "8930000000019",
            },
        ],
        "images": [{"url": "https://img.example.vn/md-1.jpg"}],
    }
    data.update(overrides)
    return data


def rich_catalog() -> Catalog:
    """A catalog that uses every column: full and minimal products, all enums and lists."""
    full = product_data(
        "BK-MD-01",
        name_en="Tai Hoan arrowroot vermicelli",
        description="Miến dong làm thủ công.\nKhông chất bảo quản.",
        shelf_life_days=365,
        ingredients="Tinh bột dong riềng 100%",
        standards=["TCCS 01:2020/TH", "HACCP"],
        geographical_indication="Bắc Kạn",
        traceability={"url": "https://truyxuat.example.vn/md?id=1&x=2", "provider": "Check Vàng"},
        images=[
            {"url": "https://img.example.vn/a.jpg", "primary": True},
            {"url": "https://img.example.vn/b.jpg"},
        ],
        tags=["miến", "đặc sản Bắc Kạn"],
    )
    full["producer"].update(tax_id="4700263427", phone="0912345678")
    full["address"].update(district="Na Rì", current_province="Thái Nguyên")
    full["ocop"].update(product_set="Bún, miến, phở", criteria_version="148/2023")
    full["variants"][0].update(label="Gói 500 g", packaging="túi")
    proposed = product_data(
        "BK-CM-02",
        name="Củ mài núi thái lát",
        ocop={
            "group": "Dược liệu và sản phẩm từ dược liệu",
            "stars": 2,
            "status": "proposed",
            "criteria_version": "148+1489/2025",
        },
        certificate=None,
        producer={"name": "THT Đại Thắng", "kind": "cooperative_group"},
        images=[],
    )
    proposed["variants"] = [
        {
            "sku": "BK-CM-02",
            "net_quantity": {"value": "0.25", "unit": "kg"},
            "price": 1200000,
            "stock": 3,
            "weight_g": 300,
        },
    ]
    old = product_data(
        "BK-TR-03",
        name="Trà Shan tuyết Ngọc Thắng",
        ocop={"group": "Đồ uống", "stars": 4, "criteria_version": "1048/2019", "score": 75.5},
        producer={"name": "Công ty Ngọc Thắng", "kind": "enterprise"},
        certificate={
            "decision_no": "2166/QĐ-UBND",
            "decision_date": "2019-05-02",
            "issuer_level": "province",
            "issuer_name": "UBND tỉnh Bắc Kạn",
            "valid_until": "2022-05-01",
        },
    )
    old["ocop"]["status"] = "expired"
    return Catalog.model_validate({"products": [full, proposed, old]})


def load_rows(
    tmp_path: Path, rows: list[dict[str, Any]], fmt: str = "csv", **options: Any
) -> LoadResult:
    """Write `rows` as catalog.csv or catalog.xlsx in `tmp_path` and load it."""
    writer = write_csv if fmt == "csv" else write_xlsx
    return load_catalog(writer(tmp_path / f"catalog.{fmt}", rows, **options))


def one_product(tmp_path: Path, fmt: str = "csv", **cells: Any) -> Product:
    """Load one valid row (with `cells` overridden) and return its product."""
    result = load_rows(tmp_path, [flat_row(**cells)], fmt)
    assert result.errors == []
    assert len(result.catalog) == 1
    return result.catalog.products[0]


def one_error(tmp_path: Path, fmt: str = "csv", **cells: Any) -> RowError:
    """Load one row expected to have exactly one problem and return it."""
    result = load_rows(tmp_path, [flat_row(**cells)], fmt)
    assert len(result.errors) == 1, result.errors
    assert len(result.catalog) == 0
    return result.errors[0]
