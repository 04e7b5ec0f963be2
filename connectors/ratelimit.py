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
    """Token bucket for one process: `rate` requests/s, bursts up to `burst`.

    Requests are spaced evenly (burst 1 by default) because marketplaces count per second
    window and an early burst would be throttled.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for a token (and for any cooldown to end)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    async def cooldown(self, seconds: float) -> None:
        """Pause every caller for `seconds` from now."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._tokens = 0.0


class Unlimited:
    """No limit (tests and benchmarks of the bare floor)."""

    async def acquire(self) -> None:
        """Return at once."""

    async def cooldown(self, seconds: float) -> None:
        """Ignore cooldowns."""
