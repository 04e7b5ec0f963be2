"""The whole Bắc Kạn sample pushed to every marketplace while the sandboxes misbehave."""

from __future__ import annotations

from pathlib import Path

from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.samples.bac_kan import build_bac_kan_catalog
from sync.settings import load_settings
from sync.state.store import StateStore
from tests.conftest import seller_stats, set_sandbox
from tests.engine.conftest import write_test_config
from tests.engine.helpers import TODAY, run_pass

FAULTS = ["error500", "error503", "throttle", "slow", "drop"]


def test_sample_at_fault_rate_02_ends_listed_exactly_once_everywhere(
    sandboxes: dict[str, SandboxServer], tmp_path: Path
) -> None:
    catalog_path = tmp_path / "catalog.xlsx"
    config = write_test_config(
        tmp_path / "ocop-sync.toml", sandboxes, f"sqlite:///{tmp_path / 'state.db'}", catalog_path
    )
    settings = load_settings(config)
    sample = build_bac_kan_catalog()
    export_catalog(sample, catalog_path)
    listable = {v.sku for p in sample.products if p.listability(TODAY).ok for v in p.variants}
    for server in sandboxes.values():
        # Injected throttles ask for 0.2 s (not 1 s) so the test stays quick; each one
        # still pauses the whole account, as a real ban does.
        set_sandbox(server, fault_rate=0.2, faults=FAULTS, throttle_seconds=0.2)
    try:
        _, first = run_pass(settings)
    finally:
        for server in sandboxes.values():
            set_sandbox(server, fault_rate=0.0, throttle_seconds=1.0)
    for report in first:
        # A create whose answer was lost is found on the retry: adopted, not sent twice.
        assert report.done["create"] + report.done["adopt"] + report.failed == len(listable)
        stats = seller_stats(
            sandboxes[settings.account(report.account).marketplace], report.account
        )
        assert stats["duplicates"] == 0  # even while faults were injected
    _, second = run_pass(settings)
    store = StateStore(settings.state_url)
    for account, report in zip(settings.accounts, second, strict=True):
        assert report.failed == 0, report.errors[:5]
        stats = seller_stats(sandboxes[account.marketplace], account.name)
        assert (stats["listings"], stats["duplicates"]) == (len(listable), 0)
        listed = {s for s, b in store.bindings(account.name).items() if b.status == "listed"}
        assert listed == listable
