"""Waiting out the marketplaces' reviews after a full sync.

TikTok Shop and Alibaba.com review new listings before they go on sale, and a run asks
about a bounded number of them (sync.engine.review). Their sandboxes approve at once, but a
full sync of thousands leaves most still recorded as in review, and the next runs would
spend requests following them up. The figures that start from a full sync (no-op, 1 %
changed) measure a settled account, as a seller's would be once the reviews are over.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from connectors.registry import get_connector
from sync.engine.clients import load_config, open_client
from sync.engine.review import follow_reviews, waiting
from sync.state.store import StateStore


async def _settle(store: StateStore, config: Path) -> int:
    asked = 0
    for account in load_config(config).accounts:
        if not get_connector(account.marketplace).reviews:
            continue
        client = open_client(account, store)
        try:
            while waiting(store, account.name, limit=1):
                counts = await follow_reviews(client, store)
                asked += sum(counts.values())
                if counts["in_review"] and not (counts["listed"] or counts["failed"]):
                    break  # still under review: nothing more to learn now
        finally:
            await client.aclose()
    return asked


def settle_reviews(config: Path, state_url: str) -> int:
    """Follow every listing in review to its answer; how many were asked about."""
    store = StateStore(state_url)
    try:
        return asyncio.run(_settle(store, config))
    finally:
        store.close()
