"""Change-triggered sync on Celery: beat's catalog watch, real worker, real Redis, sandboxes.

- a catalog saved twice within the debounce window causes one run, which pushes the second
  save's prices;
- a change while the account's run is going is picked up by the run after (the watch sees
  the lease held and waits), and nothing is pushed twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.settings import Account
from sync.state.models import AuditRecord, RunRecord
from sync.state.store import StateStore
from tests.conftest import seller_listings
from tests.workers.conftest import (
    Deployment,
    WorkerProc,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    sandbox_fixture,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


voso = sandbox_fixture("voso")
slow_voso = sandbox_fixture("voso", latency_ms=200)


def repriced(catalog: Catalog, extra: int) -> Catalog:
    """Every variant `extra` ₫ dearer (content unchanged: a price change only)."""
    products = [
        p.model_copy(
            update={
                "variants": [v.model_copy(update={"price": v.price + extra}) for v in p.variants]
            }
        )
        for p in catalog.products
    ]
    return Catalog(products=products)


def expected_prices(catalog: Catalog, account: Account) -> dict[str, str]:
    """SKU → the price the mapping sends for this catalog (as text: sandboxes keep JSON)."""
    mapping = REGISTRY[account.marketplace].mapping
    today = date.today()
    return {
        listing.sku: str(listing.price)
        for product in catalog.products
        for listing in mapping.map_product(product, account, today)
        if listing.ok
    }


def sandbox_prices(server: SandboxServer, account: Account) -> dict[str, str]:
    return {item["sku"]: str(item["price"]) for item in seller_listings(server, account.name)}


def wait_until(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def watch_ticks(worker: WorkerProc) -> int:
    return worker.text().count("ocop_sync.watch_catalog[")


def runs_of(pg_url: str, account: str) -> list[Any]:
    """Every run row of the account, oldest first (rows with attribute access)."""
    store = StateStore(pg_url, migrate=False)
    try:
        with store.engine.connect() as conn:
            table = RunRecord.__table__
            query = select(table).where(table.c.account == account).order_by(table.c.id)
            return list(conn.execute(query).all())
    finally:
        store.close()


def audit_ops(pg_url: str, account: str) -> list[tuple[str, str]]:
    """(sku, operation) of every successful push to the account."""
    store = StateStore(pg_url, migrate=False)
    try:
        with store.engine.connect() as conn:
            query = select(AuditRecord.sku, AuditRecord.operation).where(
                AuditRecord.account == account, AuditRecord.outcome == "ok"
            )
            return [(sku, op) for sku, op in conn.execute(query)]
    finally:
        store.close()


def watching(d: Deployment, every: float, debounce: float) -> None:
    """Turn the catalog watch on in the deployment's configuration."""
    text = d.config.read_text(encoding="utf-8")
    d.config.write_text(
        text + f"\n[schedule]\nwatch_every_seconds = {every}\n"
        f"watch_debounce_seconds = {debounce}\n",
        encoding="utf-8",
    )


def save(catalog: Catalog, path: Path) -> float:
    """Write the catalog file in place; the moment it is complete on disk."""
    export_catalog(catalog, path)
    return path.stat().st_mtime


def test_saved_twice_within_the_debounce_window_is_one_run(
    deploy: Callable[..., Deployment], voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(12)
    account = sandbox_account("voso", voso.base_url, rate_limit=200.0)
    d = deploy([account], catalog, batch_size=8)
    watching(d, every=0.5, debounce=3.0)
    worker = d.worker("w", concurrency=2)
    first_sync = d.cli("sync", "--via", "celery", "--wait")
    assert first_sync.returncode == 0, first_sync.stdout + first_sync.stderr
    d.popen("beat", "--schedule-file", str(d.root / "beat-schedule"), log="beat.log")
    wait_until(lambda: watch_ticks(worker) >= 2, "the watch's baseline")

    path = d.root / "catalog.json"
    first, second = repriced(catalog, 1000), repriced(catalog, 2000)
    save(first, path)
    time.sleep(1.0)  # a second save well inside the 3 s window
    save(second, path)
    want = expected_prices(second, account)
    wait_until(lambda: sandbox_prices(voso, account) == want, "the second save's prices")
    ticks = watch_ticks(worker)
    wait_until(lambda: watch_ticks(worker) >= ticks + 8, "more watch ticks (4 s)")

    watch_runs = [r for r in runs_of(pg_url, account.name) if r.trigger == "watch"]
    assert len(watch_runs) == 1, [(r.id, r.trigger, r.status) for r in watch_runs]
    assert watch_runs[0].status == "done"
    assert watch_runs[0].planned.get("price", 0) == len(want), watch_runs[0].planned
    assert listed_exactly_once(voso, account, pg_url) == len(want)


def test_a_change_during_a_run_is_picked_up_by_the_next_run(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(40)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    want_before = expected_prices(catalog, account)
    d = deploy([account], catalog, batch_size=8)
    watching(d, every=0.5, debounce=1.0)
    worker = d.worker("w", concurrency=2)
    # A fresh schedule file: beat's periodic sync starts at once (the run that is going).
    d.popen("beat", "--schedule-file", str(d.root / "beat-schedule"), log="beat.log")
    wait_until(lambda: len(seller_listings(slow_voso, account.name)) >= 5, "the first run")
    assert watch_ticks(worker) >= 1  # the baseline was taken before the change

    changed = repriced(catalog, 3000)
    complete = save(changed, d.root / "catalog.json")
    want = expected_prices(changed, account)
    assert want.keys() == want_before.keys()
    wait_until(lambda: sandbox_prices(slow_voso, account) == want, "the new prices", 180)

    runs = runs_of(pg_url, account.name)
    assert [r.trigger for r in runs] == ["beat", "watch"], [(r.id, r.trigger) for r in runs]
    first, second = runs
    assert first.status == second.status == "done"
    assert first.finished_at is not None
    # The change was complete (and its debounce over) while the first run was still going,
    # and the watch started the second run only after the first had released the account.
    ready = datetime.fromtimestamp(complete + 1.0, tz=UTC)
    assert ready < first.finished_at.astimezone(UTC), (ready, first.finished_at)
    assert second.started_at >= first.finished_at

    # Nothing pushed twice: one create per SKU, at most one price change per SKU, and only
    # for SKUs the first run created at the old price.
    ops = audit_ops(pg_url, account.name)
    creates = Counter(sku for sku, op in ops if op == "create")
    assert creates == Counter(want.keys())
    later = Counter(sku for sku, op in ops if op != "create")
    assert all(n == 1 for n in later.values()), later
    assert sum(later.values()) == second.planned.get("price", 0) + second.planned.get("update", 0)
    assert listed_exactly_once(slow_voso, account, pg_url) == len(want)
