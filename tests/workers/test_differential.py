"""One engine, two drivers: the same catalog synced through 20 % faults and a SIGKILL once
inline and once through Celery ends in the same state, the same listings on the
marketplace and the same report counts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.state.store import StateStore
from tests.conftest import seller_listings, set_sandbox
from tests.engine.conftest import authorize_sandboxes
from tests.workers.conftest import (
    OCOP_SYNC,
    Deployment,
    listable_count,
    sample_catalog,
    sandbox_account,
    start_sandbox,
)
from tests.workers.test_crashes import kill_mid_batch, listings, wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow]
FAULTS = ["error500", "error503", "throttle", "drop"]
ROUNDS = 4  # syncs after the killed one, until nothing is left to do


def state_of(state_url: str, account: str) -> dict[str, tuple[object, ...]]:
    store = StateStore(state_url, migrate=False)
    try:
        return {
            sku: (
                b.status,
                b.content_hash,
                b.price,
                b.stock,
                b.reason if b.status == "skipped" else None,
            )
            for sku, b in store.bindings(account).items()
        }
    finally:
        store.close()


def remote_of(server_listings: list[dict]) -> dict[str, tuple[object, ...]]:
    return {
        item["sku"]: (item.get("status"), item.get("price"), item.get("stock"), item.get("name"))
        for item in server_listings
    }


def until_clean(run: Callable[[], subprocess.CompletedProcess[str]]) -> dict:
    """Sync until a run ends with nothing failed; that run's report."""
    for _ in range(ROUNDS):
        result = run()
        assert result.returncode in (0, 3), result.stdout + result.stderr
        if result.returncode == 0:
            (report,) = json.loads(result.stdout)
            return dict(report)
    raise AssertionError("did not converge")


def test_inline_and_celery_through_faults_and_a_sigkill_end_the_same(
    deploy: Callable[..., Deployment], tmp_path: Path, pg_url: str
) -> None:
    catalog = sample_catalog(60)
    inline_box = start_sandbox("voso", fault_rate=0.2, faults=FAULTS, seed=5, latency_ms=20)
    celery_box = start_sandbox("voso", fault_rate=0.2, faults=FAULTS, seed=5, latency_ms=20)
    try:
        # Same seller name on both sandboxes: the same remote ids, names and prices.
        inline_account = sandbox_account("voso", inline_box.base_url, rate_limit=200.0)
        celery_account = inline_account.model_copy(update={"base_url": celery_box.base_url})
        expected = listable_count(catalog, "voso", inline_account)

        # Inline: started, SIGKILLed mid-run, then synced until clean.
        state_url = f"sqlite:///{tmp_path / 'inline.db'}"
        catalog_path = tmp_path / "catalog.json"
        export_catalog(catalog, catalog_path)
        config = tmp_path / "inline.toml"
        write_config(config, catalog_path, state_url, [inline_account])
        authorize_sandboxes(state_url, [inline_account])
        env = {**os.environ, "OCOP_SYNC_CONFIG": str(config)}
        proc = subprocess.Popen([OCOP_SYNC, "sync"], env=env, stdout=subprocess.DEVNULL)
        wait_until(lambda: listings(inline_box) >= 10, 60, "the inline run's first listings")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        def inline() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [OCOP_SYNC, "sync", "--json"], env=env, capture_output=True, text=True
            )

        inline_last = until_clean(inline)

        # Celery: a pool process SIGKILLed mid-batch, then synced until clean.
        d = deploy([celery_account], catalog, batch_size=10)
        workers = d.workers(["one", "two"], concurrency=2)
        first = d.popen("sync", "--via", "celery", "--wait", log="first.log")
        kill_mid_batch(celery_box, workers, at_least=10)
        first.wait(180)
        celery_last = until_clean(lambda: d.cli("sync", "--via", "celery", "--wait", "--json"))

        for box in (inline_box, celery_box):
            set_sandbox(box, fault_rate=0.0)
        # The same state, binding by binding (status, content hash, price, stock, reason).
        assert state_of(state_url, inline_account.name) == state_of(pg_url, celery_account.name)
        # The same listings on the marketplace, each once.
        on_inline = seller_listings(inline_box, inline_account.name)
        on_celery = seller_listings(celery_box, celery_account.name)
        assert len(on_inline) == len(on_celery) == expected
        assert remote_of(on_inline) == remote_of(on_celery)
        # The same report counts: skips of the clean runs (how many runs it took to get
        # there depends on where the faults fell), then a run with nothing left to do.
        assert inline_last["skipped_count"] == celery_last["skipped_count"] > 0
        final_inline = json.loads(inline().stdout)[0]
        final_celery = json.loads(d.cli("sync", "--via", "celery", "--wait", "--json").stdout)[0]
        for key in ("planned", "done", "failed", "skipped_count"):
            assert final_inline[key] == final_celery[key], key
    finally:
        inline_box.stop()
        celery_box.stop()
