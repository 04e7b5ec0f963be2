"""Write a catalog as the flat layout: one row per variant, product columns repeated."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from sync.catalog import Catalog, Product, Variant
from sync.catalog_io.columns import EXPORTED, Column

Cell = str | int | float | date | None


def _get(source: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if source is None:
            return None
        source = getattr(source, part)
    return source


def _joined(column: Column, items: list[str]) -> str | None:
    for item in items:
        # ';' and line breaks separate items in a cell; an item containing one cannot be
        # written without coming back as two items, so refuse rather than corrupt it.
        if ";" in item or "\n" in item or "\r" in item:
            raise ValueError(f"{column.name} item {item!r} contains ';' or a line break; use JSON")
    return "; ".join(items) if items else None


def _cell(column: Column, value: Any) -> Cell:
    if value is None:
        return None
    if column.name == "images":
        # The first image of a cell is the primary one, so write the primary image first.
        ordered = sorted(value, key=lambda image: not image.primary)
        return _joined(column, [str(image.url) for image in ordered])
    if isinstance(value, list):
        return _joined(column, [str(item) for item in value])
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):  # pragma: no cover - no boolean column in the layout
        return str(value).lower()
    if isinstance(value, int | float | date):
        return value
    return str(value)  # Text, HttpUrl, Quantity ('500 g')


def product_rows(product: Product) -> list[dict[str, Cell]]:
    """The rows of one product, keyed by English column name."""
    rows: list[dict[str, Cell]] = []
    for variant in product.variants:
        rows.append(
            {column.name: _cell(column, _value(product, variant, column)) for column in EXPORTED}
        )
    return rows


def _value(product: Product, variant: Variant, column: Column) -> Any:
    return _get(variant if column.level == "variant" else product, column.path)


def catalog_rows(catalog: Catalog) -> tuple[list[str], list[list[Cell]]]:
    """Header and rows of the whole catalog, in catalog order."""
    header = [column.name for column in EXPORTED]
    rows = [
        [row[name] for name in header]
        for product in catalog.products
        for row in product_rows(product)
    ]
    return header, rows
