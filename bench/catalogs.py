"""Deterministic synthetic catalogs and the 1% price/stock change."""

from __future__ import annotations

from sync.catalog import Catalog

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
VARIANTS_PER_PRODUCT = 2  # the synthetic generator's default: listings = 2 × products
CHANGED_EVERY = 100  # 1% of the variants change


def parse_size(text: str) -> int:
    """'1k', '10k', '100k' or a plain number of products (e.g. '200' for the smoke test)."""
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    try:
        value = int(key)
    except ValueError:
        raise ValueError(f"size must be one of {', '.join(SIZES)} or a number: {text!r}") from None
    if value < 20:
        raise ValueError("size must be at least 20 products")
    return value


def size_label(products: int) -> str:
    """'10k' for 10 000 products, else the number."""
    return next((label for label, n in SIZES.items() if n == products), str(products))


def change_prices_and_stock(catalog: Catalog) -> list[str]:
    """Change price or stock (never content) of 1% of the variants, in place; their SKUs.

    Every 100th variant in catalog order: even ones get a new price (+5 000 ₫, which survives
    the marketplaces' rounding to 1 000 ₫ and the USD conversion), odd ones new stock.
    """
    changed: list[str] = []
    index = 0
    for product in catalog.products:
        for variant in product.variants:
            if index % CHANGED_EVERY == CHANGED_EVERY - 1:
                if len(changed) % 2 == 0:
                    variant.price = variant.price + 5000
                else:
                    variant.stock = variant.stock + 7
                changed.append(variant.sku)
            index += 1
    return changed
