"""Sandbox accounts for the bench: one per marketplace, unlimited unless a figure says."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from cryptography.fernet import Fernet

from connectors.registry import REGISTRY
from sync.settings import Account
from sync.state.store import StateStore
from sync.state.token_provider import authorize_sandbox_accounts

# "No rate limit unless asked": the client-side limiter still runs (its cost is part of
# the engine's), but at a rate no sandbox run here can reach.
UNLIMITED_RATE = 1_000_000.0
TIMEOUT = 30.0  # a busy 2-core machine must not turn slow answers into retries


def bench_account(marketplace: str, name: str, base_url: str, **changes: Any) -> Account:
    """A valid sandbox account (seller `name`) with the bench's defaults and `changes`."""
    settings = {"rate_limit": UNLIMITED_RATE, "timeout": TIMEOUT, **changes}
    return REGISTRY[marketplace].sandbox_kit.account(name, base_url).model_copy(update=settings)


def bench_accounts(
    urls: dict[str, str], prefix: str, marketplaces: tuple[str, ...] = (), **changes: Any
) -> list[Account]:
    """One account per marketplace (all, or those named), called `<prefix>-<marketplace>`."""
    names = marketplaces or tuple(sorted(urls))
    return [bench_account(m, f"{prefix}-{m}", urls[m], **changes) for m in names]


def authorized(state_url: str, accounts: list[Account]) -> list[Account]:
    """Store a sandbox grant for every OAuth account in the state at `state_url` (tokens
    encrypted with OCOP_SYNC_SECRET_KEY, made for the bench's process if unset)."""
    os.environ.setdefault("OCOP_SYNC_SECRET_KEY", Fernet.generate_key().decode())
    store = StateStore(state_url)
    try:
        asyncio.run(authorize_sandbox_accounts(store, accounts))
    finally:
        store.close()
    return accounts
