"""JSON catalogs: the model's own shape, {"products": [...]}, validated product by product."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sync.catalog import Catalog, Product
from sync.catalog_io.flat_read import catalog_of
from sync.catalog_io.messages import describe
from sync.catalog_io.results import CatalogFileError, LoadResult, RowError
from sync.text import nfc_deep


def _parse(data: bytes, file: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogFileError(file, f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise CatalogFileError(file, "empty file")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(
            file, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise CatalogFileError(file, "not a catalog: JSON nested too deeply") from None
    if not isinstance(document, dict) or not isinstance(document.get("products"), list):
        raise CatalogFileError(file, 'not a catalog: expected {"products": [...]}')
    return document


def _sku(item: object) -> str | None:
    sku = item.get("sku") if isinstance(item, dict) else None
    return sku if isinstance(sku, str) else None


def read_json(data: bytes, file: str, source: Path) -> LoadResult:
    """Load a JSON catalog: each invalid product becomes RowErrors, valid ones still load."""
    document = nfc_deep(_parse(data, file))
    items: list[Any] = document["products"]
    errors = [
        RowError(file, None, str(key), None, "unknown top-level key (expected only products)")
        for key in document
        if key != "products"
    ]
    loaded: list[tuple[int, Product]] = []
    for row, item in enumerate(items, start=1):
        try:
            loaded.append((row, Product.model_validate(item)))
        except ValidationError as exc:
            errors.extend(
                RowError(file, row, ".".join(map(str, e["loc"])) or None, _sku(item), describe(e))
                for e in exc.errors(include_url=False)
            )
        except Exception as exc:  # defensive: no model surprise may escape load_catalog
            errors.append(RowError(file, row, None, _sku(item), f"cannot validate: {exc}"))
    bad = _duplicate_rows(loaded, file, errors)
    good = [product for row, product in loaded if row not in bad]
    catalog = catalog_of(
        good, lambda message: errors.append(RowError(file, None, None, None, message))
    )
    errors.sort(key=lambda e: e.row or 0)
    return LoadResult(source=source, catalog=catalog, errors=errors, rows=len(items))


def _duplicate_rows(
    loaded: list[tuple[int, Product]], file: str, errors: list[RowError]
) -> set[int]:
    """Report SKUs used by two products (naming both); return the products to drop."""
    places: dict[str, list[tuple[int, str]]] = {}
    for row, product in loaded:
        # A variant may reuse its own product's SKU, so count each SKU once per product.
        columns = {product.sku: "sku"}
        for index, variant in enumerate(product.variants):
            columns.setdefault(variant.sku, f"variants.{index}.sku")
        for sku, column in columns.items():
            places.setdefault(sku, []).append((row, column))
    bad: set[int] = set()
    for sku, used in places.items():
        if len(used) > 1:
            rows = " and ".join(str(row) for row, _ in used)
            for row, column in used:
                errors.append(
                    RowError(file, row, column, sku, f"duplicate SKU {sku!r} (products {rows})")
                )
                bad.add(row)
    return bad


def json_bytes(catalog: Catalog) -> bytes:
    """The catalog as JSON: indent 2, UTF-8, non-ASCII kept readable."""
    text = json.dumps(catalog.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
