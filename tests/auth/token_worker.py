"""A separate OS process using one OAuth account's stored tokens (spawned by the tests)."""

from __future__ import annotations

import asyncio
from typing import Any


def call_after_barrier(
    state_url: str, marketplace: str, name: str, base_url: str, barrier: Any, results: Any
) -> None:
    """Build the engine's provider and a client, wait for the others, make one call."""
    from connectors.registry import get_connector
    from sync.state import StateStore
    from sync.state.token_provider import StoredTokenProvider, token_provider_for

    connector = get_connector(marketplace)
    account = connector.sandbox_kit.account(name, base_url).model_copy(update={"timeout": 5.0})

    async def run() -> None:
        store = StateStore(state_url, migrate=False)
        provider = token_provider_for(store, account)
        assert isinstance(provider, StoredTokenProvider)
        client = connector.client_factory(account, tokens=provider)
        barrier.wait(30)
        try:
            found = await client.find_by_sku("NO-SUCH-SKU")
            results.put(("ok", found is None, provider.refreshes))
        except Exception as exc:  # reported to the test, which fails on it
            results.put(("error", f"{type(exc).__name__}: {exc}", provider.refreshes))
        finally:
            await client.aclose()
            store.close()

    asyncio.run(run())
