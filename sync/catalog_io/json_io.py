"""JSON catalogs: the model's own shape, {"products": [...]}, validated product by product.

A JSON catalog is not streamed: it is parsed and validated whole when opened, and its
CatalogStream hands out the products already validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sync.catalog import Catalog, Product
from sync.catalog_io.messages import describe
from sync.catalog_io.results import CatalogFileError, RowError
from sync.catalog_io.stream import CatalogStream
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


def read_json(data: bytes, file: str, source: Path) -> CatalogStream:
    """Read a JSON catalog: each invalid product becomes RowErrors, valid ones still load."""
    document = nfc_deep(_parse(data, file))
    items: list[Any] = document["products"]
    errors = [
        RowError(file, None, str(key), None, "unknown top-level key (expected only products)")
        for key in document
        if key != "products"
    ]
    loaded: list[tuple[int, Product]] = []
    rejected: list[str] = []  # SKUs of the products left out, where the item names one
    for row, item in enumerate(items, start=1):
        try:
            loaded.append((row, Product.model_validate(item)))
            continue
        except ValidationError as exc:
            errors.extend(
                RowError(file, row, ".".join(map(str, e["loc"])) or None, _sku(item), describe(e))
                for e in exc.errors(include_url=False)
            )
        except Exception as exc:  # defensive: no model surprise may escape load_catalog
            errors.append(RowError(file, row, None, _sku(item), f"cannot validate: {exc}"))
        if (sku := _sku(item)) is not None:
            rejected.append(sku)
    bad = _duplicate_rows(loaded, file, errors)
    rejected.extend(product.sku for row, product in loaded if row in bad)
    good = [(row, product) for row, product in loaded if row not in bad]
    return CatalogStream(
        source=source,
        file=file,
        rows=len(items),
        errors=errors,
        rejected=list(dict.fromkeys(rejected)),  # two bad products may share a SKU
        products=iter(good),
    )


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
