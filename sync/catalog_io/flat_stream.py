"""Stream the products of a flat sheet (CSV/XLSX) in two passes over its rows.

Pass 1 (`index_rows`, run when the stream is opened) reads every row once and keeps only
small facts: where each product SKU starts and ends, where each variant SKU is used, which
rows lack a product SKU and which columns have values but no header. Any file-level problem
is therefore raised before the first product. From those facts the duplicate checks of the
whole file are done up front (`duplicates`).

Pass 2 (`products`) reads the rows again, gathers the rows of each product until its last
row and then builds and validates it. When a product's rows are contiguous (as exported)
only one product is held at a time; interleaved products are held until their last row.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sync.catalog import Product
from sync.catalog_io.columns import BY_NAME
from sync.catalog_io.flat_read import FlatReader, ProductRows, Table, sku_text
from sync.catalog_io.results import CatalogFileError
from sync.catalog_io.row_digest import RowDigests, encode_row
from sync.catalog_io.stream import CatalogStream

Place = tuple[int, str]  # (row, product SKU) where a variant SKU is used


@dataclass
class RowIndex:
    """What pass 1 keeps of a sheet: a few numbers and SKUs per row, never the rows."""

    rows: int = 0  # non-blank data rows
    first: dict[str, int] = field(default_factory=dict)  # product SKU -> its first row
    last: dict[str, int] = field(default_factory=dict)  # product SKU -> its last row
    variants: dict[str, Place] = field(default_factory=dict)  # variant SKU -> first place
    reused: dict[str, list[Place]] = field(default_factory=dict)  # variant SKU -> later places


def index_rows(reader: FlatReader) -> RowIndex:
    """Pass 1: index every row; report rows without a product SKU and headerless values."""
    index = RowIndex()
    headerless: set[int] = set()
    missing: list[int] = []
    for number, values in reader.table.rows:
        index.rows += 1
        reader.find_headerless(values, headerless)
        sku = sku_text(reader.cell(values, reader.sku_index))
        if not sku:
            missing.append(number)
            continue
        # One string object per product SKU, however many rows and places refer to it.
        sku = sys.intern(sku)
        index.first.setdefault(sku, number)
        index.last[sku] = number
        raw_variant = reader.cell(values, reader.variant_sku_index)
        if raw_variant is not None:
            variant = sku_text(raw_variant)
            if variant in index.variants:
                index.reused.setdefault(variant, []).append((number, sku))
            else:
                index.variants[variant] = (number, sku)
    reader.report_headerless(headerless)
    for number in missing:
        reader.report_missing_sku(number)
    return index


def duplicates(
    reader: FlatReader, index: RowIndex
) -> tuple[dict[str, ProductRows], dict[str, set[int]]]:
    """Report SKUs used twice, naming every row involved.

    Returns the products that already have errors (to be read on in pass 2) and, per
    product SKU, the rows to leave out of its variants (repeats of its own variant).
    """
    variant_column, product_column = BY_NAME["variant_sku"], BY_NAME["product_sku"]

    def order(place: Place) -> tuple[int, int]:
        # Products in order of first appearance, then rows: the order of the report.
        row, product = place
        return index.first[product], row

    used: list[tuple[str, list[Place]]] = []
    for sku, place in index.variants.items():
        if sku in index.reused or sku in index.first:
            used.append((sku, sorted([place, *index.reused.get(sku, [])], key=order)))
    used.sort(key=lambda item: order(item[1][0]))

    products: dict[str, ProductRows] = {}

    def product_of(sku: str) -> ProductRows:
        return products.setdefault(sku, ProductRows(sku))

    skip: dict[str, set[int]] = {}
    for sku, places in used:
        if len(places) > 1:
            rows = " and ".join(str(number) for number, _ in places)
            for number, owner in places:
                reader.error(
                    product_of(owner),
                    number,
                    variant_column,
                    sku,
                    f"duplicate variant SKU {sku!r} (rows {rows})",
                )
            for number, owner in places[1:]:
                if owner == places[0][1]:
                    skip.setdefault(owner, set()).add(number)
        there = index.first.get(sku)
        for number, owner in places:
            if there is not None and owner != sku:
                reader.error(
                    product_of(owner),
                    number,
                    variant_column,
                    sku,
                    f"variant SKU {sku!r} is also the SKU of the product on row {there}",
                )
                reader.error(
                    product_of(sku),
                    there,
                    product_column,
                    sku,
                    f"product SKU {sku!r} is also a variant SKU on row {number}",
                )
    return products, skip


def _changed(reader: FlatReader) -> CatalogFileError:
    return CatalogFileError(reader.file, "the file changed while it was being read")


def products(
    reader: FlatReader,
    index: RowIndex,
    pending: dict[str, ProductRows],
    skip: dict[str, set[int]],
) -> Iterator[tuple[int, Product]]:
    """Pass 2: each valid product, with its first row, once its last row has been read
    (each remembers the digest of its rows: `Product.read_from`)."""
    open_products: dict[str, ProductRows] = {}
    digests = RowDigests(reader.table.header)
    for number, values in reader.table.rows:
        row = reader.cells_of(values)
        sku = sku_text(row.get("product_sku"))
        if not sku:
            continue  # reported in pass 1
        product = open_products.get(sku)
        if product is None:
            if index.first.get(sku) != number:
                raise _changed(reader)  # pass 1 saw other rows
            # A product with duplicate errors already has them; any other starts afresh.
            product = pending.pop(sku) if sku in pending else ProductRows(sku)
            open_products[sku] = product
        product.rows.append((number, row))
        if product.digest is None:
            product.digest = digests.start()
        product.digest.update(encode_row(values))
        if number == index.last[sku]:
            del open_products[sku]
            model = reader.finish(product, skip.get(sku, set()))
            if model is not None:
                model.read_from(product.digest.digest())
                yield index.first[sku], model
    if open_products:
        raise _changed(reader)


def open_table(table: Table, source: Path) -> CatalogStream:
    """Pass 1 over a sheet and a stream whose iteration is pass 2 (CatalogFileError if the
    header is unusable or the rows cannot be read)."""
    reader = FlatReader(table)
    index = index_rows(reader)
    pending, skip = duplicates(reader, index)
    return CatalogStream(
        source=source,
        file=reader.file,
        rows=index.rows,
        errors=reader.errors,
        rejected=reader.rejected,
        products=products(reader, index, pending, skip),
    )
