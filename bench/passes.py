"""Incremental passes over the main accounts, with the requests the sandboxes received:
`streamed_pass` as `ocop-sync sync` runs it (`sync.stream`: chunks of products, bindings of
each chunk, one run per account), and `incremental_pass`, the whole-catalog path (`plan`,
`reconcile`, the demo and the Celery plan task), timed phase by phase."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bench.context import Bench
from connectors.registry import get_connector
from sync.catalog import Catalog
from sync.executor import RunReport, run_plans
from sync.plan import AccountPlan, plan_all
from sync.settings import Account
from sync.state.index import BindingIndex
from sync.state.store import StateStore
from sync.stream import stream_sync


@dataclass
class PassResult:
    """What one pass planned, did and cost."""

    plans: list[AccountPlan]
    reports: list[RunReport]
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    requests: dict[str, int] = field(default_factory=dict)  # per marketplace (sandbox side)

    @property
    def seconds(self) -> float:
        """Wall time of the whole pass (bindings, plan, execute)."""
        return sum(self.phases.values())


def incremental_pass(bench: Bench, catalog: Catalog) -> PassResult:
    """Plan every main account against its state and push what changed."""
    accounts = bench.accounts()
    connectors = {a.marketplace: get_connector(a.marketplace) for a in accounts}
    store = bench.store()
    try:
        before = bench.sandbox.all_stats()
        started = time.perf_counter()
        bindings = [BindingIndex.load(store, a.name) for a in accounts]
        loaded = time.perf_counter()
        plans = plan_all(
            catalog,
            [(a, connectors[a.marketplace], b) for a, b in zip(accounts, bindings, strict=True)],
            bench.today,
        )
        planned = time.perf_counter()
        del bindings  # the plans keep what they need
        reports = asyncio.run(run_plans(plans, connectors, store, trigger="bench"))
        finished = time.perf_counter()
        after = bench.sandbox.all_stats()
    finally:
        store.close()
    return PassResult(
        plans,
        reports,
        phases={
            "load_bindings": loaded - started,
            "plan": planned - loaded,
            "execute": finished - planned,
        },
        requests={m: after[m]["requests"] - before[m]["requests"] for m in after},
    )


@dataclass
class StreamedResult:
    """What one streamed pass did and cost."""

    reports: list[RunReport]
    seconds: float
    requests: dict[str, int]  # per marketplace (sandbox side)


def streamed_pass(
    bench: Bench,
    catalog: Catalog,
    accounts: list[Account] | None = None,
    state_url: str | None = None,
) -> StreamedResult:
    """Stream the catalog (already in memory) through every main account (or `accounts`,
    whose state is at `state_url`)."""
    accounts = bench.accounts() if accounts is None else accounts
    store = bench.store() if state_url is None else StateStore(state_url)
    try:
        before = bench.sandbox.all_stats()
        started = time.perf_counter()
        reports = asyncio.run(
            stream_sync(catalog.products, accounts, store, bench.today, trigger="bench")
        )
        seconds = time.perf_counter() - started
        after = bench.sandbox.all_stats()
    finally:
        store.close()
    requests = {m: after[m]["requests"] - before[m]["requests"] for m in after}
    return StreamedResult(reports, seconds, requests)
