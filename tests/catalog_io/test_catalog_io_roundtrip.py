"""export_catalog -> load_catalog gives back an equal catalog, in all three formats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from catalog_io_factory import product_data, rich_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from sync.catalog import Catalog
from sync.catalog_io import CatalogFileError, export_catalog, load_catalog

FORMATS = ("json", "csv", "xlsx")


@pytest.mark.parametrize("fmt", FORMATS)
def test_rich_catalog_round_trips(tmp_path: Path, fmt: str) -> None:
    catalog = rich_catalog()
    path = tmp_path / f"catalog.{fmt}"
    export_catalog(catalog, path)
    result = load_catalog(path)
    assert result.errors == []
    assert result.ok
    assert result.catalog == catalog
    assert result.rows == (3 if fmt == "json" else 5)  # JSON counts products, flat counts variants


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_catalog_round_trips(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    export_catalog(Catalog(), path)
    result = load_catalog(path)
    assert result.ok and result.catalog == Catalog() and result.rows == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_fmt_argument_overrides_extension(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "catalog.data"
    export_catalog(rich_catalog(), path, fmt=fmt)
    renamed = path.rename(tmp_path / f"catalog.{fmt}")
    assert load_catalog(renamed).catalog == rich_catalog()


def test_export_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="unsupported"):
        export_catalog(rich_catalog(), tmp_path / "catalog.txt")
    with pytest.raises(CatalogFileError, match="unsupported"):
        export_catalog(rich_catalog(), tmp_path / "catalog.csv", fmt="ods")


def test_export_replaces_existing_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("old")
    export_catalog(rich_catalog(), path)
    assert load_catalog(path).ok
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.csv"]


def test_export_to_missing_directory_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="cannot write"):
        export_catalog(rich_catalog(), tmp_path / "missing" / "catalog.json")


def test_csv_export_is_utf8_with_bom_and_commas(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    export_catalog(rich_catalog(), path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["product_sku", "slug", "name"]
    # Every data field quoted (OWASP CSV-injection guidance, sync/formula_text.py).
    assert text.splitlines()[1].startswith('"')
    assert "Miến dong Tài Hoan" in text
    assert "45000" in text  # prices are plain whole đồng


def test_xlsx_export_has_bold_frozen_header_and_widths(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    export_catalog(rich_catalog(), path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A1"].value == "product_sku"
    widths = {sheet.column_dimensions[c].width for c in ("A", "C", "U")}
    assert min(widths) > 10  # not the 8.43 default
    prices = [row[29] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert prices == [45000, 85000, 1200000, 45000, 85000]


def test_xlsx_export_keeps_text_starting_with_equals_as_text(tmp_path: Path) -> None:
    catalog = Catalog.model_validate({"products": [product_data(description="=1+1 ngon")]})
    path = tmp_path / "catalog.xlsx"
    export_catalog(catalog, path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet["E2"].data_type == "s"
    assert load_catalog(path).catalog == catalog


def test_json_export_is_model_shape_indented_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    catalog = rich_catalog()
    export_catalog(catalog, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "products": [')
    assert "Miến dong" in text  # ensure_ascii=False
    assert json.loads(text) == catalog.model_dump(mode="json")


def test_flat_export_refuses_list_items_containing_separator(tmp_path: Path) -> None:
    catalog = Catalog.model_validate({"products": [product_data(tags=["a;b"])]})
    with pytest.raises(ValueError, match="use JSON"):
        export_catalog(catalog, tmp_path / "catalog.csv")


def test_primary_image_is_written_first(tmp_path: Path) -> None:
    images = [
        {"url": "https://img.example.vn/a.jpg"},
        {"url": "https://img.example.vn/b.jpg", "primary": True},
    ]
    catalog = Catalog.model_validate({"products": [product_data(images=images)]})
    path = tmp_path / "catalog.csv"
    export_catalog(catalog, path)
    loaded = load_catalog(path).catalog.products[0]
    assert loaded.primary_image is not None
    assert str(loaded.primary_image.url) == "https://img.example.vn/b.jpg"


# Vietnamese letters (precomposed and with combining marks), spaces and punctuation.
_VI_TEXT = st.text(
    alphabet=st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyÁÀẢÃẠĐƯỚ '-,()\u0301\u0323"),
    min_size=1,
    max_size=30,
).filter(lambda s: any(ch.isalpha() for ch in s))


@st.composite
def _catalogs(draw: st.DrawFn) -> Catalog:
    products = []
    for index in range(draw(st.integers(0, 3))):
        sku = f"P{index}"
        variants = [
            {
                "sku": f"{sku}-V{v}",
                "net_quantity": {
                    "value": str(
                        draw(
                            st.decimals(
                                min_value=Decimal("0.001"), max_value=Decimal(10**6), places=3
                            )
                        )
                    ),
                    "unit": draw(st.sampled_from(["g", "kg", "ml", "l", "piece"])),
                },
                "price": draw(st.integers(1, 10**9)),
                "stock": draw(st.integers(0, 10**6)),
                "weight_g": draw(st.integers(1, 10**5)),
            }
            for v in range(draw(st.integers(1, 3)))
        ]
        stars = draw(st.integers(3, 5))
        low = {3: 50, 4: 70, 5: 90}[stars]
        score = draw(st.none() | st.floats(low, min(low + 19.99, 100), allow_nan=False))
        products.append(
            product_data(
                sku,
                name=draw(_VI_TEXT),
                description=draw(st.none() | _VI_TEXT),
                ocop={"group": "Đồ uống", "stars": stars, "score": score},
                variants=variants,
                tags=draw(st.lists(_VI_TEXT, max_size=3)),
            )
        )
    return Catalog.model_validate({"products": products})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(catalog=_catalogs(), fmt=st.sampled_from(FORMATS))
def test_random_catalogs_round_trip(tmp_path: Path, catalog: Catalog, fmt: str) -> None:
    path = tmp_path / f"random.{fmt}"
    export_catalog(catalog, path)
    result = load_catalog(path)
    assert result.errors == []
    assert result.catalog == catalog
