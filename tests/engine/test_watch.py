"""The catalog watch's pieces (sync/watch.py) on real files, and `ocop-sync sync --watch`
as an operator runs it: real console script, a real sandbox, a lease held by another run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.samples.bac_kan import build_bac_kan_catalog
from sync.settings import Account
from sync.state.leases import Leases
from sync.state.models import RunRecord
from sync.state.store import StateStore
from sync.watch import observe
from tests.conftest import seller_listings

CLI = str(Path(sys.executable).parent / "ocop-sync")


def test_a_poll_is_a_stat_and_a_change_waits_for_the_debounce(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("a,b\n1,2\n")
    mtime = path.stat().st_mtime
    seen, changed = observe(path, None, 2.0, now=mtime + 10)
    assert seen is not None and not changed  # first sight: the baseline
    assert observe(path, seen, 2.0, now=mtime + 11) == (seen, False)

    os.utime(path, (mtime + 20, mtime + 20))  # touched, same bytes: a new version, no change
    touched, changed = observe(path, seen, 2.0, now=mtime + 30)
    assert touched is not None and touched != seen and touched.digest == seen.digest
    assert not changed

    path.write_text("a,b\n1,3\n")  # saved just now: not read until the window is over
    os.utime(path, (mtime + 40, mtime + 40))
    assert observe(path, touched, 2.0, now=mtime + 41) == (touched, False)
    path.write_text("a,b\n1,4\n")  # saved again inside the window: the window starts again
    os.utime(path, (mtime + 41.5, mtime + 41.5))
    assert observe(path, touched, 2.0, now=mtime + 42.5) == (touched, False)
    final, changed = observe(path, touched, 2.0, now=mtime + 44)
    assert changed and final is not None and final.digest != touched.digest
    assert observe(path, final, 2.0, now=mtime + 60) == (final, False)

    path.unlink()  # being replaced: keep what is known, look again next time
    assert observe(path, final, 2.0, now=mtime + 61) == (final, False)


@pytest.fixture
def voso() -> Iterator[SandboxServer]:
    server = SandboxServer(REGISTRY["voso"].sandbox_factory(SandboxConfig())).start()
    yield server
    server.stop()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def finished_runs(store: StateStore) -> list[tuple[str, str, dict[str, int]]]:
    """(trigger, status, planned) of every run that is over, oldest first."""
    table = RunRecord.__table__
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.trigger, table.c.status, table.c.planned)
            .where(table.c.status != "running")
            .order_by(table.c.id)
        ).all()
    return [(t, s, p) for t, s, p in rows]


def repriced(catalog: Catalog, extra: int) -> Catalog:
    """Every variant `extra` ₫ dearer."""
    return Catalog(
        products=[
            p.model_copy(
                update={
                    "variants": [
                        v.model_copy(update={"price": v.price + extra}) for v in p.variants
                    ]
                }
            )
            for p in catalog.products
        ]
    )


def expected_prices(catalog: Catalog, account: Account) -> dict[str, str]:
    """SKU → the price the mapping sends (as text: the sandbox keeps JSON)."""
    mapping = REGISTRY[account.marketplace].mapping
    return {
        listing.sku: str(listing.price)
        for product in catalog.products
        for listing in mapping.map_product(product, account, date.today())
        if listing.ok
    }


def test_sync_watch_syncs_a_busy_account_after_its_run_and_each_change(
    tmp_path: Path, voso: SandboxServer
) -> None:
    catalog = Catalog(products=build_bac_kan_catalog().products[:8])
    path = tmp_path / "catalog.json"
    export_catalog(catalog, path)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    account = REGISTRY["voso"].sandbox_kit.account("voso-watch", voso.base_url)
    config = tmp_path / "ocop-sync.toml"
    write_config(config, path, state_url, [account])
    with config.open("a", encoding="utf-8") as config_file:
        config_file.write("\n[schedule]\nwatch_debounce_seconds = 0.5\n")

    store = StateStore(state_url)
    leases = Leases(store, 600)
    assert leases.acquire(account.name, "other-run", "test pid 1 on elsewhere") is None
    log = tmp_path / "watch.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [CLI, "sync", "--watch", "--watch-every", "0.3", "--config", str(config), "--json"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        text = lambda: log.read_text(errors="replace")  # noqa: E731
        wait_until(lambda: "synced by the next run" in text(), "the busy report")
        assert seller_listings(voso, account.name) == []
        leases.release(account.name, "other-run")  # that run is over
        wait_until(lambda: len(seller_listings(voso, account.name)) > 0, "the run after")

        def prices() -> dict[str, str]:
            return {i["sku"]: str(i["price"]) for i in seller_listings(voso, account.name)}

        wait_until(lambda: prices() == expected_prices(catalog, account), "the first run's")
        changed = repriced(catalog, 5000)
        export_catalog(changed, path)
        want = expected_prices(changed, account)
        wait_until(lambda: prices() == want, "the new prices")
        # The listings change before the run has closed (results committed, run row):
        # a signal now would stop that run, so wait for its row first.
        wait_until(lambda: len(finished_runs(store)) == 2, "the second run closed")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    runs = finished_runs(store)
    store.close()
    assert [(t, s) for t, s, _ in runs] == [("watch", "done"), ("watch", "done")], runs
    assert runs[1][2]["price"] == len(want), runs  # the second run: the price changes only


def test_sigterm_during_a_watch_run_closes_the_run_and_the_next_run_finishes_it(
    tmp_path: Path,
) -> None:
    # A slow marketplace keeps the first run going long enough to be stopped in the middle
    # (the sandbox account's own 10 requests/s would make the run after it slow too).
    server = SandboxServer(REGISTRY["voso"].sandbox_factory(SandboxConfig(latency_ms=150))).start()
    try:
        catalog = build_bac_kan_catalog()
        path = tmp_path / "catalog.json"
        export_catalog(catalog, path)
        state_url = f"sqlite:///{tmp_path / 'state.db'}"
        account = REGISTRY["voso"].sandbox_kit.account("voso-stop", server.base_url)
        config = tmp_path / "ocop-sync.toml"
        write_config(
            config,
            path,
            state_url,
            [account.model_copy(update={"concurrency": 2, "rate_limit": 200.0})],
        )
        planned = planned_creates(config)  # a dry run: nothing sent
        log = tmp_path / "watch.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [CLI, "sync", "--watch", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(lambda: len(seller_listings(server, account.name)) >= 10, "creates")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        text = log.read_text(errors="replace")
        assert "watch stopped" in text
        assert "Traceback" not in text and "Task was destroyed" not in text, text

        store = StateStore(state_url)
        try:
            runs = finished_runs(store)
            assert [(t, s) for t, s, _ in runs] == [("watch", "failed")], runs  # mid-way
            assert Leases(store, 600).holder(account.name) is None  # the next run may start
            bound = {b.sku for b in store.bindings(account.name).values() if b.remote_id}
        finally:
            store.close()
        time.sleep(0.5)  # creates the sandbox was still answering when the client left
        listed = {item["sku"] for item in seller_listings(server, account.name)}
        # What the marketplace answered is in the state; it holds far from all of the sample.
        assert bound <= listed and 10 <= len(bound) < planned

        # The next run creates the rest: a create whose answer the stop cut off is looked
        # up first (its intent was recorded before sending), so nothing is listed twice.
        httpx.post(server.base_url + "/_sandbox/config", json={"latency_ms": 0})
        done = subprocess.run([CLI, "sync", "--config", str(config)], capture_output=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        stats = httpx.get(server.base_url + "/_sandbox/stats").json()
        assert (stats["listings"], stats["duplicates"]) == (planned, 0)
    finally:
        server.stop()


def planned_creates(config: Path) -> int:
    """How many creates a sync of this configuration would send now (`ocop-sync plan`)."""
    done = subprocess.run(
        [CLI, "plan", "--config", str(config), "--json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return sum(account["counts"]["create"] for account in json.loads(done.stdout))
