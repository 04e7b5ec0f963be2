"""Read the flat layout (rows from CSV or XLSX) into a catalog, one RowError per problem.

A product loads only when every one of its rows is valid: loading part of a product would
make a sync delist the variants whose rows were wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sync.catalog import Catalog, Product
from sync.catalog_io import cells
from sync.catalog_io.columns import BY_NAME, REQUIRED, Column, column_for_loc, match_header
from sync.catalog_io.messages import describe
from sync.catalog_io.results import CatalogFileError, LoadResult, RowError

Cells = dict[str, object]  # column name -> cleaned, non-blank cell value


@dataclass
class Table:
    """A sheet as read from a file: the header row and the non-blank data rows."""

    file: str
    header_row: int
    header: list[object]
    rows: list[tuple[int, list[object]]]  # (row number as the user sees it, cell values)


@dataclass
class _Product:
    sku: str
    rows: list[tuple[int, Cells]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_columns: set[tuple[int | None, str]] = field(default_factory=set)
    sources: dict[str, int] = field(default_factory=dict)  # product column -> row it came from
    variant_rows: list[int] = field(default_factory=list)  # row of each entry in "variants"


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else cells.text(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _set(target: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


class _Reader:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.file = table.file
        self.errors: list[RowError] = []
        self.columns: dict[int, Column] = {}
        self.written: dict[str, str] = {}  # column name -> header as written in the file
        self._map_header()

    def header_of(self, column: Column) -> str:
        return self.written.get(column.name, column.name)

    def _map_header(self) -> None:
        unlabeled: list[int] = []
        for index, raw in enumerate(self.table.header):
            value = cells.clean(raw)
            if value is None:
                unlabeled.append(index)
                continue
            header = cells.text(value)
            column = match_header(header)
            if column is None:
                self.errors.append(
                    RowError(self.file, self.table.header_row, header, None, "unknown column")
                )
            elif column.name in self.written:
                raise CatalogFileError(
                    self.file,
                    f"columns {self.written[column.name]!r} and {header!r} both mean "
                    f"{column.name}; keep one",
                )
            else:
                self.columns[index] = column
                self.written[column.name] = header
        if not self.columns:
            raise CatalogFileError(
                self.file,
                "no recognised header row; expected columns such as "
                + ", ".join(c.name for c in REQUIRED)
                + " (see docs/catalog-format.md)",
            )
        missing = [c for c in REQUIRED if c.name not in self.written]
        if missing:
            names = ", ".join(f"{c.name} ({c.aliases[0]})" for c in missing)
            raise CatalogFileError(self.file, f"missing required column(s): {names}")
        width = len(self.table.header)
        for index in [
            *unlabeled,
            *range(width, max((len(r) for _, r in self.table.rows), default=0)),
        ]:
            if any(
                index < len(r) and cells.clean(r[index]) is not None for _, r in self.table.rows
            ):
                self.errors.append(
                    RowError(
                        self.file,
                        self.table.header_row,
                        f"column {index + 1}",
                        None,
                        "has values but no header",
                    )
                )

    def _cells(self, values: list[object]) -> Cells:
        row: Cells = {}
        for index, column in self.columns.items():
            if index < len(values) and column.level != "ignored":
                value = cells.clean(values[index])
                if value is not None:
                    row[column.name] = value
        return row

    def group(self) -> list[_Product]:
        products: dict[str, _Product] = {}
        sku_column = BY_NAME["product_sku"]
        for number, values in self.table.rows:
            row = self._cells(values)
            raw = row.get("product_sku")
            sku = cells.text(raw) if raw is not None else ""
            if not sku:
                message = "required value is missing (rows are grouped by product SKU)"
                self.errors.append(
                    RowError(self.file, number, self.header_of(sku_column), None, message)
                )
                continue
            products.setdefault(sku, _Product(sku)).rows.append((number, row))
        return list(products.values())

    def error(
        self,
        product: _Product,
        row: int | None,
        column: Column | None,
        sku: str | None,
        message: str,
        *,
        cell_reported: bool = True,
    ) -> None:
        header = self.header_of(column) if column else None
        product.errors.append(RowError(self.file, row, header, sku or product.sku, message))
        # A disagreement between rows says nothing about the first row's value, which the
        # model still checks (e.g. an unknown group on the first row is reported there).
        if column is not None and cell_reported:
            key = None if column.level == "product" else row
            product.bad_columns.add((key, column.name))

    def convert(
        self, product: _Product, row: int, column: Column, raw: object, sku: str | None
    ) -> tuple[bool, object]:
        try:
            return True, column.convert(raw)
        except ValueError as exc:
            self.error(product, row, column, sku, str(exc))
        except Exception as exc:  # a surprising cell must become a row error, never a crash
            self.error(product, row, column, sku, f"cannot read {_shown(raw)} ({exc})")
        return False, None

    def build(self, product: _Product, skip_rows: set[int]) -> dict[str, Any]:
        """The Product dict: product-level values from the first row that fills them."""
        data: dict[str, Any] = {"ocop": {}, "producer": {}, "address": {}, "variants": []}
        for column in self.columns.values():
            if column.level != "product":
                continue
            first: tuple[int, object, object] | None = None
            for number, row in product.rows:
                if column.name not in row:
                    continue
                raw = row[column.name]
                ok, value = self.convert(product, number, column, raw, None)
                if not ok:
                    continue
                if first is None:
                    first = (number, raw, value)
                elif value != first[2]:
                    self.error(
                        product,
                        number,
                        column,
                        None,
                        f"disagrees with row {first[0]} of the same product: "
                        f"{_shown(raw)} here, {_shown(first[1])} there",
                        cell_reported=False,
                    )
            if first is not None:
                _set(data, column.path, first[2])
                product.sources[column.name] = first[0]
        for number, row in product.rows:
            raw_sku = row.get("variant_sku")
            variant_sku = cells.text(raw_sku) if raw_sku is not None else None
            variant: dict[str, Any] = {}
            for column in self.columns.values():
                if column.level == "variant" and column.name in row:
                    ok, value = self.convert(product, number, column, row[column.name], variant_sku)
                    if ok:
                        _set(variant, column.path, value)
            # A duplicated row is reported by the duplicate check; validating it again here
            # would add a second, vaguer error for the same mistake.
            if number not in skip_rows:
                data["variants"].append(variant)
                product.variant_rows.append(number)
        return data

    def validate(self, product: _Product, data: dict[str, Any]) -> Product | None:
        first_row = product.rows[0][0]
        variant_rows = product.variant_rows
        try:
            model = Product.model_validate(data)
        except ValidationError as exc:
            for detail in exc.errors(include_url=False):
                loc = tuple(detail["loc"])
                message = describe(detail)
                column = column_for_loc(loc, message)
                row, sku = first_row, None
                if column is not None and column.level == "product":
                    row = product.sources.get(column.name, first_row)
                if loc[:1] == ("variants",) and len(loc) > 1 and isinstance(loc[1], int):
                    row = variant_rows[loc[1]] if loc[1] < len(variant_rows) else first_row
                    sku = data["variants"][loc[1]].get("sku")
                if column is not None:
                    key = None if column.level == "product" else row
                    if (key, column.name) in product.bad_columns:
                        continue  # the cell itself was already reported
                self.error(product, row, column, sku if isinstance(sku, str) else None, message)
            return None
        except Exception as exc:  # defensive: no model surprise may escape load_catalog
            self.error(product, first_row, None, None, f"cannot validate product: {exc}")
            return None
        return None if product.errors else model


def _duplicates(reader: _Reader, products: list[_Product]) -> dict[str, set[int]]:
    """Report SKUs used twice (naming every row involved); return rows to skip per product."""
    variant_column, product_column = BY_NAME["variant_sku"], BY_NAME["product_sku"]
    used: dict[str, list[tuple[_Product, int]]] = {}
    for product in products:
        for number, row in product.rows:
            if "variant_sku" in row:
                used.setdefault(cells.text(row["variant_sku"]), []).append((product, number))
    owners = {product.sku: product for product in products}
    skip: dict[str, set[int]] = {}
    for sku, places in used.items():
        if len(places) > 1:
            rows = " and ".join(str(number) for _, number in places)
            for product, number in places:
                reader.error(
                    product,
                    number,
                    variant_column,
                    sku,
                    f"duplicate variant SKU {sku!r} (rows {rows})",
                )
            for product, number in places[1:]:
                if product is places[0][0]:
                    skip.setdefault(product.sku, set()).add(number)
        other = owners.get(sku)
        for product, number in places:
            if other is not None and other is not product:
                there = other.rows[0][0]
                reader.error(
                    product,
                    number,
                    variant_column,
                    sku,
                    f"variant SKU {sku!r} is also the SKU of the product on row {there}",
                )
                reader.error(
                    other,
                    there,
                    product_column,
                    sku,
                    f"product SKU {sku!r} is also a variant SKU on row {number}",
                )
    return skip


def read_table(table: Table, source: Path) -> LoadResult:
    """Turn a parsed sheet into a LoadResult (CatalogFileError if the header is unusable)."""
    reader = _Reader(table)
    products = reader.group()
    skip = _duplicates(reader, products)
    good: list[Product] = []
    for product in products:
        data = reader.build(product, skip.get(product.sku, set()))
        model = reader.validate(product, data)
        reader.errors.extend(product.errors)
        if model is not None:
            good.append(model)
    catalog = catalog_of(
        good, lambda message: reader.errors.append(RowError(reader.file, None, None, None, message))
    )
    errors = sorted(reader.errors, key=lambda e: e.row or 0)
    return LoadResult(source=source, catalog=catalog, errors=errors, rows=len(table.rows))


def catalog_of(products: list[Product], report: Callable[[str], None]) -> Catalog:
    """The catalog of valid products; a catalog-wide conflict drops the products involved."""
    try:
        return Catalog(products=products)
    except ValidationError:
        pass
    # Only reachable if a catalog rule is not pre-checked above; keep what can be kept.
    kept: list[Product] = []
    for product in products:
        try:
            Catalog(products=[*kept, product])
        except ValidationError as exc:
            report(f"product {product.sku}: {describe(exc.errors(include_url=False)[0])}")
            continue
        kept.append(product)
    return Catalog(products=kept)
