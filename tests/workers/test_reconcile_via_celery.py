"""`ocop-sync reconcile --via celery [--wait]` on real workers: the same hand edits found and
repaired with the same report as inline; asked while an inline sync holds the account, the
workers wait for it and push nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.settings import Account
from tests.conftest import seller_listings
from tests.engine.conftest import authorize_sandboxes
from tests.workers.conftest import (
    OCOP_SYNC,
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    sandbox_fixture,
    start_sandbox,
)
from tests.workers.test_crashes import listings, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow]
# What a run report says that does not depend on which process ran it or when.
SAME = ("account", "planned", "done", "failed", "skipped_count", "skipped", "errors", "busy")


@pytest.fixture
def two_voso() -> Iterator[tuple[SandboxServer, SandboxServer]]:
    inline_box, celery_box = start_sandbox("voso"), start_sandbox("voso")
    yield inline_box, celery_box
    inline_box.stop()
    celery_box.stop()


def hand_edits(server: SandboxServer, account: Account) -> dict[str, str]:
    """A seller's edits in the marketplace's web portal: one listing deleted, one price
    changed, one taken off sale. Returns what was done to which SKU."""
    seller = next(name for name in httpx.get(server.base_url + "/_sandbox/listings").json())
    assert account.name in seller
    items = sorted(seller_listings(server, account.name), key=lambda item: item["sku"])
    base = f"{server.base_url}/_sandbox/listings/{seller}"
    deleted, repriced, paused = items[0], items[1], items[2]
    assert httpx.delete(f"{base}/{deleted['id']}").json() == {"deleted": True}
    httpx.patch(f"{base}/{repriced['id']}", json={"price": 1000}).raise_for_status()
    httpx.patch(f"{base}/{paused['id']}", json={"status": "inactive"}).raise_for_status()
    return {"missing": deleted["sku"], "edited": repriced["sku"], "inactive": paused["sku"]}


def test_reconcile_via_celery_reports_and_repairs_like_inline(
    deploy: Callable[..., Deployment],
    two_voso: tuple[SandboxServer, SandboxServer],
    tmp_path: Path,
    pg_url: str,
) -> None:
    inline_box, celery_box = two_voso
    catalog = sample_catalog(20)
    # One seller name on both sandboxes: the same listings, the same SKUs drifted.
    inline_account = sandbox_account("voso", inline_box.base_url, rate_limit=200.0)
    celery_account = inline_account.model_copy(update={"base_url": celery_box.base_url})
    expected = listable_count(catalog, "voso", inline_account)

    state_url = f"sqlite:///{tmp_path / 'inline.db'}"
    catalog_path = tmp_path / "catalog.json"
    export_catalog(catalog, catalog_path)
    config = tmp_path / "inline.toml"
    write_config(config, catalog_path, state_url, [inline_account])
    authorize_sandboxes(state_url, [inline_account])
    env = {**os.environ, "OCOP_SYNC_CONFIG": str(config), "COLUMNS": "200"}

    def inline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([OCOP_SYNC, *args], env=env, capture_output=True, text=True)

    d = deploy([celery_account], catalog, batch_size=5)
    worker = d.worker("w", concurrency=2)
    assert inline("sync").returncode == 0
    first = d.cli("sync", "--via", "celery", "--wait")
    assert first.returncode == 0, first.stdout + first.stderr

    edits = hand_edits(inline_box, inline_account)
    assert hand_edits(celery_box, celery_account) == edits

    by_inline = inline("reconcile", "--json")
    by_celery = d.cli("reconcile", "--via", "celery", "--wait", "--json")
    assert by_inline.returncode == 0, by_inline.stdout + by_inline.stderr
    assert by_celery.returncode == 0, by_celery.stdout + by_celery.stderr + worker.text()[-3000:]
    shown_inline, shown_celery = json.loads(by_inline.stdout), json.loads(by_celery.stdout)

    # The scans: every hand edit found, the same way.
    assert shown_celery["observed"] == shown_inline["observed"]
    (observed,) = shown_celery["observed"]
    assert observed["remote_total"] == expected - 1
    assert {k: observed[k] for k in edits} == {k: [sku] for k, sku in edits.items()}
    # The repairs: one run each, the same counts, the hand edits undone.
    (run_inline,) = shown_inline["runs"]
    (run_celery,) = shown_celery["runs"]
    assert {k: run_celery[k] for k in SAME} == {k: run_inline[k] for k in SAME}
    assert run_celery["done"] == {"create": 1, "price": 1, "relist": 1}, run_celery
    assert listed_exactly_once(inline_box, inline_account, state_url) == expected
    assert listed_exactly_once(celery_box, celery_account, pg_url) == expected

    # The tables too (the run's seconds aside): the same rows, the same exit code.
    text_inline = inline("reconcile")
    text_celery = d.cli("reconcile", "--via", "celery", "--wait")
    assert text_inline.returncode == text_celery.returncode == 0, text_celery.stderr
    assert _without_seconds(text_celery.stdout) == _without_seconds(text_inline.stdout)

    # Without --wait: the scan's report, and the repair run queued.
    queued = d.cli("reconcile", "--via", "celery", "--json")
    assert queued.returncode == 0, queued.stdout + queued.stderr
    answer = json.loads(queued.stdout)
    assert answer["observed"] == json.loads(inline("reconcile", "--json").stdout)["observed"]
    (run,) = answer["queued"]
    assert run["status"] == "started" and run["operations"] == 0


def _without_seconds(table: str) -> list[str]:
    """Table rows with the last (seconds) column cut off."""
    return [line.rsplit("│", 2)[0] if line.count("│") > 2 else line for line in table.splitlines()]


# ~10 s for the inline sync below: the reconcile is surely asked while it runs.
slow_voso = sandbox_fixture("voso", latency_ms=300)


def test_reconcile_via_celery_during_an_inline_sync_waits_and_pushes_nothing_twice(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(40)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=10)
    worker = d.worker("w", concurrency=2)
    inline = subprocess.Popen(
        [OCOP_SYNC, "sync", "--json"], env=d.env, stdout=subprocess.PIPE, text=True
    )
    wait_until(lambda: listings(slow_voso) >= 5, 60, "the inline run's first listings")

    asked = d.cli("reconcile", "--via", "celery", "--wait", "--json", timeout=240)
    out, _ = inline.communicate(timeout=240)
    assert inline.returncode == 0
    (pushed,) = json.loads(out)
    assert pushed["done"] == {"create": expected}
    assert asked.returncode == 0, asked.stdout + asked.stderr + worker.text()[-3000:]
    # The scan waited for the inline run (the account's lease) and then saw all of it…
    assert "retry: Retry in" in worker.text()
    assert f"{account.name}: waiting" in asked.stderr
    shown = json.loads(asked.stdout)
    (observed,) = shown["observed"]
    assert observed["remote_total"] == expected and not observed["busy"]
    assert not (observed["missing"] or observed["edited"] or observed["inactive"])
    # …so its repair run, a run of its own after the inline one, had nothing to push.
    (run,) = shown["runs"]
    assert run["run_id"] > pushed["run_id"]
    assert run["done"] == {} and run["failed"] == 0 and not run["busy"]
    assert listed_exactly_once(slow_voso, account, pg_url) == expected


def test_an_unreachable_marketplace_is_reported_the_same_inline_and_via_celery(
    deploy: Callable[..., Deployment],
) -> None:
    gone = start_sandbox("voso")
    account = sandbox_account("voso", gone.base_url, rate_limit=200.0)
    gone.stop()  # nothing listens there any more
    d = deploy([account], sample_catalog(5))
    worker = d.worker("w", concurrency=1)
    by_celery = d.cli("reconcile", "--via", "celery", "--wait", "--json", timeout=180)
    by_inline = d.cli("reconcile", "--json", timeout=180)
    for result in (by_celery, by_inline):  # exit 3, the error in the report, no traceback
        assert result.returncode == 3, result.stdout + result.stderr + worker.text()[-3000:]
        assert "Traceback" not in result.stdout + result.stderr
    shown = json.loads(by_celery.stdout)
    assert shown == json.loads(by_inline.stdout)
    (observed,) = shown["observed"]
    assert (
        observed["error"].startswith("RetriableError: ")
        and "connection failed" in observed["error"]
    )
    assert shown["runs"] == []
    text = d.cli("reconcile", "--via", "celery", "--wait", timeout=180)
    assert text.returncode == 3
    # The worker's client remembers the failures: its circuit breaker is open by now.
    why = f"{account.name}: not reconciled — Unreachable: [{account.name}] marketplace unreachable"
    assert why in text.stderr


def test_a_worker_killed_mid_scan_is_reported_not_waited_for_forever(
    deploy: Callable[..., Deployment], pg_url: str
) -> None:
    from sync.state.leases import Leases
    from sync.state.store import StateStore

    slow = start_sandbox("voso", latency_ms=3000)  # every answer takes 3 s: a long scan
    try:
        account = sandbox_account("voso", slow.base_url, rate_limit=200.0)
        d = deploy([account], sample_catalog(5))
        worker = d.worker("w", concurrency=1)
        asked = d.popen("reconcile", "--via", "celery", "--wait", "--json", log="asked.log")
        store = StateStore(pg_url, migrate=False)
        try:

            def scanning() -> bool:
                lease = Leases(store).holder(account.name)
                return lease is not None and lease.holder.startswith("celery reconcile")

            wait_until(scanning, 60, "the workers' scan")
        finally:
            store.close()
        worker.kill()  # the scan was acknowledged on receipt: nobody will finish it
        assert asked.wait(120) == 3, (d.root / "asked.log").read_text()
        out = (d.root / "asked.log").read_text()
        shown = json.loads(out[out.index("{") :])
        (observed,) = shown["observed"]
        assert "the worker scanning the account was lost" in observed["error"]
        assert shown["runs"] == []
    finally:
        slow.stop()


def test_a_catalog_the_workers_cannot_read_stops_the_repairs_and_exits_2_like_inline(
    deploy: Callable[..., Deployment], two_voso: tuple[SandboxServer, SandboxServer]
) -> None:
    box, _ = two_voso
    account = sandbox_account("voso", box.base_url, rate_limit=200.0)
    d = deploy([account], sample_catalog(5))
    d.worker("w", concurrency=1)
    catalog = d.root / "catalog.json"
    catalog.write_text("{ this is not the catalog", encoding="utf-8")  # a save gone wrong
    inline = d.cli("reconcile")
    assert inline.returncode == 2, inline.stdout + inline.stderr
    for args in (("--wait",), ("--wait", "--json"), ()):
        cli = d.cli("reconcile", "--via", "celery", *args)
        assert cli.returncode == 2, cli.stdout + cli.stderr
        assert "not planned" in cli.stderr and str(catalog) in cli.stderr, cli.stderr
        assert "Traceback" not in cli.stdout + cli.stderr
