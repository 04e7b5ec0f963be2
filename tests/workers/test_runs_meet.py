"""Runs meet across paths: an operator's inline `ocop-sync sync` started while the workers
push the same account (`sync --via celery --wait`), and the other way round. One account
lease in the state database for every path: never a duplicate listing."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable

import pytest

from connectors.sandbox import SandboxServer
from tests.workers.conftest import (
    OCOP_SYNC,
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    sandbox_fixture,
)
from tests.workers.test_crashes import listings, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow]


slow_voso = sandbox_fixture("voso", latency_ms=100)


def test_an_inline_sync_during_a_celery_run_reports_the_lease_and_duplicates_nothing(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(40)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=10)
    d.worker("w", concurrency=2)
    celery = d.popen("sync", "--via", "celery", "--wait", log="celery.log")
    wait_until(lambda: listings(slow_voso) >= 5, 60, "the workers' first listings")

    inline = d.cli("sync", "--wait-lock", "0", "--json")
    assert inline.returncode == 4, inline.stdout + inline.stderr
    (report,) = json.loads(inline.stdout)
    assert report["busy"] and f"account {account.name} is being synced by run" in report["busy"]
    assert "celery" in report["busy"] and report["done"] == {}

    assert celery.wait(180) == 0, (d.root / "celery.log").read_text()
    assert listed_exactly_once(slow_voso, account, pg_url) == expected


def test_a_celery_run_asked_during_an_inline_sync_follows_it_and_duplicates_nothing(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(40)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=10)
    d.worker("w", concurrency=2)
    inline = subprocess.Popen(
        [OCOP_SYNC, "sync", "--json"], env=d.env, stdout=subprocess.PIPE, text=True
    )
    wait_until(lambda: listings(slow_voso) >= 5, 60, "the inline run's first listings")

    followed = d.cli("sync", "--via", "celery", "--wait", "--json", timeout=240)
    out, _ = inline.communicate(timeout=240)
    assert inline.returncode == 0
    (pushed,) = json.loads(out)
    assert followed.returncode == 0, followed.stdout + followed.stderr
    # The workers did not start a run of their own: they followed the inline one to its end
    # and report it (the same run id, the same counts).
    (shown,) = json.loads(followed.stdout)
    assert shown["run_id"] == pushed["run_id"]
    assert shown["done"] == pushed["done"] and shown["failed"] == 0
    assert listed_exactly_once(slow_voso, account, pg_url) == expected


def test_a_celery_run_asked_while_a_scan_holds_the_account_reports_it_busy(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    from sync.state.leases import Leases
    from sync.state.store import StateStore

    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0)
    d = deploy([account], sample_catalog(5), batch_size=10)
    d.worker("w", concurrency=1)
    # A reconcile scan on another machine holds the account: it has no sync run to follow.
    store = StateStore(pg_url, migrate=False)
    leases = Leases(store, ttl=120.0)
    try:
        assert leases.acquire(account.name, "scan-token", "reconcile pid 1 on elsewhere") is None
        asked = d.cli("sync", "--via", "celery", "--wait", "--json", timeout=120)
    finally:
        leases.release(account.name, "scan-token")
        store.close()
    assert asked.returncode == 4, asked.stdout + asked.stderr  # as inline: busy
    (report,) = json.loads(asked.stdout)
    assert report["account"] == account.name and report["done"] == {}
    assert "no run to follow" in report["busy"]
    assert listings(slow_voso) == 0


def test_a_celery_run_waits_its_wait_lock_for_a_scan_and_syncs_once_the_scan_ends(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    """`--wait-lock` holds for `--via celery` as inline: the worker waits for a scan that
    holds the account, takes the lease the scan frees, and pushes (before, it reported the
    account busy the moment the scan ended: there was no run to follow)."""
    from sync.state.leases import Leases
    from sync.state.store import StateStore

    catalog = sample_catalog(5)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=10)
    d.worker("w", concurrency=1)
    store = StateStore(pg_url, migrate=False)
    leases = Leases(store, ttl=120.0)
    try:
        assert leases.acquire(account.name, "scan-token", "reconcile pid 1 on elsewhere") is None
        asked = subprocess.Popen(
            [OCOP_SYNC, "sync", "--via", "celery", "--wait", "--wait-lock", "60", "--json"],
            env=d.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=d.root,
        )
        # Past the PLANNER_WAIT a task waited before: the scan still holds, nothing is sent.
        time.sleep(12.0)
        assert asked.poll() is None and listings(slow_voso) == 0
        leases.release(account.name, "scan-token")
        out, err = asked.communicate(timeout=120)
    finally:
        leases.release(account.name, "scan-token")
        store.close()
    assert asked.returncode == 0, out + err
    (report,) = json.loads(out)
    assert report["busy"] is None and report["done"].get("create") == expected
    assert listed_exactly_once(slow_voso, account, pg_url) == expected
