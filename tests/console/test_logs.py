"""Log lines of a run: JSON that parses, each carrying the run id and account (and the SKU
of push lines); no token, password or session key in them, even at DEBUG."""

from __future__ import annotations

import json
import re
from pathlib import Path

from connectors.sandbox import SandboxServer
from sync.settings import Settings
from sync.state.cipher import cipher_from_env
from sync.state.store import StateStore
from sync.state.tokens import TokenStore
from tests.console.conftest import ocop

# Credentials that name who we are rather than prove it (they appear in URLs by design).
IDENTIFIERS = {"username", "app_key", "partner_id"}


def secrets_of(settings: Settings) -> list[str]:
    """Every credential of the configuration and every stored OAuth token, in clear."""
    found = [
        value.get_secret_value()
        for account in settings.accounts
        for key, value in account.credentials.items()
        if key not in IDENTIFIERS
    ]
    store = StateStore(settings.state_url)
    try:
        tokens = TokenStore(store, cipher_from_env())
        for account in settings.accounts:
            grant = tokens.load(account.name)
            if grant is not None:
                found += [grant.access_token, grant.refresh_token]
    finally:
        store.close()
    return [s for s in found if len(s) >= 6]


def test_json_log_lines_of_a_run_carry_its_ids_and_no_secret(
    config_path: Path, settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    synced = ocop("--log-format", "json", "sync", "-vv", "--config", str(config_path), "--json")
    assert synced.returncode == 0, synced.stderr
    runs = {r["account"]: r["run_id"] for r in json.loads(synced.stdout)}
    lines = [json.loads(line) for line in synced.stderr.splitlines() if line.startswith("{")]
    assert lines, synced.stderr
    started = [line for line in lines if line["message"].startswith("sync run started")]
    assert {(line["account"], line["run_id"]) for line in started} == set(runs.items())
    pushes = [line for line in lines if line["logger"] == "ocop_sync.push"]
    assert pushes and all(line["run_id"] == runs[line["account"]] for line in pushes)
    assert all(line["sku"] for line in pushes)
    http = [line for line in lines if line["logger"] == "ocop_sync.http"]
    assert http and all(line["run_id"] == runs[line["account"]] for line in http)

    text = synced.stderr
    for secret in secrets_of(settings):
        assert secret not in text
        assert secret not in synced.stdout  # the command's own output (the run reports)
    # No URL in any line keeps its query string (session keys, signatures, tokens).
    assert not re.search(r"https?://\S+\?(?!<hidden>)", text)
    assert "sign=" not in text and "session=" not in text and "access_token=" not in text
