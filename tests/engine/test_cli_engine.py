"""The operator CLI as a user runs it: real console script, real sandboxes, SIGKILL."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.samples.bac_kan import build_bac_kan_catalog
from sync.settings import Settings
from sync.state.store import StateStore
from sync.synthetic import synthetic_catalog
from tests.conftest import seller_listings, seller_stats, set_sandbox

CLI = str(Path(sys.executable).parent / "ocop-sync")


def ocop(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the console script; never raises on a non-zero exit."""
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_plan_is_a_dry_run_and_sync_pushes_it(
    config_path: Path, settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    planned = ocop("plan", "--config", str(config_path), "--json")
    assert planned.returncode == 0, planned.stderr
    plans = json.loads(planned.stdout)
    assert {p["account"]: p["counts"]["create"] for p in plans} == {
        a.name: 10 for a in settings.accounts
    }
    assert all(
        seller_stats(sandboxes[a.marketplace], a.name)["listings"] == 0 for a in settings.accounts
    )

    synced = ocop("sync", "--config", str(config_path), "--json")
    assert synced.returncode == 0, synced.stderr
    assert "Traceback" not in synced.stderr
    runs = json.loads(synced.stdout)
    assert all(r["done"]["create"] == 10 and r["failed"] == 0 for r in runs)

    status = json.loads(ocop("status", "--config", str(config_path), "--json").stdout)
    assert {row["account"]: row["listed"] for row in status} == {
        a.name: 10 for a in settings.accounts
    }
    sku = "BK-E1-100G"
    history = json.loads(ocop("history", sku, "--config", str(config_path), "--json").stdout)
    assert sorted(h["account"] for h in history) == sorted(a.name for a in settings.accounts)
    assert {h["operation"] for h in history} == {"create"}


def test_failures_are_listed_and_resync_failed_requeues_them(
    config_path: Path, settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    # The marketplace is down: two attempts each are enough to show the failure path.
    text = config_path.read_text().replace("max_attempts = 6", "max_attempts = 2")
    config_path.write_text(text.replace("max_retry_delay = 20.0", "max_retry_delay = 2.0"))
    for server in sandboxes.values():
        set_sandbox(server, fault_rate=1.0, faults=["error500"])
    try:
        failed = ocop("sync", "--config", str(config_path), "--json")
    finally:
        for server in sandboxes.values():
            set_sandbox(server, fault_rate=0.0)
    assert failed.returncode == 3, failed.stderr
    rows = json.loads(ocop("failures", "--all", "--config", str(config_path), "--json").stdout)
    assert len(rows) == 10 * len(settings.accounts)
    assert all(r["message"] and r["attempts"] == 1 for r in rows)
    account = settings.accounts[0].name
    requeued = ocop(
        "resync", "--account", account, "--failed", "--config", str(config_path), "--json"
    )
    assert requeued.returncode == 0, requeued.stdout + requeued.stderr
    left = json.loads(ocop("failures", "--all", "--config", str(config_path), "--json").stdout)
    assert {r["account"] for r in left} == {a.name for a in settings.accounts[1:]}


def test_usage_and_configuration_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = ocop("sync", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[[accounts]]\nname = "x"\nmarketplace = "ebay"\nbase_url = "http://x"\n')
    unknown = ocop("plan", "--config", str(bad))
    assert unknown.returncode == 2 and "unknown marketplace" in unknown.stderr
    for result in (missing, unknown):
        assert "Traceback" not in result.stderr + result.stdout


def test_sync_killed_halfway_then_rerun_lists_everything_exactly_once(
    config_path: Path, settings: Settings, sandboxes: dict[str, SandboxServer], catalog_path: Path
) -> None:
    export_catalog(synthetic_catalog(60, seed=3), catalog_path)  # 120 listings per account
    for server in sandboxes.values():
        set_sandbox(server, latency_ms=25)
    first = settings.accounts[0]
    try:
        proc = subprocess.Popen(
            [CLI, "sync", "--config", str(config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while seller_stats(sandboxes[first.marketplace], first.name)["listings"] < 30:
            assert proc.poll() is None, "sync finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = seller_stats(sandboxes[first.marketplace], first.name)["listings"]
        assert 30 <= partial < 120
    finally:
        for server in sandboxes.values():
            set_sandbox(server, latency_ms=0)
    rerun = ocop("sync", "--config", str(config_path), "--json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    store = StateStore(settings.state_url)
    for account in settings.accounts:
        server = sandboxes[account.marketplace]
        stats = seller_stats(server, account.name)
        assert (stats["listings"], stats["duplicates"]) == (120, 0)
        remote = {item["sku"]: str(item["id"]) for item in seller_listings(server, account.name)}
        ours = {
            s: b.remote_id for s, b in store.bindings(account.name).items() if b.status == "listed"
        }
        assert ours == remote


def test_demo_lists_the_sample_everywhere_then_pushes_only_the_changes(tmp_path: Path) -> None:
    result = ocop("demo", "--json", "--workdir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    figures = json.loads(result.stdout)
    first, second = figures["passes"]
    sample = build_bac_kan_catalog()
    listable = sum(len(p.variants) for p in sample.products if p.listability(date.today()).ok)
    for account in first["accounts"]:
        assert account["failed"] == 0
        assert account["done"]["create"] == listable
        reasons = " ".join(s["reason"] for s in account["skipped"])
        assert "expired" in reasons and "proposed" in reasons
    for account in second["accounts"]:
        pushed = {k: v for k, v in account["done"].items() if v}
        assert account["failed"] == 0
        assert pushed.get("delist", 0) >= 1
        assert sum(pushed.values()) <= 3 + 3 + 3  # 3 price, 3 stock, the expired one's variants
        # At most two requests per change (Shopee sends price and stock per item), plus a
        # login or a review follow-up.
        assert 0 < account["requests"] <= 2 * sum(pushed.values()) + 1, account
    assert all(s["duplicates"] == 0 for s in figures["sandboxes"].values())


def test_a_bad_row_is_reported_and_holds_its_product_while_the_rest_syncs(
    config_path: Path, settings: Settings, sandboxes: dict[str, SandboxServer], tmp_path: Path
) -> None:
    from tests.engine.conftest import small_catalog

    csv_path = tmp_path / "catalog.csv"
    export_catalog(small_catalog(), csv_path)
    first = ocop("sync", "--config", str(config_path), "--catalog", str(csv_path), "--json")
    assert first.returncode == 0, first.stderr

    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    price, variant = header.index("price"), header.index("variant_sku")
    bad_row = next(n for n, r in enumerate(rows, start=1) if r[variant] == "BK-E2-100G")
    rows[bad_row - 1][price] = "giá liên hệ"  # not a price: the whole of BK-E2 is held
    for r in rows[1:]:
        if r[variant] == "BK-E1-100G":
            r[price] = str(int(r[price]) + 5000)  # a real change, pushed all the same
    with csv_path.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)

    second = ocop("sync", "--config", str(config_path), "--catalog", str(csv_path), "--json")
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert f"{csv_path}:{bad_row}:price:" in second.stderr  # file, row, column, reason
    assert "BK-E2-100G" in second.stderr
    runs = {r["account"]: r for r in json.loads(second.stdout)}
    store = StateStore(settings.state_url)
    try:
        for account in settings.accounts:
            assert runs[account.name]["done"] == {"price": 1}, runs[account.name]
            bindings = store.bindings(account.name)
            assert bindings["BK-E2-100G"].status == bindings["BK-E2-500G"].status == "listed"
            active = seller_stats(sandboxes[account.marketplace], account.name)["active"]
            assert active == 10  # nothing was delisted
    finally:
        store.close()
