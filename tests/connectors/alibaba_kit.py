"""Shared fixtures of the Alibaba.com tests: the sandbox, a fresh seller authorised on it
by its consent page, and a test-local TokenProvider (the engine's is sync/state)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import pytest

from connectors.alibaba import CONNECTOR
from connectors.alibaba.client import AlibabaClient, make_client
from connectors.alibaba.oauth import OAUTH
from connectors.alibaba.sandbox import authorize, create_app, sandbox_account
from connectors.base import Listing
from connectors.http import make_http_client
from connectors.oauth import TokenGrant, Tokens
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.settings import Account
from tests.connectors.conftest import sandbox_call
from tests.factories import make_product

TODAY = date(2026, 11, 29)
DAY = 24 * 3600


class LocalTokens:
    """In-memory TokenProvider: one refresh per stale version, as the engine's promises."""

    def __init__(self, account: Account, grant: TokenGrant) -> None:
        self.account = account
        self.tokens = Tokens(**{f.name: getattr(grant, f.name) for f in dataclasses.fields(grant)})
        self.refreshes = 0
        self._lock = asyncio.Lock()

    async def current(self) -> Tokens:
        return self.tokens

    async def refreshed(self, stale: Tokens) -> Tokens:
        async with self._lock:
            if self.tokens.version > stale.version:
                return self.tokens
            async with make_http_client(self.account) as http:
                grant = await OAUTH.refresh(self.account, self.tokens, http)
            self.refreshes += 1
            fields = {f.name: getattr(grant, f.name) for f in dataclasses.fields(grant)}
            self.tokens = Tokens(**fields, version=stale.version + 1)
            return self.tokens


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(create_app(SandboxConfig(seed=5, slow_seconds=1.5))) as running:
        yield running


@pytest.fixture
def account(server: SandboxServer, request: pytest.FixtureRequest) -> Account:
    sandbox_call(server, "/_sandbox/config", {"fault_rate": 0.0, "rate_limit": None})
    sandbox_call(server, "/_sandbox/audit", {"seconds": 0, "reject_word": None})
    name = f"ab-{abs(hash(request.node.nodeid)) % 10**8}"
    base = sandbox_account(name, server.base_url)
    return base.model_copy(update={"timeout": 1.0, "max_attempts": 6, "rate_limit": 500.0})


@pytest.fixture
async def tokens(account: Account) -> LocalTokens:
    return LocalTokens(account, await authorize(account))


@pytest.fixture
async def client(account: Account, tokens: LocalTokens) -> AsyncIterator[AlibabaClient]:
    made = make_client(account, tokens=tokens)
    yield made
    await made.aclose()


@pytest.fixture
def listings(account: Account) -> list[Listing]:
    result = CONNECTOR.mapping.map_product(make_product("BK-AB"), account, TODAY)
    assert result and all(listing.ok for listing in result), [i.issues for i in result]
    return result


def stats(server: SandboxServer) -> dict[str, Any]:
    return sandbox_call(server, "/_sandbox/stats")  # type: ignore[no-any-return]
