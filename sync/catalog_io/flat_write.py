"""Write a catalog as the flat layout: one row per variant, product columns repeated.

`lang="en"`: English snake_case headers and values; `lang="vi"`: the catalog keeper's
layout (guide.py), Vietnamese headers and values, the net quantity's unit in its own column.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from sync.catalog import Catalog, Product, Variant
from sync.catalog_io.columns import EXPORTED, Column
from sync.catalog_io.guide import VI_UNITS, Lang, enum_word, header

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


def exported(lang: Lang) -> tuple[Column, ...]:
    """The columns written in `lang` (the unit column only in the Vietnamese layout)."""
    return tuple(c for c in EXPORTED if lang == "vi" or c.name != "net_unit")


def _cell(column: Column, value: Any, lang: Lang) -> Cell:
    if value is None:
        return None
    if lang == "vi" and column.name == "net_quantity":
        amount = value.value.normalize()
        return int(amount) if amount == amount.to_integral_value() else f"{amount:f}"
    if column.name == "images":
        # The first image of a cell is the primary one, so write the primary image first.
        ordered = sorted(value, key=lambda image: not image.primary)
        return _joined(column, [str(image.url) for image in ordered])
    if isinstance(value, list):
        return _joined(column, [str(item) for item in value])
    if isinstance(value, Enum):
        return enum_word(value, lang)
    if isinstance(value, bool):  # pragma: no cover - no boolean column in the layout
        return str(value).lower()
    if isinstance(value, int | float | date):
        return value
    return str(value)  # Text, HttpUrl, Quantity ('500 g')


def product_rows(product: Product, lang: Lang = "en") -> list[dict[str, Cell]]:
    """The rows of one product, keyed by English column name."""
    columns = exported(lang)
    return [
        {c.name: _cell(c, _value(product, variant, c), lang) for c in columns}
        for variant in product.variants
    ]


def _value(product: Product, variant: Variant, column: Column) -> Any:
    if column.name == "net_unit":
        return VI_UNITS[variant.net_quantity.unit]
    return _get(variant if column.level == "variant" else product, column.path)


def catalog_rows(catalog: Catalog, lang: Lang = "en") -> tuple[list[str], list[list[Cell]]]:
    """Header (in `lang`) and rows of the whole catalog, in catalog order."""
    names = [column.name for column in exported(lang)]
    rows = [
        [row[name] for name in names]
        for product in catalog.products
        for row in product_rows(product, lang)
    ]
    return [header(name, lang) for name in names], rows
