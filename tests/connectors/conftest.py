"""Fixtures for the connector contract suite: each connector against its own sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from connectors.base import Connector, Listing, MarketplaceClient
from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.sandbox.tokens import MemoryTokenProvider
from sync.settings import Account
from tests.factories import make_product

TODAY = date(2026, 11, 29)


@pytest.fixture(params=sorted(REGISTRY), scope="module")
def connector(request: pytest.FixtureRequest) -> Connector:
    """Every registered connector in turn."""
    return REGISTRY[request.param]


@pytest.fixture(scope="module")
def sandbox(connector: Connector) -> Iterator[SandboxServer]:
    """The connector's sandbox on a free loopback port, in a thread."""
    config = SandboxConfig(seed=7, slow_seconds=1.5)
    with SandboxServer(connector.sandbox_factory(config)) as server:
        yield server


def sandbox_call(server: SandboxServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    """GET (or POST `payload` to) one of the sandbox's /_sandbox endpoints."""
    url = server.base_url + path
    response = httpx.post(url, json=payload) if payload is not None else httpx.get(url)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def sandbox_ctl(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The sandbox, reset to no faults and no limit after each test."""
    sandbox_call(sandbox, "/_sandbox/config", {"fault_rate": 0.0, "rate_limit": None})
    yield sandbox
    sandbox_call(sandbox, "/_sandbox/config", {"fault_rate": 0.0, "rate_limit": None})


@pytest.fixture
def account(
    connector: Connector, sandbox: SandboxServer, request: pytest.FixtureRequest
) -> Account:
    """A fresh seller account per test, so tests do not see each other's listings."""
    name = f"t-{abs(hash(request.node.nodeid)) % 10**8}"
    base = connector.sandbox_kit.account(name, sandbox.base_url)
    return base.model_copy(update={"timeout": 1.0, "max_attempts": 6, "rate_limit": 500.0})


@pytest.fixture
async def client_kwargs(connector: Connector, account: Account) -> dict[str, Any]:
    """What the client factory needs besides the account: for an OAuth marketplace, a
    TokenProvider over the grant of the shop's consent on the sandbox (in memory here;
    the engine's is sync/state/token_provider.py)."""
    if connector.oauth is None:
        return {}
    assert connector.sandbox_kit.authorize is not None, "OAuth connectors authorise on sandbox"
    grant = await connector.sandbox_kit.authorize(account)
    return {"tokens": MemoryTokenProvider(account, connector.oauth, grant)}


@pytest.fixture
async def client(
    connector: Connector, account: Account, client_kwargs: dict[str, Any]
) -> AsyncIterator[MarketplaceClient]:
    """The connector's client for that account."""
    client = connector.client_factory(account, **client_kwargs)
    yield client
    await client.aclose()


@pytest.fixture
def listings(connector: Connector, account: Account) -> list[Listing]:
    """The mapped listings of a valid product for that account."""
    result = connector.mapping.map_product(make_product("BK-CONTRACT"), account, TODAY)
    assert result and all(listing.ok for listing in result), [item.issues for item in result]
    return result
