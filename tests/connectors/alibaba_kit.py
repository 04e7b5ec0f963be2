"""Shared fixtures of the Alibaba.com tests: the sandbox, a fresh seller authorised on it
by its consent page (tests/connectors/oauth_seller.py), its client and listings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from connectors.alibaba import CONNECTOR
from connectors.alibaba.client import AlibabaClient, make_client
from connectors.alibaba.sandbox import create_app
from connectors.base import Listing
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.sandbox.tokens import MemoryTokenProvider
from sync.settings import Account
from tests.connectors.conftest import sandbox_call
from tests.connectors.oauth_seller import authorised, fresh_seller, valid_listings


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(create_app(SandboxConfig(seed=5, slow_seconds=1.5))) as running:
        yield running


@pytest.fixture
def account(server: SandboxServer, request: pytest.FixtureRequest) -> Account:
    seller = fresh_seller(CONNECTOR, server, request, "ab")
    sandbox_call(server, "/_sandbox/audit", {"seconds": 0, "reject_word": None})
    return seller


@pytest.fixture
async def tokens(account: Account) -> MemoryTokenProvider:
    return await authorised(CONNECTOR, account)


@pytest.fixture
async def client(account: Account, tokens: MemoryTokenProvider) -> AsyncIterator[AlibabaClient]:
    made = make_client(account, tokens=tokens)
    yield made
    await made.aclose()


@pytest.fixture
def listings(account: Account) -> list[Listing]:
    return valid_listings(CONNECTOR, account, "BK-AB")
