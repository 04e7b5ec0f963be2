"""The shared connector contract, run for TikTok Shop alone with a test-local token
provider: TikTok is not registered yet (registration waits for the engine's token store
wiring), so tests/connectors/test_contract.py does not reach it. Here each test account is
authorised on the sandbox first, and every client the suite makes for it, with the right
credentials or the wrong ones, gets that shop's tokens, as the engine's token store would
hand them. Once TikTok is registered and the shared conftest serves OAuth connectors, this
module is redundant."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from connectors.base import Connector, MarketplaceClient
from connectors.tiktok import CONNECTOR
from connectors.tiktok.sandbox import authorize
from sync.settings import Account
from tests.connectors.test_contract import *  # noqa: F403 (the contract's tests, run here)
from tests.connectors.tiktok_tokens import MemoryTokens

_TOKENS: dict[str, MemoryTokens] = {}  # account name -> its shop's tokens


def _client_with_tokens(account: Account, **kwargs: Any) -> MarketplaceClient:
    kwargs.setdefault("tokens", _TOKENS.get(account.name))
    return CONNECTOR.client_factory(account, **kwargs)


@pytest.fixture(scope="module")
def connector() -> Connector:
    """TikTok Shop only, its clients handed their shop's tokens."""
    return dataclasses.replace(CONNECTOR, client_factory=_client_with_tokens)


@pytest.fixture
def account(account: Account) -> Account:
    """The suite's fresh account, authorised on the sandbox (consent, code exchange)."""
    assert CONNECTOR.oauth is not None
    grant = asyncio.run(authorize(account))  # what CONNECTOR.sandbox_kit.authorize does
    _TOKENS[account.name] = MemoryTokens(account, CONNECTOR.oauth, grant)
    return account
