"""Uploaded images are remembered in the state database: a process other than the one that
uploaded them (a later `reconcile`, another Celery worker) reads the marketplace's image
references back as the listing's own images, so nothing looks edited and nothing is sent
again."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.sandbox import SandboxServer
from sync.settings import Settings
from tests.engine.helpers import run_pass
from tests.engine.test_cli_engine import ocop


def reconcile_reports(config_path: Path) -> dict[str, dict[str, object]]:
    """`ocop-sync reconcile --json` in a process of its own, per account."""
    observed = ocop("reconcile", "--config", str(config_path), "--json")
    assert observed.returncode == 0, observed.stdout + observed.stderr
    return {r["account"]: r for r in json.loads(observed.stdout)["observed"]}


def test_a_cold_process_reads_uploaded_images_back_as_the_listings_own(
    settings: Settings, sandboxes: dict[str, SandboxServer], config_path: Path
) -> None:
    run_pass(settings)  # uploads every image from this process
    # Twice: the first scan also approves the listings a marketplace reviewed, which the
    # second then compares like the others.
    for scan in (1, 2):
        reports = reconcile_reports(config_path)
        assert sorted(reports) == sorted(a.name for a in settings.accounts)
        edited = {name: r["edited"] for name, r in reports.items() if r["edited"]}
        assert edited == {}, f"scan {scan}"
        assert all(r["missing"] == [] and r["error"] is None for r in reports.values())
    planned = ocop("plan", "--config", str(config_path), "--json")
    assert planned.returncode == 0, planned.stderr
    changes = {
        p["account"]: {k: n for k, n in p["counts"].items() if k in ("create", "update") and n}
        for p in json.loads(planned.stdout)
    }
    assert changes == {a.name: {} for a in settings.accounts}
