"""In-process rate limiting per account, with a shared cooldown after a throttle answer.

The Celery workers swap in a Redis-backed limiter with the same two methods, so every
worker process shares one budget per account (see workers/ratelimit.py).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class RateLimiter(Protocol):
    """What the HTTP layer needs from a limiter."""

    async def acquire(self) -> None:
        """Wait until one request may be sent."""
        ...

    async def cooldown(self, seconds: float) -> None:
        """The marketplace throttled a request and asked for `seconds` of back-off (the
        throttled request itself waits that long before its retry, see connectors.http)."""
        ...


# Share of the allowed rate kept in hand. It is what lets the limiter absorb a late wake-up
# without ever putting more than `rate` requests in any one-second window (see below).
MARGIN = 0.02
# Marketplaces count requests in fixed one-second windows and answer a full window with
# "retry after 1 s" (Retry-After has whole seconds). Such an answer means one request
# landed in a window that jitter had already filled — near that window's end, since the
# grid never sends more than `rate` a second. Pausing every caller for the whole second
# asked would throw away a full window of sending (1/8 of an 8-second run); the window is
# over in milliseconds. So a throttle asking for at most WINDOW seconds pauses everyone for
# FIRST_PAUSE slots, doubling with each further throttle within WINDOW of the last, up to
# what was asked; the throttled request itself still waits what was asked. A longer ban is
# honoured in full by everyone.
WINDOW = 1.0
FIRST_PAUSE = 2  # grid slots


class LocalRateLimiter:
    """Requests on an even schedule just under `rate` per second, bursts up to `burst`.

    Marketplaces count requests per second window, so requests are spaced evenly (burst 1
    by default): an early burst would be throttled. The schedule is a grid at
    `rate × (1 - MARGIN)`: a caller that wakes late from its sleep (a busy event loop on a
    loaded machine wakes milliseconds late) keeps its grid slot instead of pushing every
    later request back, which had cost ~7% of the rate at 50 req/s. Lateness up to
    `MARGIN / (1 - MARGIN)` seconds (~20 ms) is absorbed; because the grid runs MARGIN
    below the rate, any one-second window still holds at most `rate` requests. Later than
    that, or after idle time, the grid restarts at the current time (nothing is banked
    beyond `burst - 1` requests).
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._interval = 1.0 / (rate * (1 - MARGIN))
        # How far behind the grid a request may be and still keep it (burst slots included).
        self._slack = MARGIN / (1 - MARGIN) + (self.burst - 1) * self._interval
        self._next = float("-inf")  # the grid slot of the next request
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._pause = 0.0  # the last window-overflow pause (doubles while throttles repeat)
        self._throttled_at = float("-inf")

    async def acquire(self) -> None:
        """Wait for this request's slot (and for any cooldown to end)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if now - self._next > self._slack:
                    # Idle, or too late to keep the grid: restart it here.
                    self._next = now - (self.burst - 1) * self._interval
                if self._next <= now:
                    self._next += self._interval
                    return
                await asyncio.sleep(self._next - now)

    async def cooldown(self, seconds: float) -> None:
        """Pause every caller: for `seconds` after a ban, for a few slots (doubling while
        throttles repeat, at most `seconds`) after a one-second window overflowed."""
        now = time.monotonic()
        pause = seconds
        if seconds <= WINDOW:
            if now < self._paused_until:
                return  # a request sent before this pause began: the same overflow
            if now - self._throttled_at <= WINDOW:
                self._pause = min(seconds, max(self._pause * 2, FIRST_PAUSE * self._interval))
            else:
                self._pause = min(seconds, FIRST_PAUSE * self._interval)
            self._throttled_at = now
            pause = self._pause
        self._paused_until = max(self._paused_until, now + pause)
        # The grid resumes when the pause ends, with nothing banked.
        self._next = max(self._next, self._paused_until)


class Unlimited:
    """No limit (tests and benchmarks of the bare floor)."""

    async def acquire(self) -> None:
        """Return at once."""

    async def cooldown(self, seconds: float) -> None:
        """Ignore cooldowns."""
