"""Console fixtures: a real state synced to the sandboxes with one failing account, and
`ocop-sync serve` running on a free loopback port with an operator and a viewer."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from connectors.sandbox import SandboxServer
from sync.catalog import Catalog, Product
from sync.catalog_io import export_catalog
from sync.console.auth import hash_password
from sync.settings import Settings, load_settings
from tests.conftest import set_sandbox
from tests.engine.conftest import (  # noqa: F401  (fixtures used by this package's tests)
    catalog_path,
    config_path,
    settings,
    small_catalog,
    write_test_config,
)
from tests.factories import product_data

CLI = str(Path(sys.executable).parent / "ocop-sync")
OPERATOR = ("lan", "mật-khẩu-vận-hành")
VIEWER = ("minh", "chỉ-xem-thôi")
FAILING = "voso"  # the marketplace whose listings fail in the first sync


def ocop(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the console script; never raises on a non-zero exit."""
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def console_catalog() -> Catalog:
    """The engine tests' small catalog plus a product whose certificate ends in 20 days."""
    soon = product_data("BK-SOON")
    decided = date.today() + timedelta(days=20) - timedelta(days=3 * 365 + 1)
    soon["certificate"] = {
        **soon["certificate"],
        "decision_date": decided.isoformat(),
        "valid_until": (date.today() + timedelta(days=20)).isoformat(),
    }
    return Catalog(products=[*small_catalog().products, Product.model_validate(soon)])


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_console_section(config: Path) -> None:
    """An operator and a viewer, their passwords hashed (argon2)."""
    text = config.read_text(encoding="utf-8")
    text += (
        '\n[console]\nsession_key = "test-session-key-not-secret-elsewhere"\n'
        f'[[console.operators]]\nname = "{OPERATOR[0]}"\nrole = "operator"\n'
        f'password_hash = "{hash_password(OPERATOR[1])}"\n'
        f'[[console.operators]]\nname = "{VIEWER[0]}"\nrole = "viewer"\n'
        f'password_hash = "{hash_password(VIEWER[1])}"\n'
    )
    config.write_text(text, encoding="utf-8")


@pytest.fixture
def synced_config(tmp_path: Path, sandboxes: dict[str, SandboxServer]) -> Path:
    """A configuration whose state has had one sync: every account listed, except the
    failing marketplace's account whose ten listings failed with one message."""
    catalog = tmp_path / "catalog.xlsx"
    export_catalog(console_catalog(), catalog)
    config = write_test_config(
        tmp_path / "ocop-sync.toml", sandboxes, f"sqlite:///{tmp_path / 'state.db'}", catalog
    )
    text = config.read_text().replace("max_attempts = 6", "max_attempts = 2")
    config.write_text(text.replace("max_retry_delay = 20.0", "max_retry_delay = 2.0"))
    add_console_section(config)
    set_sandbox(sandboxes[FAILING], fault_rate=1.0, faults=["error500"])
    try:
        synced = ocop("sync", "--config", str(config), "--json")
    finally:
        set_sandbox(sandboxes[FAILING], fault_rate=0.0)
    assert synced.returncode == 3, synced.stderr
    return config


@pytest.fixture
def settings_of(synced_config: Path) -> Settings:
    """The synced configuration's settings."""
    return load_settings(synced_config)


@pytest.fixture
def console_url(synced_config: Path, tmp_path: Path) -> Iterator[str]:
    """`ocop-sync serve` on a free port, its log in tmp_path/console.log."""
    port = free_port()
    log = (tmp_path / "console.log").open("w")
    server = subprocess.Popen(
        [CLI, "-v", "serve", "--config", str(synced_config), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "OCOP_SYNC_LOG_FORMAT": "text"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url + "/login", timeout=1.0)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "console.log").read_text()
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def status_json(config: Path) -> dict[str, dict]:
    """`ocop-sync status --json` by account."""
    out = ocop("status", "--config", str(config), "--json")
    assert out.returncode == 0, out.stderr
    return {row["account"]: row for row in json.loads(out.stdout)}
