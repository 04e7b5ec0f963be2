"""Runs meet: two operators' `ocop-sync sync` started at the same moment on one
configuration, as real processes, against the real sandboxes — never a duplicate listing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.settings import load_settings
from sync.state.store import StateStore
from sync.synthetic import synthetic_catalog
from tests.conftest import seller_listings, seller_stats, set_sandbox
from tests.engine.conftest import write_test_config
from tests.engine.test_cli_engine import CLI, ocop

ROUNDS = 10
PRODUCTS = 12  # 24 listings per account: long enough at 20 ms a request for the runs to meet


def start_sync(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, "sync", "--config", str(config), "--json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_syncs_started_together_push_each_account_once_and_the_other_reports_the_lease(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], state_url: str
) -> None:
    catalog = tmp_path / "catalog.csv"
    export_catalog(synthetic_catalog(PRODUCTS, seed=5), catalog)
    for server in sandboxes.values():
        set_sandbox(server, latency_ms=20)
    try:
        for round_ in range(ROUNDS):
            config = write_test_config(
                tmp_path / f"round{round_}.toml", sandboxes, state_url, catalog
            )
            settings = load_settings(config)
            # --wait-lock 0: the loser does not wait for the winner to finish (which would
            # make it a no-op run); it must say who holds the account and exit 4.
            procs = [start_sync(config, "--wait-lock", "0") for _ in range(2)]
            outs = [p.communicate(timeout=240) for p in procs]
            reports = [json.loads(out) for out, _ in outs]
            for proc, (out, err) in zip(procs, outs, strict=True):
                assert proc.returncode in (0, 4), out + err
                assert "Traceback" not in err
            for account in settings.accounts:
                mine = [r for rs in reports for r in rs if r["account"] == account.name]
                pushed = [r for r in mine if r["busy"] is None]
                busy = [r for r in mine if r["busy"] is not None]
                assert len(pushed) == 1 and len(busy) == 1, mine
                assert f"account {account.name} is being synced by " in busy[0]["busy"]
                assert "by cli pid" in busy[0]["busy"]
                # Every listing went out from the run that held the account: created, or —
                # a create whose answer was lost (the 1 s timeout of a loaded machine) —
                # found on the marketplace by the lookup before the retry and adopted.
                done = pushed[0]["done"]
                assert done.get("create", 0) + done.get("adopt", 0) == 2 * PRODUCTS, (round_, mine)
                stats = seller_stats(sandboxes[account.marketplace], account.name)
                assert (stats["listings"], stats["duplicates"]) == (2 * PRODUCTS, 0)
            # Whoever lost some account exits 4 (busy) — unless it lost none.
            assert sorted(p.returncode for p in procs) in ([0, 4], [4, 4], [0, 0])
    finally:
        for server in sandboxes.values():
            set_sandbox(server, latency_ms=0)


@pytest.mark.slow
def test_a_second_sync_waits_for_the_lease_then_finds_nothing_left_to_do(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], state_url: str
) -> None:
    catalog = tmp_path / "catalog.csv"
    export_catalog(synthetic_catalog(PRODUCTS, seed=6), catalog)
    config = write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, catalog)
    settings = load_settings(config)
    for server in sandboxes.values():
        set_sandbox(server, latency_ms=20)
    try:
        first = start_sync(config)
        second = start_sync(config, "--wait-lock", "120")
        outs = [p.communicate(timeout=240) for p in (first, second)]
    finally:
        for server in sandboxes.values():
            set_sandbox(server, latency_ms=0)
    assert first.returncode == 0 and second.returncode == 0, outs
    runs = [r for out, _ in outs for r in json.loads(out)]
    for account in settings.accounts:
        mine = [r for r in runs if r["account"] == account.name]
        assert sorted(r["done"].get("create", 0) for r in mine) == [0, 2 * PRODUCTS]
        stats = seller_stats(sandboxes[account.marketplace], account.name)
        assert (stats["listings"], stats["duplicates"]) == (2 * PRODUCTS, 0)


@pytest.mark.slow
def test_a_killed_holder_does_not_block_the_next_run_and_nothing_is_duplicated(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], state_url: str
) -> None:
    catalog = tmp_path / "catalog.csv"
    export_catalog(synthetic_catalog(30, seed=7), catalog)  # 60 listings per account
    config = write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, catalog)
    settings = load_settings(config)
    first = settings.accounts[0]
    for server in sandboxes.values():
        set_sandbox(server, latency_ms=25)
    try:
        proc = start_sync(config)
        deadline = time.monotonic() + 60
        while seller_stats(sandboxes[first.marketplace], first.name)["listings"] < 10:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        for server in sandboxes.values():
            set_sandbox(server, latency_ms=0)
    # The dead run's leases are still in the state, unexpired: the next run sees their
    # holder's process is gone (same machine) and takes them over without waiting.
    started = time.monotonic()
    rerun = ocop("sync", "--config", str(config), "--json", "--wait-lock", "0")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert time.monotonic() - started < 30
    store = StateStore(settings.state_url)
    for account in settings.accounts:
        server = sandboxes[account.marketplace]
        stats = seller_stats(server, account.name)
        assert (stats["listings"], stats["duplicates"]) == (60, 0)
        remote = {item["sku"]: str(item["id"]) for item in seller_listings(server, account.name)}
        ours = {
            s: b.remote_id for s, b in store.bindings(account.name).items() if b.status == "listed"
        }
        assert ours == remote
