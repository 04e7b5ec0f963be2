"""Sandbox accounts for the bench: one per marketplace, unlimited unless a figure says."""

from __future__ import annotations

from typing import Any

from connectors.registry import REGISTRY
from sync.settings import Account

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
