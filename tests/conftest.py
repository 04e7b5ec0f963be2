"""Fixtures shared by every test package: real sandboxes on loopback, real databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer

PG_ADMIN_URL = os.environ.get("OCOP_SYNC_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
# OAuth sandbox accounts keep their tokens in the state store, encrypted with this key; set
# at import so every command and worker the tests start inherits it.
os.environ.setdefault("OCOP_SYNC_SECRET_KEY", Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[dict[str, SandboxServer]]:
    """Every marketplace's sandbox, started once per session on free loopback ports."""
    servers = {
        name: SandboxServer(
            connector.sandbox_factory(SandboxConfig(seed=11, slow_seconds=1.5))
        ).start()
        for name, connector in REGISTRY.items()
    }
    yield servers
    for server in servers.values():
        server.stop()


def sandbox_stats(server: SandboxServer) -> dict:
    """GET /_sandbox/stats."""
    return httpx.get(server.base_url + "/_sandbox/stats").json()


def set_sandbox(server: SandboxServer, **config: object) -> None:
    """POST /_sandbox/config (rate_limit, fault_rate, faults, latency_ms…)."""
    httpx.post(server.base_url + "/_sandbox/config", json=config).raise_for_status()


def seller_stats(server: SandboxServer, account: str) -> dict:
    """The per-seller figures of the seller whose id contains `account` (zeros if none yet)."""
    sellers = sandbox_stats(server)["sellers"]
    match = [v for k, v in sellers.items() if account in k]
    assert len(match) <= 1, sellers
    return (
        match[0]
        if match
        else {"listings": 0, "active": 0, "duplicates": 0, "max_served_per_second": 0}
    )


def seller_listings(server: SandboxServer, account: str) -> list[dict]:
    """Raw listings the sandbox keeps for the seller whose id contains `account`."""
    data = httpx.get(server.base_url + "/_sandbox/listings").json()
    return [item for seller, items in data.items() if account in seller for item in items]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the machine's server, dropped afterwards."""
    name = f"ocop_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The state store URL: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_url")
