"""Fixtures of the token tests: every OAuth marketplace's sandbox (the registry's connectors
with `oauth`), the Shopee one for the CLI tests, a secret key, a state store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from connectors.base import Connector
from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.shopee import CONNECTOR as SHOPEE
from sync.settings import Account
from sync.state import StateStore
from sync.state.models import utcnow

# Every registered marketplace whose shops authorise us by OAuth: a new one is tested here
# as soon as it is in the registry.
OAUTH_MARKETPLACES = sorted(name for name, connector in REGISTRY.items() if connector.oauth)


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh OCOP_SYNC_SECRET_KEY in the environment."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", key)
    return key


def sandbox(server: SandboxServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    """GET (or POST) a /_sandbox endpoint."""
    url = server.base_url + path
    response = httpx.post(url, json=payload) if payload is not None else httpx.get(url)
    response.raise_for_status()
    return response.json()


def oauth_stats(server: SandboxServer) -> dict[str, Any]:
    """The sandbox's OAuth figures (the same keys on every OAuth sandbox)."""
    return dict(sandbox(server, "/_sandbox/stats")["oauth"])


@dataclass(frozen=True)
class OAuthSandbox:
    """One OAuth marketplace's connector and its running sandbox."""

    connector: Connector
    server: SandboxServer

    @property
    def name(self) -> str:
        """The marketplace's registry name."""
        return self.connector.name

    def account(self, name: str) -> Account:
        """A sandbox account `name` (not yet authorised), short timeout, a few attempts."""
        account = self.connector.sandbox_kit.account(name, self.server.base_url)
        return account.model_copy(update={"timeout": 2.0, "max_attempts": 3})

    def expire(self, access_expires_at: datetime) -> None:
        """Move the sandbox clock a minute past an access token's expiry (the refresh token,
        which every marketplace makes outlive it, stays valid)."""
        seconds = (access_expires_at - utcnow()).total_seconds() + 60
        sandbox(self.server, "/_sandbox/clock", {"advance": seconds})


@pytest.fixture(scope="module", params=OAUTH_MARKETPLACES)
def oauth_sandbox(request: pytest.FixtureRequest) -> Iterator[OAuthSandbox]:
    """One sandbox per OAuth marketplace and test module."""
    connector = REGISTRY[request.param]
    config = SandboxConfig(seed=3, slow_seconds=1.5)
    with SandboxServer(connector.sandbox_factory(config)) as server:
        yield OAuthSandbox(connector, server)


@pytest.fixture
def seller(oauth_sandbox: OAuthSandbox) -> Iterator[Account]:
    """A fresh account on the marketplace's sandbox; clock and faults put back afterwards."""
    server = oauth_sandbox.server
    account = oauth_sandbox.account(f"shop-{uuid.uuid4().hex[:8]}")
    before = sandbox(server, "/_sandbox/clock")["offset"]
    yield account
    sandbox(server, "/_sandbox/clock", {"offset": before})
    sandbox(server, "/_sandbox/config", {"fault_rate": 0.0})


@pytest.fixture(scope="module")
def shopee_sandbox() -> Iterator[SandboxServer]:
    """One Shopee sandbox per test module (the CLI tests follow Shopee's consent link)."""
    with SandboxServer(SHOPEE.sandbox_factory(SandboxConfig(seed=3, slow_seconds=1.5))) as server:
        yield server


@pytest.fixture
def shop(shopee_sandbox: SandboxServer) -> Iterator[Account]:
    """A fresh Shopee shop account; the sandbox clock is put back afterwards."""
    account = SHOPEE.sandbox_kit.account(f"shop-{uuid.uuid4().hex[:8]}", shopee_sandbox.base_url)
    before = sandbox(shopee_sandbox, "/_sandbox/clock")["offset"]
    yield account.model_copy(update={"timeout": 2.0, "max_attempts": 3})
    sandbox(shopee_sandbox, "/_sandbox/clock", {"offset": before})
    sandbox(shopee_sandbox, "/_sandbox/config", {"fault_rate": 0.0})


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    """The state store on SQLite, then on PostgreSQL."""
    state = StateStore(state_url)
    yield state
    state.close()
