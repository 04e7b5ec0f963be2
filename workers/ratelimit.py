"""One request budget per account shared by every worker process, kept in Redis.

Why a small Lua script and not the `limits` library (installed, and the first choice):
`limits` answers "may I send now?" (`hit`/`test`) but cannot *reserve* the next free slot,
so waiting means polling Redis with guessed sleeps, and waiters across processes race each
other with no order. Its windows are also whole seconds (`RateLimitItemPerSecond`, integer
multiples), so it lets a full second's budget go in one burst: against a marketplace that
counts fixed one-second windows, a burst sent just before a window boundary plus a few ms
of network jitter lands R+1 to 2R requests in one of its seconds and gets throttled.

The script below is GCRA (a token bucket with burst 1): Redis keeps one timestamp per
account — the earliest time the next request may go — and each caller atomically takes
the next slot and sleeps until it. Requests are thus spaced evenly at 1/R across all
processes and machines, with Redis's own clock (no clock skew between hosts). A 5% headroom
on the spacing absorbs up to ~50 ms of jitter between our send and the marketplace's count.

The cooldown key is set when a marketplace throttles (429 Retry-After, "ban lasts N
seconds"): every worker's next slot starts after it, and a caller that slept for its slot
(longer than a few ms) checks again before sending. A ban is honoured in full; a throttle
asking for at most one second (a fixed one-second window that jitter overfilled) pauses
every worker a few slots only, as the in-process limiter does (connectors/ratelimit.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from redis.asyncio import Redis

from connectors.ratelimit import FIRST_PAUSE, WINDOW

HEADROOM = 1.05  # spacing factor: pace at R/1.05 so jitter never puts R+1 in one second
# A caller that slept longer than this for its slot asks Redis again whether a throttle
# came meanwhile. Below it the second round trip is not worth it: each is ~0.1 ms of a
# worker's CPU, and at a high rate the two of them per request cost a Celery worker more
# than the HTTP request itself (py-spy of the bench's Celery figure).
RECHECK_AFTER = 0.005
# At a high rate a caller takes a block of consecutive slots in one round trip: at most this
# much of the budget, so at 50 requests/s or less every slot is still asked for alone. A
# slot of the block not used within STALE of its time is dropped, never sent late: late
# slots land in a later one-second window, and STALE ÷ 1.05 of the rate (2 %) is all such a
# window may take from the 5 % headroom, the rest being the network's jitter.
BLOCK_SECONDS = 0.02
MAX_BLOCK = 16
STALE = 0.02

# KEYS[1] next-slot time, KEYS[2] cooldown end; ARGV[1] spacing in seconds, ARGV[2] how
# many consecutive slots (1 unless a block). Returns {seconds the caller must wait for the
# first, that slot on Redis's clock} as strings (Lua numbers would be truncated to integers
# in the Redis reply); the others follow at `spacing`.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local spacing = tonumber(ARGV[1])
local taken = spacing * tonumber(ARGV[2] or '1')
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'),
                      tonumber(redis.call('GET', KEYS[2]) or '0'))
local ttl = math.ceil((slot + taken - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + taken), 'PX', ttl)
return {string.format('%.6f', slot - now), string.format('%.6f', slot)}
"""

# KEYS[1] cooldown end, KEYS[2] the last window-overflow pause ("pause:at");
# ARGV[1] seconds asked, ARGV[2] the window (1 s), ARGV[3] the first overflow pause.
# Only ever lengthens the cooldown. A throttle asking for at most a window is a window that
# overflowed (connectors/ratelimit.py says why): every worker pauses a few slots, doubling
# while throttles repeat within a window, at most what was asked; a longer ban is honoured
# in full. Answers to requests sent before the current pause began change nothing.
_COOLDOWN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local asked = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = asked
if asked <= window then
  if now < current then
    return string.format('%.6f', current - now)
  end
  local first = math.min(asked, tonumber(ARGV[3]))
  pause = first
  local last = redis.call('GET', KEYS[2])
  if last then
    local sep = string.find(last, ':', 1, true)
    local previous = tonumber(string.sub(last, 1, sep - 1))
    local at = tonumber(string.sub(last, sep + 1))
    if now - at <= window then
      pause = math.min(asked, math.max(previous * 2, first))
    end
  end
  redis.call('SET', KEYS[2], string.format('%.6f:%.6f', pause, now), 'PX',
             math.ceil(window * 1000) + 1000)
