"""Creating a listing exactly once. No marketplace offers idempotency keys (design.md §4),
so a create is never retried blindly: before every retry we look the SKU up, and a create
whose answer was lost is found there instead of being sent again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from connectors.base import Listing, MarketplaceClient, RemoteListing
from connectors.errors import RetriableError
from connectors.http import RetryPolicy
from connectors.observe import retrying


@dataclass(frozen=True)
class CreateOutcome:
    """The remote id, and whether we created it now or adopted an existing listing."""

    remote_id: str
    created: bool
    existing: RemoteListing | None = None


async def create_once(
    client: MarketplaceClient,
    listing: Listing,
    policy: RetryPolicy,
    *,
    known_absent: bool = False,
) -> CreateOutcome:
    """Create `listing` unless the marketplace already has its SKU; safe to call again.

    `known_absent` skips the first lookup when the caller knows no create was ever attempted
    for this SKU (e.g. the state store has no attempt recorded and a full remote scan did not
    show it); every retry looks up regardless.
    """
    attempt = 0
    while True:
        attempt += 1
        if attempt > 1 or not known_absent:
            existing = await client.find_by_sku(listing.sku)
            if existing is not None:
                return CreateOutcome(existing.remote_id, created=False, existing=existing)
        try:
            return CreateOutcome(await client.create(listing), created=True)
        except RetriableError as error:
            if attempt >= policy.max_attempts:
                raise
            account = getattr(client, "account", None)
            retrying(getattr(account, "name", "?"), getattr(client, "marketplace", "?"))
            await asyncio.sleep(policy.wait_for(attempt, error))
