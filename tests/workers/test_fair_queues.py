"""Workers take turns between accounts: one account's long run does not hold another
account's small one behind all its batches, and a command whose planning task waits for
busy workers says so instead of blaming a missing worker. Real worker, Redis, PostgreSQL
and sandboxes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from connectors.sandbox import SandboxServer
from tests.conftest import seller_stats
from tests.workers.conftest import (
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    sandbox_fixture,
)
from tests.workers.test_crashes import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow]


voso = sandbox_fixture("voso")
postmart = sandbox_fixture("postmart")
slow_voso = sandbox_fixture("voso", latency_ms=3000)


def listings_of(server: SandboxServer, seller: str) -> int:
    """Listings the sandbox holds for one seller."""
    return int(seller_stats(server, seller)["listings"])


def test_a_small_run_is_not_held_behind_another_accounts_long_run(
    deploy: Callable[..., Deployment],
    voso: SandboxServer,
    postmart: SandboxServer,
    pg_url: str,
) -> None:
    catalog = sample_catalog(40)
    # The long run: Voso at 4 requests a second, batches of 4 creates — about a second each.
    long = sandbox_account("voso", voso.base_url, rate_limit=4.0, concurrency=1)
    small = sandbox_account("postmart", postmart.base_url, rate_limit=200.0)
    expected = listable_count(catalog, "voso", long)
    assert expected >= 40
    d = deploy([long, small], catalog, batch_size=4)
    d.worker("w", concurrency=1)  # one pool process: every batch waits for its turn

    queued = d.cli("sync", "--via", "celery", "--account", long.name, "--json")
    assert queued.returncode == 0, queued.stdout + queued.stderr
    (answer,) = json.loads(queued.stdout)
    assert answer["batches"] >= 10, answer
    wait_until(lambda: listings_of(voso, long.name) >= 4, 60, "the long run's first batch")

    # One product of the other account, planned and pushed after the long run's batches
    # were all enqueued: with one push queue it waited for every one of them (~10 s more).
    sku = catalog.products[0].sku
    resync = d.cli(
        "sync", "--via", "celery", "--wait", "--account", small.name, "--sku", sku, "--json"
    )
    assert resync.returncode == 0, resync.stdout + resync.stderr
    (report,) = json.loads(resync.stdout)
    assert sum(report["done"].values()) >= 1 and report["failed"] == 0, report
    behind = listings_of(voso, long.name)
    assert behind < expected, (
        f"the small run ended only after the long run's {behind} listings: it waited its turn"
    )

    wait_until(lambda: listings_of(voso, long.name) >= expected, 120, "the long run's end")
    follow = d.cli("sync", "--via", "celery", "--wait", "--account", long.name, "--json")
    assert follow.returncode == 0, follow.stdout + follow.stderr
    assert listed_exactly_once(voso, long, pg_url) == expected
    assert listed_exactly_once(postmart, small, pg_url) >= 1


def test_busy_workers_are_told_apart_from_missing_ones(
    deploy: Callable[..., Deployment],
    slow_voso: SandboxServer,
    postmart: SandboxServer,
    pg_url: str,
) -> None:
    catalog = sample_catalog(6)
    # Each request to this Voso takes 3 s: a batch of 6 creates holds the only pool process
    # for ~20 s.
    busy = sandbox_account("voso", slow_voso.base_url, rate_limit=50.0, concurrency=1)
    other = sandbox_account("postmart", postmart.base_url, rate_limit=200.0)
    d = deploy([busy, other], catalog, batch_size=6, plan_answer_timeout=2)

    nobody = d.cli("sync", "--via", "celery", "--account", other.name)
    assert nobody.returncode == 3, nobody.stdout + nobody.stderr
    assert "no worker answered within 2s" in nobody.stderr
    # That planning task stays queued: the worker started next plans it first.

    worker = d.worker("w", concurrency=1)
    wait_until(lambda: " finished: " in worker.text(), 60, "the queued run")
    batches = worker.text().count("batch start")
    started = d.cli("sync", "--via", "celery", "--account", busy.name)
    assert started.returncode == 0, started.stdout + started.stderr
    wait_until(lambda: worker.text().count("batch start") > batches, 30, "the slow batch")

    queued = d.cli("sync", "--via", "celery", "--account", other.name)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    assert f"{other.name}: queued" in queued.stdout
    assert "w@test" in queued.stdout and "busy" in queued.stdout
    assert "no worker" not in queued.stdout + queued.stderr

    waited = d.cli("sync", "--via", "celery", "--wait", "--account", other.name, "--json")
    assert waited.returncode == 0, waited.stdout + waited.stderr
    log = worker.text()[-4000:]
    assert "waiting" in waited.stderr and "busy" in waited.stderr, waited.stderr + log
    assert listed_exactly_once(postmart, other, pg_url) == listable_count(
        catalog, "postmart", other
    )
