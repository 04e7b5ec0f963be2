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
        """Nobody sends for `seconds` (the marketplace asked us to back off)."""
        ...


class LocalRateLimiter:
    """Requests spaced on a fixed schedule of `rate` per second, bursts up to `burst`.

    Requests are spaced evenly (burst 1 by default) because marketplaces count per second
    window and an early burst would be throttled. The schedule is a grid (GCRA): a caller
    that wakes a little late from its sleep does not push every later request back, so the
    achieved rate is `rate`, not `rate` minus the event loop's wake-up lag (which cost ~7%
    at 50 req/s). Lateness up to half an interval is absorbed this way; longer idle time
    never banks more than `burst` requests.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._interval = 1.0 / rate
        self._next = time.monotonic()  # when the next request is due on the grid
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for this request's slot (and for any cooldown to end)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                # Idle time banks at most `burst - 1` early slots plus half an interval.
                earliest = now - (self.burst - 1 + 0.5) * self._interval
                due = max(self._next, earliest)
                if due <= now + (self.burst - 1) * self._interval:
                    self._next = due + self._interval
                    return
                await asyncio.sleep(due - (self.burst - 1) * self._interval - now)

    async def cooldown(self, seconds: float) -> None:
        """Pause every caller for `seconds` from now."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        # Restart the schedule when the pause ends, with no banked slots.
        self._next = max(self._next, self._paused_until)


class Unlimited:
    """No limit (tests and benchmarks of the bare floor)."""

    async def acquire(self) -> None:
        """Return at once."""

    async def cooldown(self, seconds: float) -> None:
        """Ignore cooldowns."""
