"""Items handled a few at a time, stopped together: the shape of an account's pushes and of
its review lookups (`sync.engine.push`, `sync.engine.review`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def at_most(limit: int, items: Sequence[T], handle: Callable[[T], Awaitable[None]]) -> None:
    """Handle `items` in order, at most `limit` at a time (as a marketplace allows an account).

    When a handler raises, the others are cancelled and awaited before the error goes up
    unchanged: nothing of the caller's keeps sending after the caller has given up (its
    result writer closed, its lease released). A handler that must not stop the others
    catches its own errors, as the push core does for a failing listing."""
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            await handle(item)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(max(1, limit), len(items)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
