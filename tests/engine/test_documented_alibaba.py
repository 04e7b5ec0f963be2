"""The Alibaba.com account of docs/configuration.md's full example, read from the doc itself,
syncs the Bắc Kạn sample on the sandbox without failures.

Only what the doc says to change for `ocop-sync sandbox` is changed ("Trying an account on
`ocop-sync sandbox`"): `base_url`, `authorize_url`, the sandbox's app key and secret (the
secret from the environment, as the doc says), and `photobank_fetch = false` because the
sample's image host is made up; and `rate_limit`, so that the test fits the suite's time
limit. With the documented default (`photobank_fetch = true`) the
same account downloads every image and uploads its bytes when the images answer, and stops
once with the message that names the option when they do not.
"""

from __future__ import annotations

import json
import re
import tomllib
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.alibaba.sandbox import KEYS
from connectors.sandbox import SandboxServer
from sync.catalog import Image
from sync.catalog_io import export_catalog, load_catalog
from sync.settings import load_settings
from sync.tomlwrite import dumps_toml
from tests.conftest import sandbox_stats, seller_stats
from tests.engine.conftest import authorize_sandboxes
from tests.engine.test_cli_engine import ocop
from tests.engine.test_image_stops import image_host

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
SAMPLE = ROOT / "examples" / "bac-kan" / "catalog.xlsx"
SUITE_RATE = 200.0  # requests/s, as tests/engine/conftest.write_test_config
MADE_UP_HOST = "https://cdn.ocop-sample.example"  # the sample's images: answers nowhere


def documented_account() -> dict[str, Any]:
    """The `[[accounts]]` table with `marketplace = "alibaba"` of the doc's full example."""
    section = DOC.read_text(encoding="utf-8").split("\n## Full example", 1)[1]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match, "docs/configuration.md: no TOML block under 'Full example'"
    accounts = [
        a for a in tomllib.loads(match.group(1))["accounts"] if a["marketplace"] == "alibaba"
    ]
    assert len(accounts) == 1, accounts
    return accounts[0]


def on_sandbox(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: SandboxServer,
    catalog: Path,
    *,
    name: str,
    fetch: bool | None,
) -> Path:
    """The documented account moved to the sandbox as the doc says; the config file."""
    account = documented_account()
    account["name"] = name
    account["base_url"] = server.base_url
    # Not for the sandbox but for the suite's 300 s limit a test: at the documented 5
    # requests/s the whole sample takes about 250 s (0 failures, measured once).
    account["rate_limit"] = SUITE_RATE
    options = account.setdefault("options", {})
    options["authorize_url"] = server.base_url + "/oauth/authorize"
    if fetch is not None:
        options["photobank_fetch"] = fetch
    identity = KEYS.credentials(name)
    account["credentials"]["app_key"] = identity["app_key"]
    # The doc keeps app_secret out of the file: it comes from the environment.
    assert "app_secret" not in account["credentials"]
    env_name = f"OCOP_SYNC_ACCOUNT_{name.upper().replace('-', '_')}_APP_SECRET"
    monkeypatch.setenv(env_name, identity["app_secret"])
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    config = tmp_path / "ocop-sync.toml"
    config.write_text(
        dumps_toml({"catalog": str(catalog), "state_url": state_url, "accounts": [account]}),
        encoding="utf-8",
    )
    authorize_sandboxes(state_url, load_settings(config).accounts)  # the seller's consent
    return config


def listable_variants(catalog: Path) -> int:
    products = load_catalog(catalog).catalog.products
    return sum(len(p.variants) for p in products if p.listability(date.today()).ok)


def sync_documented(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: SandboxServer,
    catalog: Path,
    fetch: bool | None,
) -> tuple[str, int, dict[str, Any]]:
    """`ocop-sync sync` of `catalog` by the documented account (a fresh seller on the
    sandbox): its name, the exit code and its report."""
    name = f"alibaba-backan-{uuid.uuid4().hex[:6]}"
    config = on_sandbox(tmp_path, monkeypatch, server, catalog, name=name, fetch=fetch)
    result = ocop("sync", "--config", str(config), "--json", timeout=400)
    assert "Traceback" not in result.stderr, result.stderr
    [report] = json.loads(result.stdout)
    return name, result.returncode, report


def test_the_documented_alibaba_account_syncs_the_sample_on_the_sandbox_without_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandboxes: dict[str, SandboxServer]
) -> None:
    server = sandboxes["alibaba"]
    name, code, report = sync_documented(tmp_path, monkeypatch, server, SAMPLE, fetch=False)
    assert code == 0 and report["failed"] == 0 and not report["stopped"], report["errors"][:3]
    listable = listable_variants(SAMPLE)
    assert seller_stats(server, name)["listings"] == listable
    assert report["done"].get("create", 0) == listable, report["done"]


def test_with_the_documented_default_the_images_are_downloaded_and_uploaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandboxes: dict[str, SandboxServer]
) -> None:
    # The first 30 products of the sample, their images on a loopback host standing in
    # for the made-up one (the documented rate of 5 requests/s makes the whole sample slow).
    server = sandboxes["alibaba"]
    sample = load_catalog(SAMPLE).catalog
    part = sample.model_copy(update={"products": sample.products[:30]})
    with SandboxServer(image_host()) as host:
        for product in part.products:
            product.images = [
                Image(url=str(i.url).replace(MADE_UP_HOST, host.base_url), primary=i.primary)
                for i in product.images
            ]
        catalog = tmp_path / "catalog.xlsx"
        export_catalog(part, catalog)
        before = sandbox_stats(server)["photobank_uploads"]
        name, code, report = sync_documented(tmp_path, monkeypatch, server, catalog, fetch=None)
    assert code == 0 and report["failed"] == 0 and not report["stopped"], report["errors"][:3]
    assert seller_stats(server, name)["listings"] == listable_variants(catalog)
    distinct = {
        str(i.url) for p in part.products if p.listability(date.today()).ok for i in p.images
    }
    assert sandbox_stats(server)["photobank_uploads"] - before == len(distinct)


def test_with_the_documented_default_the_sample_stops_once_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandboxes: dict[str, SandboxServer]
) -> None:
    server = sandboxes["alibaba"]
    name, code, report = sync_documented(tmp_path, monkeypatch, server, SAMPLE, fetch=None)
    assert code == 3
    stopped = report["stopped"]
    assert stopped and MADE_UP_HOST in stopped, report
    assert "photobank_fetch = false" in stopped and "ocop-sync sandbox" in stopped
    assert seller_stats(server, name)["listings"] == 0
    assert report["seconds"] < 60
