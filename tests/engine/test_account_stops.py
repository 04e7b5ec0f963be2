"""An account whose marketplace is not there, or whose credentials are missing: one clear
message, fast, and the other accounts finish."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.settings import load_settings
from sync.synthetic import synthetic_catalog
from tests.conftest import sandbox_stats, seller_stats
from tests.engine.conftest import write_test_config
from tests.engine.test_cli_engine import ocop


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_marketplace_stops_its_account_fast_and_the_others_finish(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], state_url: str
) -> None:
    catalog = tmp_path / "catalog.csv"
    export_catalog(synthetic_catalog(150, seed=9), catalog)  # 300 listings per account
    config = write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, catalog)
    settings = load_settings(config)
    dead = next(a for a in settings.accounts if a.marketplace == "voso")
    nowhere = dead.model_copy(update={"base_url": f"http://127.0.0.1:{closed_port()}"})
    accounts = [nowhere if a.name == dead.name else a for a in settings.accounts]
    write_config(config, catalog, state_url, accounts)

    started = time.monotonic()
    result = ocop("sync", "--config", str(config), "--json")
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    reports = {r["account"]: r for r in json.loads(result.stdout)}
    stopped = reports[dead.name]
    assert stopped["stopped"] and "unreachable" in stopped["stopped"]
    assert f"127.0.0.1:{nowhere.base_url.rsplit(':', 1)[1]}" in stopped["stopped"]
    assert stopped["done"] == {}
    for account in accounts:
        if account.name != dead.name:
            assert reports[account.name]["failed"] == 0, reports[account.name]
            assert seller_stats(sandboxes[account.marketplace], account.name)["listings"] == 300
    # Every listing of the dead account failed with that one message, not each after its own
    # retries: the account stopped within 30 s while the others pushed 300 listings each.
    assert {e["message"] for e in stopped["errors"]} == {stopped["stopped"]}
    assert len(stopped["errors"]) == 300
    assert stopped["seconds"] < 30
    assert elapsed < 240


def test_a_missing_credential_is_a_configuration_error_before_any_request(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], state_url: str, catalog_path: Path
) -> None:
    config = write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, catalog_path)
    settings = load_settings(config)
    victim = next(a for a in settings.accounts if a.marketplace == "voso")
    creds = {k: v for k, v in victim.credentials.items() if k != "password"}
    accounts = [
        victim.model_copy(update={"credentials": creds}) if a.name == victim.name else a
        for a in settings.accounts
    ]
    write_config(config, catalog_path, state_url, accounts)
    before = {m: sandbox_stats(s)["requests"] for m, s in sandboxes.items()}
    result = ocop("sync", "--config", str(config))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"account {victim.name}" in result.stderr and "password" in result.stderr
    assert f"OCOP_SYNC_ACCOUNT_{victim.name.upper().replace('-', '_')}_" in result.stderr
    assert "Traceback" not in result.stderr
    assert {m: sandbox_stats(s)["requests"] for m, s in sandboxes.items()} == before
