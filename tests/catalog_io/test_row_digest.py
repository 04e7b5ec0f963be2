"""A product read from a file hashes by the rows it came from (`sync.catalog_io.row_digest`):
cheap, and never the same hash for a changed product."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

import sync
from sync.catalog_io import export_catalog, open_catalog
from sync.catalog_io import row_digest as digests
from sync.plan import _to_json, product_hash
from sync.samples.bac_kan import build_bac_kan_catalog


def json_hash(product: object) -> str:
    return hashlib.blake2b(_to_json(product), digest_size=16).hexdigest()


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.csv"
    export_catalog(build_bac_kan_catalog(), path)
    return path


def rewrite(path: Path, target: Path, change: object) -> None:
    """Write `path`'s rows to `target`, passed through `change(header, body)` first."""
    rows = list(csv.reader(path.open(encoding="utf-8")))
    header, body = rows[0], rows[1:]
    change(header, body)  # type: ignore[operator]
    with target.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *body])


def hashes(path: Path) -> dict[str, str]:
    return {p.sku: product_hash(p) for p in open_catalog(path)}


def test_the_same_rows_hash_alike_and_a_changed_cell_changes_its_product_alone(
    sample_csv: Path, tmp_path: Path
) -> None:
    before = hashes(sample_csv)
    assert hashes(sample_csv) == before  # read again: the same hashes
    assert len(set(before.values())) == len(before) == 182

    price = None
    changed = tmp_path / "changed.csv"

    def new_price(header: list[str], body: list[list[str]]) -> None:
        nonlocal price
        column = header.index(next(h for h in header if "price" in h.lower()))
        sku_column = header.index(next(h for h in header if "product" in h.lower()))
        price = body[40][sku_column]
        body[40][column] = str(int(body[40][column].replace(".", "")) + 5000)

    rewrite(sample_csv, changed, new_price)
    after = hashes(changed)
    assert price is not None
    assert {sku for sku in before if before[sku] != after[sku]} == {price}


def test_moving_a_product_in_the_file_keeps_its_hash(sample_csv: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved.csv"

    def reverse_products(header: list[str], body: list[list[str]]) -> None:
        # Products in the reverse order, each with its rows (variants) in their own order.
        sku_column = header.index(next(h for h in header if "product" in h.lower()))
        groups: dict[str, list[list[str]]] = {}
        for row in body:
            groups.setdefault(row[sku_column], []).append(row)
        body[:] = [row for rows in reversed(groups.values()) for row in rows]

    rewrite(sample_csv, moved, reverse_products)
    before = {p.sku: (p.slug, product_hash(p)) for p in open_catalog(sample_csv)}
    after = {p.sku: (p.slug, product_hash(p)) for p in open_catalog(moved)}
    # A slug two products share goes to the first in the file: those products did change.
    same_slug = [sku for sku in before if before[sku][0] == after[sku][0]]
    assert len(same_slug) > len(before) // 2
    assert all(before[sku] == after[sku] for sku in same_slug)
    assert all(before[sku][1] != after[sku][1] for sku in before if sku not in same_slug)


def test_a_product_changed_after_reading_hashes_whole(sample_csv: Path) -> None:
    products = list(open_catalog(sample_csv))
    first, other = products[0], products[1]
    read_hash, other_hash = product_hash(first), product_hash(other)
    assert first.source_digest() is not None
    assert read_hash != json_hash(first)  # by its rows, not by its JSON

    first.variants[0].price = first.variants[0].price + 5000
    # Any assignment makes every product read so far forget its rows: the changed one and
    # the others alike hash by their JSON, so the change is seen.
    assert first.source_digest() is None and other.source_digest() is None
    assert product_hash(first) == json_hash(first) != read_hash
    assert product_hash(other) == json_hash(other) != other_hash


def test_a_copy_with_updates_forgets_the_rows_and_equality_ignores_them(
    sample_csv: Path,
) -> None:
    product = next(iter(open_catalog(sample_csv)))
    assert product.model_copy().source_digest() == product.source_digest() is not None
    renamed = product.model_copy(update={"name": product.name + " mới"})
    assert renamed.source_digest() is None
    assert product_hash(renamed) == json_hash(renamed)
    # The same product built in memory equals the one read, though it hashes otherwise.
    built = next(p for p in build_bac_kan_catalog().products if p.sku == product.sku)
    assert built == product and product_hash(built) != product_hash(product)


def test_a_workbook_hashes_alike_on_every_read(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    export_catalog(build_bac_kan_catalog(), path)
    first = hashes(path)
    assert hashes(path) == first
    assert all(p.source_digest() is not None for p in open_catalog(path))


def test_a_change_to_the_reading_code_changes_every_hash(
    sample_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = hashes(sample_csv)
    copy = tmp_path / "sync"
    shutil.copytree(Path(sync.__file__).parent, copy)
    monkeypatch.setattr(sync, "__file__", str(copy / "__init__.py"))
    digests.code_salt.cache_clear()
    try:
        assert hashes(sample_csv) == before  # the same code: the same salt
        cells = copy / "catalog_io" / "cells.py"
        cells.write_text(cells.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        digests.code_salt.cache_clear()
        after = hashes(sample_csv)
        assert not set(after.values()) & set(before.values())
    finally:
        digests.code_salt.cache_clear()