end
local until_ = now + pause
if until_ > current then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX',
             math.ceil(pause * 1000) + 1000)
  return string.format('%.6f', pause)
end
return string.format('%.6f', current - now)
"""

# KEYS[1] cooldown end. Seconds of cooldown left (0 when none).
_LEFT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
return string.format('%.6f', math.max(0, current - now))
"""


def limiter_keys(account: str) -> tuple[str, str]:
    """Redis keys of an account's budget: (next slot, cooldown end)."""
    return f"ocop:rate:{account}:next", f"ocop:rate:{account}:cooldown"


def overflow_key(account: str) -> str:
    """Redis key of the account's last window-overflow pause."""
    return f"ocop:rate:{account}:overflow"


class RedisRateLimiter:
    """The `RateLimiter` protocol over Redis: `rate` requests/s per account, all workers."""

    def __init__(self, redis: Redis, account: str, rate: float) -> None:
        self.redis = redis
        self.account = account
        self.rate = rate
        self.spacing = HEADROOM / rate
        self.block = max(1, min(MAX_BLOCK, int(BLOCK_SECONDS / self.spacing)))
        self._slots: deque[float] = deque()  # the rest of a block, on the monotonic clock
        self.keys = limiter_keys(account)
        self._reserve = redis.register_script(_RESERVE)
        self._cooldown = redis.register_script(_COOLDOWN)
        self._left = redis.register_script(_LEFT)

    async def reserve(self, slots: int = 1) -> tuple[float, float]:
        """Take the next `slots` consecutive slots: (seconds until the first comes, its time
        on Redis's clock); the others follow at `spacing`."""
        wait, slot = await self._reserve(
            keys=list(self.keys), args=[f"{self.spacing:.6f}", str(slots)]
        )
        return float(wait), float(slot)

    async def acquire(self) -> None:
        """Take the next slot of this account's budget and sleep until it comes."""
        while True:
            wait = await self._next_slot()
            if wait > 0:
                await asyncio.sleep(wait)
            # The slot already counted any cooldown. A throttle answer may have arrived
            # while we slept: honour it too (after a few ms of sleep it is as likely as
            # one arriving between a check and the send, so those are not asked about).
            if wait <= RECHECK_AFTER or await self.cooldown_left() <= 0:
                return
            self._slots.clear()  # a throttle came while we slept: the block is void

    async def _next_slot(self) -> float:
        """Seconds until this caller's next slot: from its block, or a new one from Redis.
        Rounded-up spacing (`time.monotonic` here, Redis's clock there) only ever delays."""
        now = time.monotonic()
        while self._slots and now - self._slots[0] > STALE:
            self._slots.popleft()
        if self._slots:
            return self._slots.popleft() - now
        wait, _ = await self.reserve(self.block)
        first = time.monotonic() + wait
        self._slots.extend(first + i * self.spacing for i in range(1, self.block))
        return wait

    async def cooldown(self, seconds: float) -> None:
        """Every worker of this account pauses: `seconds` after a ban, a few slots after a
        one-second window overflowed (doubling while throttles repeat, at most `seconds`)."""
        self._slots.clear()  # this caller's block must not outrun the pause
        await self._cooldown(
            keys=[self.keys[1], overflow_key(self.account)],
            args=[
                f"{max(0.0, seconds):.6f}",
                f"{WINDOW:.6f}",
                f"{FIRST_PAUSE * self.spacing:.6f}",
            ],
        )

    async def cooldown_left(self) -> float:
        """Seconds until the current cooldown ends (0 when there is none)."""
        return float(await self._left(keys=[self.keys[1]]))
