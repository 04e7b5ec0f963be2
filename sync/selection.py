"""Which products an account takes: `[accounts.select]` applied to one product.

A province's OCOP pavilion on Voso takes every product; a cooperative's own Shopee shop only
its own. `left_out` is a pure decision — the product and the account's rules in, the rule
that leaves each variant out (or nothing) back — so `plan` and `plan --details` tell the
same story. A variant left out is "out of scope" on that account: delisted there if it was
listed, never created, and the other accounts are not affected.
"""

from __future__ import annotations

import re

from sync.catalog import Product
from sync.ocop import CriteriaVersion, canonical_group
from sync.settings import Selection
from sync.text import collapse_spaces, nfc

# Administrative words a place name may start with; "xã Côn Minh" and "Côn Minh" are one
# commune, "tỉnh Bắc Kạn" and "Bắc Kạn" one province.
_PLACE_PREFIX = re.compile(r"^(xã|phường|thị trấn|đặc khu|tỉnh|thành phố|tp\.?)\s+", re.IGNORECASE)


def name_key(value: str) -> str:
    """Names compare without case or extra spaces (diacritics kept: they tell names apart)."""
    return collapse_spaces(nfc(value)).casefold()


def place_key(value: str) -> str:
    """A place name without its administrative word: 'xã Côn Minh' -> 'côn minh'."""
    return _PLACE_PREFIX.sub("", name_key(value))


def _group_key(version: CriteriaVersion, name: str) -> str:
    try:
        return name_key(canonical_group(version, name))
    except ValueError:
        return name_key(name)


def product_left_out(selection: Selection, product: Product) -> str | None:
    """The first product-level rule of `selection` that `product` fails, as a reason
    naming the rule (e.g. "3★ is below select.min_stars = 4"); None when it passes all."""
    if selection.producers:
        producer = product.producer
        wanted = {name_key(p) for p in selection.producers}
        if name_key(producer.name) not in wanted and (producer.tax_id or "") not in wanted:
            return f"producer {producer.name} is not in select.producers"
    if selection.min_stars is not None and product.ocop.stars < selection.min_stars:
        return f"{product.ocop.stars}★ is below select.min_stars = {selection.min_stars}"
    if selection.groups:
        version = product.ocop.criteria_version
        wanted = {_group_key(version, g) for g in selection.groups}
        if name_key(product.ocop.group) not in wanted:
            return f"group {product.ocop.group} is not in select.groups"
    if selection.product_sets:
        wanted = {name_key(s) for s in selection.product_sets}
        if name_key(product.ocop.product_set or "") not in wanted:
            shown = product.ocop.product_set or "(none)"
            return f"product set {shown} is not in select.product_sets"
    address = product.address
    if selection.provinces:
        wanted = {place_key(p) for p in selection.provinces}
        places = {place_key(address.province), place_key(address.current_province or "")}
        if not wanted & places:
            shown = address.current_province or address.province
            return f"province {shown} is not in select.provinces"
    if selection.communes:
        wanted = {place_key(c) for c in selection.communes}
        if place_key(address.commune) not in wanted:
            return f"commune {address.commune} is not in select.communes"
    if selection.tags:
        wanted = {name_key(t) for t in selection.tags}
        if not wanted & {name_key(t) for t in product.tags}:
            return "no tag in select.tags"
    return None


def left_out(selection: Selection, product: Product) -> dict[str, str]:
    """Variant SKU -> why the account does not take it; empty when it takes every variant.

    The SKU lists may name the product SKU (all its variants) or single variant SKUs.
    """
    if selection.everything:
        return {}
    reason = product_left_out(selection, product)
    if reason is not None:
        return {variant.sku: reason for variant in product.variants}
    out: dict[str, str] = {}
    include = set(selection.include_skus)
    exclude = set(selection.exclude_skus)
    for variant in product.variants:
        if exclude and (product.sku in exclude or variant.sku in exclude):
            out[variant.sku] = f"{variant.sku} is in select.exclude_skus"
        elif include and product.sku not in include and variant.sku not in include:
            out[variant.sku] = f"{variant.sku} is not in select.include_skus"
    return out
