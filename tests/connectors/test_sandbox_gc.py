"""A foreground sandbox keeps its listings out of the cyclic GC's full collections."""

from __future__ import annotations

import asyncio
import gc

from connectors.sandbox.server import keep_listings_out_of_full_collections


async def test_what_the_sandbox_holds_is_frozen_again_and_again() -> None:
    gc.unfreeze()
    try:
        held = [{"sku": f"S-{i}", "images": [f"{i}.jpg"]} for i in range(1000)]
        freezer = asyncio.ensure_future(keep_listings_out_of_full_collections(every=0.01))
        await asyncio.sleep(0.05)
        first = gc.get_freeze_count()
        assert first >= 2 * len(held)  # each listing and its image list
        held += [{"sku": f"T-{i}", "images": []} for i in range(1000)]  # written since
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() >= first + 2 * 1000
        freezer.cancel()
    finally:
        gc.unfreeze()
