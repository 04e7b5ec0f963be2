"""Fixtures of the token-store tests: the Shopee sandbox, a secret key, a state store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.shopee import CONNECTOR as SHOPEE
from sync.settings import Account
from sync.state import StateStore


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh OCOP_SYNC_SECRET_KEY in the environment."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", key)
    return key


@pytest.fixture(scope="module")
def shopee_sandbox() -> Iterator[SandboxServer]:
    """One Shopee sandbox per test module."""
    with SandboxServer(SHOPEE.sandbox_factory(SandboxConfig(seed=3, slow_seconds=1.5))) as server:
        yield server


def sandbox(server: SandboxServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    """GET (or POST) a /_sandbox endpoint."""
    url = server.base_url + path
    response = httpx.post(url, json=payload) if payload is not None else httpx.get(url)
    response.raise_for_status()
    return response.json()


def oauth_stats(server: SandboxServer) -> dict[str, int]:
    """The sandbox's OAuth counters."""
    return dict(sandbox(server, "/_sandbox/stats")["oauth"])


@pytest.fixture
def shop(shopee_sandbox: SandboxServer) -> Iterator[Account]:
    """A fresh Shopee shop account; the sandbox clock is put back afterwards."""
    account = SHOPEE.sandbox_kit.account(f"shop-{uuid.uuid4().hex[:8]}", shopee_sandbox.base_url)
    before = sandbox(shopee_sandbox, "/_sandbox/clock")["offset"]
    yield account.model_copy(update={"timeout": 2.0, "max_attempts": 3})
    now = sandbox(shopee_sandbox, "/_sandbox/clock")["offset"]
    sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": before - now})
    sandbox(shopee_sandbox, "/_sandbox/config", {"fault_rate": 0.0})


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    """The state store on SQLite, then on PostgreSQL."""
    state = StateStore(state_url)
    yield state
    state.close()
