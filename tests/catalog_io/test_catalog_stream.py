"""open_catalog: products streamed one at a time, the same products and errors as load_catalog."""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from catalog_io_factory import flat_row, product_data, write_csv, write_xlsx

from sync.catalog_io import CatalogFileError, RowError, export_catalog, load_catalog, open_catalog
from sync.synthetic import synthetic_catalog

WRITERS: dict[str, Callable[..., Path]] = {"csv": write_csv, "xlsx": write_xlsx}


def where(errors: list[RowError]) -> list[tuple[int | None, str | None, str | None]]:
    return [(e.row, e.column, e.sku) for e in errors]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 000 synthetic products (6 000 rows, about 5 MB) exported as CSV."""
    path = tmp_path_factory.mktemp("big") / "catalog.csv"
    export_catalog(synthetic_catalog(3000, seed=3), path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_stream_yields_what_load_catalog_loads_with_the_same_errors(
    tmp_path: Path, fmt: str
) -> None:
    rows = [
        flat_row("BK-01"),  # row 2: good
        flat_row("BK-01", "BK-01-1KG", net_quantity="1 kg", price="85 000 ₫"),  # row 3: good
        flat_row("BK-02", price="45,5"),  # row 4: decimal price
        flat_row("BK-03", group="Nông sản", name="Miến dong Na Rì"),  # row 5: unknown group
        flat_row("BK-04", name="Bún khô Na Rì"),  # row 6: good
        flat_row("BK-05", "BK-05-500G", stock="nhiều"),  # row 7: bad stock
        flat_row("BK-05", "BK-05-1KG", net_quantity="1 kg"),  # row 8: good row, bad product
        flat_row(product_sku=""),  # row 9: no product SKU
        flat_row("BK-06", stars="4 sao", score="", name="Miến dong Tài Hoan"),  # row 10: good
    ]
    path = WRITERS[fmt](tmp_path / f"catalog.{fmt}", rows)
    expected = load_catalog(path)

    stream = open_catalog(path)
    assert stream.rows == expected.rows == 9
    assert stream.file == str(path) and stream.source == path
    streamed = list(stream)

    assert streamed == expected.catalog.products  # model equality, slugs included
    assert [p.sku for p in streamed] == ["BK-01", "BK-04", "BK-06"]
    assert streamed[2].slug == "mien-dong-tai-hoan-bk-06"  # BK-01 took the slug first
    assert stream.errors == expected.errors
    assert where(stream.errors) == [
        (4, "price", "BK-02-500G"),
        (5, "group", "BK-03"),
        (7, "stock", "BK-05-500G"),
        (9, "product_sku", None),
    ]
    assert sorted(stream.rejected) == sorted(expected.rejected) == ["BK-02", "BK-03", "BK-05"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_an_exported_catalog_streams_back_equal(tmp_path: Path, fmt: str) -> None:
    catalog = synthetic_catalog(40, seed=8, variants_per_product=3)
    path = tmp_path / f"catalog.{fmt}"
    export_catalog(catalog, path)
    stream = open_catalog(path)
    assert list(stream) == catalog.products
    assert stream.errors == [] and stream.rows == (40 if fmt == "json" else 120)


def test_json_streams_its_valid_products_and_names_the_rejected(tmp_path: Path) -> None:
    bad = product_data("BK-2", ocop={"group": "Nông sản", "stars": 4})
    products = [product_data("BK-1"), bad, product_data("BK-3"), product_data("BK-1")]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"products": products}, ensure_ascii=False), encoding="utf-8")
    stream = open_catalog(path)
    assert [p.sku for p in stream] == ["BK-3"]
    assert stream.rows == 4
    assert {e.row for e in stream.errors} == {1, 2, 4}
    assert stream.rejected == ["BK-2", "BK-1"]
    assert load_catalog(path).rejected == ["BK-2", "BK-1"]


def test_interleaved_products_are_yielded_at_their_last_row(tmp_path: Path) -> None:
    rows = [
        flat_row("A"),  # row 2
        flat_row("B", name="Bún khô"),  # row 3
        flat_row("A", "A-1KG", net_quantity="1 kg"),  # row 4
        flat_row("C", name="Cốm"),  # row 5
        flat_row("B", "B-1KG", net_quantity="1 kg", gtin="8930000000018", name="Bún khô"),  # row 6
        flat_row("A", "A-2KG", net_quantity="2 kg", stars="4", score=""),  # row 7: disagrees
        flat_row("D", name="Dầu lạc"),  # row 8
        flat_row("E", name="Đường phên"),  # row 9
        flat_row("D", "D-1L", net_quantity="1 l", name="Dầu lạc"),  # row 10
    ]
    path = write_csv(tmp_path / "catalog.csv", rows)

    stream = open_catalog(path)
    streamed = list(stream)
    assert [p.sku for p in streamed] == ["C", "E", "D"]  # by last row: 5, 9, 10
    assert [v.sku for v in streamed[2].variants] == ["D-500G", "D-1L"]
    assert where(stream.errors) == [(6, "gtin", "B-1KG"), (7, "stars", "A")]
    assert "disagrees with row 2" in stream.errors[1].message
    assert sorted(stream.rejected) == ["A", "B"]

    loaded = load_catalog(path)
    assert [p.sku for p in loaded.catalog] == ["C", "D", "E"]  # by first row, as always
    assert loaded.errors == stream.errors


def test_interleaved_valid_products_stream_with_all_their_variants(tmp_path: Path) -> None:
    rows = [flat_row("A"), flat_row("B"), flat_row("A", "A-1KG", net_quantity="1 kg")]
    path = write_csv(tmp_path / "catalog.csv", rows)
    streamed = list(open_catalog(path))
    loaded = load_catalog(path).catalog.products
    assert [p.sku for p in streamed] == ["B", "A"] and [p.sku for p in loaded] == ["A", "B"]
    assert [v.sku for v in streamed[1].variants] == ["A-500G", "A-1KG"]
    # Same name, same slug: the product yielded first keeps it, here B (load_catalog: A).
    assert {p.sku: p.slug for p in streamed} == {
        "B": "mien-dong-tai-hoan",
        "A": "mien-dong-tai-hoan-a",
    }
    assert [p.model_dump(exclude={"slug"}) for p in reversed(streamed)] == [
        p.model_dump(exclude={"slug"}) for p in loaded
    ]


def test_duplicate_variant_skus_across_products_are_reported_and_the_rest_streams(
    tmp_path: Path,
) -> None:
    rows = [
        flat_row("BK-1"),  # row 2: good
        flat_row("BK-2", "BK-DUP"),  # row 3: duplicate ...
        flat_row("BK-3"),  # row 4: good
        flat_row("BK-4", "BK-DUP"),  # row 5: ... used again
        flat_row("BK-5", "BK-3"),  # row 6: another product's SKU as variant SKU
        flat_row("BK-6"),  # row 7: good
    ]
    path = write_csv(tmp_path / "catalog.csv", rows)
    stream = open_catalog(path)
    assert [p.sku for p in stream] == ["BK-1", "BK-6"]
    assert where(stream.errors) == [
        (3, "variant_sku", "BK-DUP"),
        (4, "product_sku", "BK-3"),
        (5, "variant_sku", "BK-DUP"),
        (6, "variant_sku", "BK-3"),
    ]
    assert all("rows 3 and 5" in stream.errors[i].message for i in (0, 2))
    assert "also a variant SKU on row 6" in stream.errors[1].message
    assert sorted(stream.rejected) == ["BK-2", "BK-3", "BK-4", "BK-5"]
    assert load_catalog(path).errors == stream.errors


@pytest.mark.parametrize(
    ("tail", "reason"),
    [(b"SYN-9,\xff\r\n", r"not UTF-8 text \(line \d+, byte \d+\)"), (b"\x00\r\n", "NUL bytes")],
)
def test_a_damaged_end_is_raised_by_open_catalog_before_any_product(
    big_csv: Path, tmp_path: Path, tail: bytes, reason: str
) -> None:
    path = tmp_path / "damaged.csv"
    data = big_csv.read_bytes()
    path.write_bytes(data + tail)
    with pytest.raises(CatalogFileError, match=reason) as info:
        open_catalog(path)
    if b"\xff" in tail:
        assert f"byte {len(data) + 6})" in info.value.reason  # where the bad byte is


def test_a_file_changed_between_the_passes_is_a_file_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "catalog.csv", [flat_row("A"), flat_row("B")])
    stream = open_catalog(path)
    with path.open("ab") as out:
        out.write(b"C,,,\n")
    with pytest.raises(CatalogFileError, match="changed while it was being read"):
        list(stream)


def test_a_stream_is_read_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "catalog.csv", [flat_row("A"), flat_row("B")])
    stream = open_catalog(path)
    assert next(iter(stream)).sku == "A"
    with pytest.raises(RuntimeError, match="read once"):
        stream.load()
    with pytest.raises(RuntimeError, match="read once"):
        iter(stream)


def _peak(work: Callable[[], Any]) -> int:
    """Peak memory traced while `work` runs, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_streaming_memory_stays_far_below_loading(big_csv: Path) -> None:
    def stream() -> None:
        for _ in open_catalog(big_csv):
            pass  # each product is dropped as soon as the next one is read

    def load() -> None:
        load_catalog(big_csv)

    streamed, loaded = _peak(stream), _peak(load)
    assert streamed < loaded / 4, (streamed, loaded)
