"""`sync.engine.concurrency.at_most`: the loop under an account's pushes and review lookups."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import RetriableError
from sync.engine.concurrency import at_most


def test_every_item_is_handled_once_in_order_never_more_than_the_limit_at_once() -> None:
    started: list[int] = []
    running = peak = 0

    async def handle(item: int) -> None:
        nonlocal running, peak
        started.append(item)
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (item % 3))
        running -= 1

    asyncio.run(at_most(4, list(range(50)), handle))
    assert started == list(range(50))
    assert peak == 4


def test_no_items_and_a_limit_above_the_items_are_fine() -> None:
    seen: list[str] = []

    async def handle(item: str) -> None:
        seen.append(item)

    asyncio.run(at_most(8, [], handle))
    asyncio.run(at_most(8, ["a", "b"], handle))
    assert seen == ["a", "b"]


def test_the_first_error_stops_the_others_and_goes_up_unchanged() -> None:
    finished: list[int] = []
    cancelled: list[int] = []

    async def handle(item: int) -> None:
        if item == 3:
            await asyncio.sleep(0.01)
            raise RetriableError("the marketplace went away")
        try:
            await asyncio.sleep(0.05 if item < 4 else 0)
        except asyncio.CancelledError:
            cancelled.append(item)
            raise
        finished.append(item)

    async def scenario() -> None:
        with pytest.raises(RetriableError, match="went away"):
            await at_most(4, list(range(20)), handle)
        # Nothing is still running once the error reached the caller.
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert sorted(cancelled) == [0, 1, 2]  # in flight beside the failing one
    assert finished == []  # and none taken after it
