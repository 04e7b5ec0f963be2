"""A TikTok listing's remote id: `product_id:sku_id`.

TikTok's Update Price and Update Inventory address a product's SKU by its id, which only
Create Product, Edit Product, Get Product and Search Products answer with. Keeping the SKU
id in the remote id (the way Shopee's connector keeps `item_id:model_id`) lets any process
send those updates without reading the product first. Bindings stored before this form
hold the bare `product_id`; the client still accepts them and reads the SKU id once.
"""

from __future__ import annotations

from connectors.errors import NotFoundError

_SEP = ":"


def join(product_id: str, sku_id: str | None) -> str:
    """The remote id of a product's SKU (the bare product id when the SKU id is unknown)."""
    return f"{product_id}{_SEP}{sku_id}" if sku_id else product_id


def split(remote_id: str, account: str) -> tuple[str, str | None]:
    """(product_id, sku_id or None for an old bare id); NotFoundError when it is neither
    form, so the engine treats it like a product that is gone."""
    product_id, sep, sku_id = remote_id.partition(_SEP)
    if not product_id or (sep and not sku_id) or _SEP in sku_id:
        raise NotFoundError(f"{remote_id!r} is not a TikTok product[:sku] id", account=account)
    return product_id, sku_id or None


def same_listing(stored: str, seen: str) -> bool:
    """Whether a stored remote id names the listing seen on the marketplace: the same id,
    or an older bare product id of that listing's product (each variant is a product)."""
    return stored == seen or stored.partition(_SEP)[0] == seen.partition(_SEP)[0]
