"""The in-process limiter's answer to a throttle: a one-second window that overflowed costs
a few slots (doubling while throttles repeat, never more than asked); a ban is honoured in
full. Deadlines are read from the limiter's own clock, never timed."""

from __future__ import annotations

import asyncio
import time

from connectors.ratelimit import FIRST_PAUSE, LocalRateLimiter


def paused_for(limiter: LocalRateLimiter) -> float:
    """Seconds from now until callers may send again."""
    return limiter._paused_until - time.monotonic()


def test_a_window_overflow_pauses_a_few_slots_and_repeats_double_up_to_what_was_asked() -> None:
    limiter = LocalRateLimiter(50.0)
    slot = limiter._interval
    asyncio.run(limiter.cooldown(1.0))
    first = paused_for(limiter)
    assert 0 < first <= FIRST_PAUSE * slot
    # Answers to requests sent before that pause began are the same overflow: no longer.
    asyncio.run(limiter.cooldown(1.0))
    assert paused_for(limiter) <= first
    pauses = []
    for _ in range(8):  # throttled again each time the pause is over
        limiter._paused_until = time.monotonic() - 1e-6
        asyncio.run(limiter.cooldown(1.0))
        pauses.append(paused_for(limiter))
    assert pauses[0] > first and pauses[1] > pauses[0]  # doubling
    assert max(pauses) <= 1.0 and pauses[-1] > 0.9  # up to what the marketplace asked


def test_a_ban_pauses_every_caller_for_what_was_asked() -> None:
    limiter = LocalRateLimiter(50.0)
    asyncio.run(limiter.cooldown(5.0))
    assert 4.9 < paused_for(limiter) <= 5.0
    assert limiter._next >= limiter._paused_until  # the grid resumes after, nothing banked


def test_a_throttle_a_while_after_the_last_starts_small_again() -> None:
    limiter = LocalRateLimiter(50.0)
    for _ in range(4):
        limiter._paused_until = time.monotonic() - 1e-6
        asyncio.run(limiter.cooldown(1.0))
    limiter._paused_until = time.monotonic() - 1e-6
    limiter._throttled_at -= 2.0  # the last throttle was two seconds ago
    asyncio.run(limiter.cooldown(1.0))
    assert paused_for(limiter) <= FIRST_PAUSE * limiter._interval
