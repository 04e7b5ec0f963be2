"""1% changed on the OAuth marketplaces (Shopee, Lazada, TikTok Shop): the `changed` figure's
measurement on accounts, state and catalog of their own (`--only changedoauth`, not run by
default), so `changed_requests_per_listing` keeps meaning the three bench accounts.

A full sync from scratch to one sandbox account per OAuth marketplace (each with its grant
in the state, reviews settled), then 1% of the variants get a new price or stock and the
catalog is synced again through the streamed path. Per account: requests the sandbox
received during that pass (token calls and review follow-ups included) ÷ listings planned
as price/stock changes, against the same goals as `changed`. Beside it, the fewest requests
the marketplace's documented calls allow for the same changes (`protocol_minimum`,
docs/marketplaces/<name>.md): Shopee and TikTok Shop update price and stock per item /
product, so when every changed listing belongs to a different item no client can reach
0.05 there.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bench.catalogs import change_prices_and_stock
from bench.context import OAUTH_MARKETPLACES, Bench
from bench.figures.changed import GOAL_BATCH, GOAL_SINGLE, account_ratios
from bench.passes import streamed_pass
from bench.report import Figure
from connectors.lazada.api import PRICE_QUANTITY_MAX
from sync.catalog import Catalog
from sync.synthetic import synthetic_catalog

PREFIX = "bench-oauth"


def _per_item(changes: dict[str, tuple[str, set[str]]], size: int) -> int:
    """One price call per item with a price change and one stock call per item with a
    stock change, each for at most `size` of its models (Shopee's update_price /
    update_stock; with `size` 1, one call per changed listing)."""
    calls = 0
    for kind in ("price", "stock"):
        per_item: dict[str, int] = {}
        for product, kinds in changes.values():
            if kind in kinds:
                per_item[product] = per_item.get(product, 0) + 1
        calls += sum(math.ceil(n / size) for n in per_item.values())
    return calls


def _across_items(changes: dict[str, tuple[str, set[str]]], size: int) -> int:
    """One call per `size` SKUs of any products (Lazada's price_quantity/update)."""
    return math.ceil(len(changes) / size)


# The fewest calls the documented API allows for a set of changes, and why.
PROTOCOL: dict[str, tuple[Callable[[dict[str, tuple[str, set[str]]]], int], str]] = {
    "shopee": (
        lambda c: _per_item(c, 50),
        "v2.product.update_price / update_stock: 1–50 models of one item a call "
        "(docs/marketplaces/shopee.md)",
    ),
    "lazada": (
        lambda c: _across_items(c, PRICE_QUANTITY_MAX),
        f"price_quantity/update: up to {PRICE_QUANTITY_MAX} SKUs of any products a call "
        "(docs/marketplaces/lazada.md)",
    ),
    "tiktok": (
        lambda c: _per_item(c, 1),
        "products/{id}/prices/update and …/inventory/update address one product, and each "
        "variant is a product of its own: one call per changed listing, if its SKU id is "
        "known (docs/marketplaces/tiktok.md)",
    ),
}


def _prices_and_stock(catalog: Catalog) -> dict[str, tuple[str, int, int]]:
    return {v.sku: (p.sku, v.price, v.stock) for p in catalog.products for v in p.variants}


def measure(bench: Bench) -> list[Figure]:
    """Worst batch ratio as the value (as `changed`); `met` needs every account within its
    own goal."""
    catalog = synthetic_catalog(bench.options.size, bench.options.seed)
    accounts = bench.accounts(prefix=PREFIX, marketplaces=OAUTH_MARKETPLACES)
    state_url = bench.scratch_url("changed-oauth")
    full = bench.cli_full_sync(
        catalog, accounts, state_url, bench.workdir / "changed-oauth", "oauth_catalog_export_s"
    )
    before = _prices_and_stock(catalog)
    change_prices_and_stock(catalog)
    changes: dict[str, tuple[str, set[str]]] = {}
    for sku, (product, price, stock) in _prices_and_stock(catalog).items():
        _, old_price, old_stock = before[sku]
        kinds = {"price"} if price != old_price else set()
        kinds |= {"stock"} if stock != old_stock else set()
        if kinds:
            changes[sku] = (product, kinds)
    # Synced as the saved file is read by the next sync (see `changed`).
    result = streamed_pass(bench, bench.reread(catalog), accounts, state_url)
    details, met, value = account_ratios(result, {a.name: a.marketplace for a in accounts})
    details["variants_changed"] = len(changes)
    details["products_touched"] = len({product for product, _ in changes.values()})
    details["full_sync"] = {
        "done": full.get("done"),
        "failed": full.get("failed"),
        "seconds": round(float(full.get("seconds", 0.0)), 1),
        "review_lookups": full.get("review_lookups"),
    }
    for marketplace, (minimum, why) in PROTOCOL.items():
        entry = details.get(marketplace)
        if isinstance(entry, dict):
            fewest = minimum(changes)
            entry["protocol_minimum"] = fewest
            entry["protocol_minimum_ratio"] = round(fewest / len(changes), 4) if changes else None
            entry["protocol"] = why
    note = "; ".join(
        f"{m} {d['requests']}/{d['listings_changed']} = {d['ratio']} (≤ {d['goal']}; "
        f"protocol minimum {d.get('protocol_minimum')})"
        for m, d in details.items()
        if isinstance(d, dict) and "ratio" in d
    )
    return [
        Figure(
            "changed_oauth_requests_per_listing",
            "1% changed, OAuth marketplaces: requests ÷ listings",
            value,
            f"≤ {GOAL_BATCH} batch, ≤ {GOAL_SINGLE:g} else",
            met,
            details=details,
            note=note,
        )
    ]
