"""1% changed: after the full sync, 1% of the variants get a new price or stock (no content
change) and the catalog is synced again. Requests ÷ listings changed, per account, counting
every request the sandbox received during the pass (logins included). The pass is the
streamed one `ocop-sync sync` runs: price/stock batches fill across chunks."""

from __future__ import annotations

from typing import Any

from bench.catalogs import change_prices_and_stock
from bench.context import Bench
from bench.passes import StreamedResult, streamed_pass
from bench.report import Figure
from connectors.registry import get_connector

GOAL_SINGLE = 1.0  # marketplaces without a batch price/stock call
GOAL_BATCH = 0.05  # with one (≤ 50 items a call)


def measure(bench: Bench) -> list[Figure]:
    """The worst ratio against its own goal decides `met`; the value is the batch one."""
    bench.full_sync()
    changed = change_prices_and_stock(bench.catalog)  # in place: the last user of prices
    # As the next sync reads the saved file (in memory, the change makes every product
    # hash whole: it would be mapped again, though sending the same requests).
    bench.catalog = bench.reread(bench.catalog)
    result = streamed_pass(bench, bench.catalog)
    details, met, value = account_ratios(result, {a.name: a.marketplace for a in bench.accounts()})
    details = {"variants_changed": len(changed), **details}
    note = "; ".join(
        f"{m} {d['requests']}/{d['listings_changed']} = {d['ratio']} (≤ {d['goal']})"
        for m, d in details.items()
        if isinstance(d, dict)
    )
    return [
        Figure(
            "changed_requests_per_listing",
            "1% changed: requests ÷ listings",
            value,
            f"≤ {GOAL_BATCH} batch, ≤ {GOAL_SINGLE:g} else",
            met,
            details=details,
            note=note,
        )
    ]


def account_ratios(
    result: StreamedResult, marketplaces: dict[str, str]
) -> tuple[dict[str, Any], bool, float | None]:
    """Per marketplace of a price/stock pass (`marketplaces`: account name → marketplace):
    requests, listings changed, their ratio and goal; whether every account met its goal;
    the worst ratio of those with a batch call (None without one)."""
    details: dict[str, Any] = {}
    met = True
    for report in result.reports:
        marketplace = marketplaces[report.account]
        kinds = report.planned
        listings = kinds.get("price", 0) + kinds.get("stock", 0)
        requests = result.requests[marketplace]
        batch = get_connector(marketplace).batch_size > 1
        goal = GOAL_BATCH if batch else GOAL_SINGLE
        ratio = requests / listings if listings else None
        met = met and ratio is not None and ratio <= goal
        details[marketplace] = {
            "listings_changed": listings,
            "requests": requests,
            "ratio": round(ratio, 4) if ratio is not None else None,
            "goal": goal,
            "batch_call": batch,
            "other_operations": {
                k: v for k, v in kinds.items() if v and k not in ("price", "stock", "noop", "skip")
            },
        }
    batch_ratios = [
        d["ratio"] for d in details.values() if d["batch_call"] and d["ratio"] is not None
    ]
    return details, met, (max(batch_ratios) if batch_ratios else None)
