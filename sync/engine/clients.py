"""The one place a marketplace client is made for a run, inline or in a worker."""

from __future__ import annotations

from typing import Any

from connectors.base import MarketplaceClient
from connectors.ratelimit import RateLimiter
from connectors.registry import get_connector
from sync.settings import Account
from sync.state.store import StateStore


def open_client(
    account: Account, store: StateStore, *, limiter: RateLimiter | None = None
) -> MarketplaceClient:
    """The account's client; OAuth marketplaces get a token provider over the state store."""
    connector = get_connector(account.marketplace)
    extra: dict[str, Any] = {}
    if limiter is not None:
        extra["limiter"] = limiter
    return connector.client_factory(account, **extra)
