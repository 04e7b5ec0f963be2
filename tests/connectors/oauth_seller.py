"""A fresh seller on an OAuth marketplace's sandbox, for that connector's own tests: its
account, its consent exchanged for tokens held in memory (connectors/sandbox/tokens.py;
the engine's provider is sync/state), mapped listings, and the sandbox's figures.

Each test module keeps its fixtures (they name its own sandbox and client) and builds
them from these helpers, so every OAuth connector's tests start a seller the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from connectors.base import Connector, Listing
from connectors.sandbox import SandboxServer
from connectors.sandbox.tokens import MemoryTokenProvider
from sync.settings import Account
from tests.connectors.conftest import sandbox_call
from tests.factories import make_product

TODAY = date(2026, 11, 29)
DAY = 24 * 3600


def fresh_seller(
    connector: Connector, server: SandboxServer, request: pytest.FixtureRequest, prefix: str
) -> Account:
    """A seller of its own for this test (no faults, no rate limit on the sandbox), with a
    short timeout and room for retries."""
    sandbox_call(server, "/_sandbox/config", {"fault_rate": 0.0, "rate_limit": None})
    name = f"{prefix}-{abs(hash(request.node.nodeid)) % 10**8}"
    base = connector.sandbox_kit.account(name, server.base_url)
    return base.model_copy(update={"timeout": 1.0, "max_attempts": 6, "rate_limit": 500.0})


async def authorised(connector: Connector, account: Account) -> MemoryTokenProvider:
    """The seller's consent on the sandbox, its grant held by an in-memory provider."""
    assert connector.oauth is not None and connector.sandbox_kit.authorize is not None
    return MemoryTokenProvider(
        account, connector.oauth, await connector.sandbox_kit.authorize(account)
    )


def valid_listings(connector: Connector, account: Account, product_sku: str) -> list[Listing]:
    """The listings of a sample product, every one free of issues."""
    result = connector.mapping.map_product(make_product(product_sku), account, TODAY)
    assert result and all(listing.ok for listing in result), [i.issues for i in result]
    return result


def stats(server: SandboxServer) -> dict[str, Any]:
    """The sandbox's /_sandbox/stats."""
    return sandbox_call(server, "/_sandbox/stats")
