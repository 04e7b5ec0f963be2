"""Rate-limit utilisation: with every sandbox limited to R requests/s per seller and each
account configured to R, requests served per second ÷ R, and the share of throttled answers.

Each account does a first sync (creates) of R × `rate_seconds` listings into an empty
seller, all three accounts at once, so the run is long enough for one-second windows to
average out and short enough for the bench. "Per second" is over the span from the
account's first request to its last (the limiter records when it lets each one go): the
run's bookkeeping before and after is not time the limit binds. The whole-run rate is in
the details too.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.accounts import authorized
from bench.context import Bench
from bench.report import Figure
from connectors.ratelimit import LocalRateLimiter
from connectors.registry import get_connector
from sync.catalog import Catalog
from sync.executor import RunReport, run_account
from sync.plan import plan_account
from sync.settings import Account
from sync.state.store import StateStore

UTILISATION_GOAL = 0.95
THROTTLED_GOAL = 0.01  # share of answers


class RecordingLimiter(LocalRateLimiter):
    """The engine's limiter, noting when it lets each request go."""

    def __init__(self, rate: float) -> None:
        super().__init__(rate)
        self.sent_at: list[float] = []

    async def acquire(self) -> None:
        """Wait for the slot as usual, then note the time."""
        await super().acquire()
        self.sent_at.append(time.monotonic())


async def timed_run(
    account: Account, catalog: Catalog, store: StateStore, bench: Bench
) -> tuple[RunReport, float, float]:
    """Plan (untimed) and run one account's first sync: report, wall and sending seconds."""
    connector = get_connector(account.marketplace)
    plan = plan_account(catalog, account, connector, {}, bench.today)
    limiter = RecordingLimiter(account.rate_limit)
    started = time.perf_counter()
    report = await run_account(plan, connector, store, limiter=limiter, trigger="bench")
    wall = time.perf_counter() - started
    times = limiter.sent_at
    # n requests span n - 1 intervals; the last one's interval is its own slot.
    sending = times[-1] - times[0] + 1 / account.rate_limit if times else wall
    return report, wall, sending


async def run_all(
    accounts: list[Account], catalog: Catalog, store: StateStore, bench: Bench
) -> list[tuple[RunReport, float, float]]:
    """Every account at once (each has its own seller, so its own window on the sandbox)."""
    return list(await asyncio.gather(*(timed_run(a, catalog, store, bench) for a in accounts)))


def measure(bench: Bench) -> list[Figure]:
    """Utilisation (lowest account) and throttled share (highest account)."""
    rate = bench.options.rate
    # Listings per account: Voso and Postmart send one request per create; Alibaba ~1.5.
    wanted = int(rate * bench.options.rate_seconds)
    products = bench.catalog.products[: max(1, min(len(bench.catalog.products), wanted // 2))]
    catalog = Catalog(products=products)
    accounts = authorized(
        bench.scratch_url("ratelimit"), bench.accounts("ratelimit", rate_limit=rate)
    )
    store = StateStore(bench.scratch_url("ratelimit"))
    bench.sandbox.configure(rate_limit=rate)
    try:
        before = bench.sandbox.all_stats()
        results = asyncio.run(run_all(accounts, catalog, store, bench))
        after = bench.sandbox.all_stats()
    finally:
        bench.sandbox.configure(rate_limit=None)
        store.close()
    details: dict[str, Any] = {"rate_limit": rate, "listings_per_account": 2 * len(products)}
    for account, (report, wall, seconds) in zip(accounts, results, strict=True):
        m = account.marketplace
        served = after[m]["served"] - before[m]["served"]
        requests = after[m]["requests"] - before[m]["requests"]
        throttled = after[m]["throttled"] - before[m]["throttled"]
        details[m] = {
            "served": served,
            "throttled": throttled,
            "sending_seconds": round(seconds, 3),
            "run_seconds": round(wall, 3),
            "achieved_per_s": round(served / seconds, 2),
            "utilisation": round(served / seconds / rate, 4),
            "utilisation_whole_run": round(served / wall / rate, 4),
            "throttled_share": round(throttled / requests, 5) if requests else 0.0,
            # The busiest second of this seller (the sandbox keeps it per seller).
            "max_served_per_second": max(
                (
                    v["max_served_per_second"]
                    for k, v in after[m]["sellers"].items()
                    if account.name in k
                ),
                default=0,
            ),
            "done": sum(report.done.values()),
            "failed": report.failed,
        }
    marketplaces = [a.marketplace for a in accounts]
    utilisation = min(details[m]["utilisation"] for m in marketplaces)
    throttled = max(details[m]["throttled_share"] for m in marketplaces)
    per = ", ".join(f"{m} {details[m]['utilisation']:.3f}" for m in marketplaces)
    return [
        Figure(
            "rate_limit_utilisation",
            f"rate-limit utilisation (R = {rate:g}/s)",
            utilisation,
            f"≥ {UTILISATION_GOAL}",
            utilisation >= UTILISATION_GOAL,
            details=details,
            note=f"lowest of {per}",
        ),
        Figure(
            "throttled_share",
            "throttled answers",
            throttled * 100,
            f"< {THROTTLED_GOAL:.0%}",
            throttled < THROTTLED_GOAL,
            unit="%",
            details={m: details[m]["throttled"] for m in marketplaces},
            note="highest account",
        ),
    ]
