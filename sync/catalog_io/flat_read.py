"""Read one product of the flat layout (rows from CSV or XLSX), one RowError per problem.

A product loads only when every one of its rows is valid: loading part of a product would
make a sync delist the variants whose rows were wrong. flat_stream drives the reader over a
whole file, in two passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sync.catalog import Catalog, Product
from sync.catalog_io import cells
from sync.catalog_io.columns import BY_NAME, REQUIRED, Column, column_for_loc, match_header
from sync.catalog_io.messages import describe
from sync.catalog_io.results import CatalogFileError, RowError

Cells = dict[str, object]  # column name -> cleaned, non-blank cell value
Row = tuple[int, Sequence[object]]  # (row number as the user sees it, cell values)


@dataclass
class Table:
    """A sheet as read from a file: the header row and the non-blank data rows."""

    file: str
    header_row: int
    header: Sequence[object]
    # Iterable more than once: a list (XLSX) or the file read again each time (csv_io.CsvRows).
    rows: Iterable[Row]


@dataclass
class ProductRows:
    """The rows of one product SKU and what reading them found."""

    sku: str
    rows: list[tuple[int, Cells]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_columns: set[tuple[int | None, str]] = field(default_factory=set)
    sources: dict[str, int] = field(default_factory=dict)  # product column -> row it came from
    variant_rows: list[int] = field(default_factory=list)  # row of each entry in "variants"
    digest: hashlib.blake2b | None = None  # of the rows as read (sync.catalog_io.row_digest)


def sku_text(raw: object) -> str:
    """A cleaned SKU cell as the text rows are grouped and compared by ("" when blank)."""
    return cells.text(raw) if raw is not None else ""


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else cells.text(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _set(target: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


class FlatReader:
    """Reads rows of one sheet into products: the header's meaning, cells, build, validate.

    `errors` collects problems that belong to no product (header, rows without a product
    SKU) and, through `finish`, those of every product read; `rejected` the SKUs of the
    products that did not load.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.file = table.file
        self.errors: list[RowError] = []
        self.rejected: list[str] = []
        self.columns: dict[int, Column] = {}
        self.written: dict[str, str] = {}  # column name -> header as written in the file
        self.unlabeled: list[int] = []  # positions of blank header cells
        try:
            self._map_header()
        except CatalogFileError:
            # A damaged file is reported as such before its header (as when the whole file
            # was decoded first): reading the rows raises that error if there is one.
            for _ in table.rows:
                pass
            raise
        self.sku_index = self._index_of("product_sku")
        self.variant_sku_index = self._index_of("variant_sku")

    def header_of(self, column: Column) -> str:
        return self.written.get(column.name, column.name)

    def _index_of(self, name: str) -> int:
        return next(index for index, column in self.columns.items() if column.name == name)

    def _map_header(self) -> None:
        for index, raw in enumerate(self.table.header):
            value = cells.clean(raw)
            if value is None:
                self.unlabeled.append(index)
                continue
            header = cells.text(value)
            column = match_header(header)
            if column is None:
                # Its cells are ignored and the rows still load: validate and sync both
                # report it as a warning (a typo such as "tag" for "tags" is still seen).
                self.errors.append(
                    RowError(
                        self.file,
                        self.table.header_row,
                        header,
                        None,
                        "unknown column",
                        severity="warning",
                    )
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

    def cell(self, values: Sequence[object], index: int) -> object:
        """One cleaned cell of a row; None when blank or beyond the row's end."""
        return cells.clean(values[index]) if index < len(values) else None

    def find_headerless(self, values: Sequence[object], found: set[int]) -> None:
        """Add to `found` the positions where this row has a value but the header none."""
        width = len(self.table.header)
        if not self.unlabeled and len(values) <= width:
            return  # the usual row: every cell under a header
        for index in (*self.unlabeled, *range(width, len(values))):
            if index not in found and self.cell(values, index) is not None:
                found.add(index)

    def report_headerless(self, found: set[int]) -> None:
        """One error per column that has values somewhere but no header, left to right."""
        for index in sorted(found):
            self.errors.append(
                RowError(
                    self.file,
                    self.table.header_row,
                    f"column {index + 1}",
                    None,
                    "has values but no header",
                )
            )

    def report_missing_sku(self, row: int) -> None:
        """A row without a product SKU belongs to no product; it is reported, not read."""
        message = "required value is missing (rows are grouped by product SKU)"
        column = self.header_of(BY_NAME["product_sku"])
        self.errors.append(RowError(self.file, row, column, None, message))

    def cells_of(self, values: Sequence[object]) -> Cells:
        """The row's non-blank cells of known, not ignored columns, by column name."""
        row: Cells = {}
        for index, column in self.columns.items():
            if index < len(values) and column.level != "ignored":
                value = cells.clean(values[index])
                if value is not None:
                    row[column.name] = value
        return row

    def error(
        self,
        product: ProductRows,
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
        self, product: ProductRows, row: int, column: Column, raw: object, sku: str | None
    ) -> tuple[bool, object]:
        try:
            return True, column.convert(raw)
        except ValueError as exc:
            self.error(product, row, column, sku, str(exc))
        except Exception as exc:  # a surprising cell must become a row error, never a crash
            self.error(product, row, column, sku, f"cannot read {_shown(raw)} ({exc})")
        return False, None

    def build(self, product: ProductRows, skip_rows: set[int]) -> dict[str, Any]:
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
            _apply_unit(self, product, number, variant, variant_sku)
            # A duplicated row is reported by the duplicate check; validating it again here
            # would add a second, vaguer error for the same mistake.
            if number not in skip_rows:
                data["variants"].append(variant)
                product.variant_rows.append(number)
        return data

    def validate(self, product: ProductRows, data: dict[str, Any]) -> Product | None:
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

    def finish(self, product: ProductRows, skip_rows: set[int]) -> Product | None:
        """Build and validate a product whose rows are all read; its errors join `errors`."""
        data = self.build(product, skip_rows)
        model = self.validate(product, data)
        self.errors.extend(product.errors)
        if model is None:
            self.rejected.append(product.sku)
        return model


def _apply_unit(
    reader: FlatReader, product: ProductRows, row: int, variant: dict[str, Any], sku: str | None
) -> None:
    # The unit column completes a bare-number net quantity ("500" + "g"); it must agree
    # with a quantity that names its own unit ("500 g").
    unit = variant.pop("net_unit", None)
    quantity = variant.get("net_quantity")
    if unit is None or not isinstance(quantity, dict):
        return
    if quantity.setdefault("unit", unit) != unit:
        message = f"unit {unit!r} disagrees with the net quantity's own unit {quantity['unit']!r}"
        reader.error(product, row, BY_NAME["net_unit"], sku, message)


def catalog_of(products: list[Product], report: Callable[[Product, str], None]) -> Catalog:
    """The catalog of valid products; a product in a catalog-wide conflict is reported
    (with the reason) and dropped."""
    try:
        return Catalog(products=products)
    except ValidationError:
        pass
    # Only reachable if a reader did not pre-check a catalog rule; keep what can be kept.
    kept: list[Product] = []
    for product in products:
        try:
            Catalog(products=[*kept, product])
        except ValidationError as exc:
            report(product, describe(exc.errors(include_url=False)[0]))
            continue
        kept.append(product)
    return Catalog(products=kept)
