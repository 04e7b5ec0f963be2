"""Locks in Redis: one beat at a time (`OwnedLock`), one push per listing at a time.

One run per account at a time is not a Redis lock: it is the account lease in the state
database (sync.state.leases), which the inline runs take too.

Listing locks guard against two pushes of the same listing at once (two runs whose
batches overlap, or a message redelivered while its first delivery still runs). Their
lifetime outlives a live holder (the batch hard time limit) but ends before a message of a
dead worker is redelivered (the visibility timeout), so a redelivery never waits on a
corpse's lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import suppress

from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock


class OwnedLock:
    """A redis-py Lock whose owner is a token any process can present (renew, release)."""

    def __init__(self, redis: Redis, name: str, ttl: float) -> None:
        self.redis = redis
        self.ttl = ttl
        # thread_local=False: the token is set by hand when another process takes over.
        self.lock = Lock(redis, name, timeout=ttl, thread_local=False)

    def acquire(self, token: str) -> bool:
        """Take the lock for `token`; True also when `token` already holds it (redelivery)."""
        if self.lock.acquire(blocking=False, token=token):
            return True
        if self.holder() == token:
            self._adopt(token)
            self.lock.reacquire()
            return True
        return False

    def holder(self) -> str | None:
        """The token holding the lock, or None when free."""
        value = self.redis.get(self.lock.name)
        return value.decode() if isinstance(value, bytes) else value

    def renew(self, token: str) -> bool:
        """Reset the lock's lifetime; False when `token` no longer holds it."""
        self._adopt(token)
        try:
            self.lock.reacquire()
            return True
        except LockError:
            return False

    def release(self, token: str) -> None:
        """Free the lock if `token` still holds it (idempotent)."""
        self._adopt(token)
        with suppress(LockError):  # expired or taken over: nothing of ours to release
            self.lock.release()

    def _adopt(self, token: str) -> None:
        self.lock.local.token = self.redis.get_encoder().encode(token)


# Take every free lock; with a takeover prefix, also those held by an earlier delivery of
# the same task (the message came back because that delivery's process died).
# KEYS: lock keys; ARGV: token, ttl ms, takeover prefix ('' for none). Returns 1/0 per key.
_ACQUIRE_MANY = """
local held = {}
for i, key in ipairs(KEYS) do
  local ok = redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2])
  if not ok and ARGV[3] ~= '' then
    local current = redis.call('GET', key)
    if current and string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then
      redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
      ok = true
    end
  end
  held[i] = ok and 1 or 0
end
return held
"""

# Release only the keys still holding our token (a lock that expired and was taken by
# another push must not be deleted). KEYS: lock keys; ARGV[1]: token.
_RELEASE_MANY = """
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    n = n + 1
  end
end
return n
"""


class ListingLocks:
    """Per-listing locks for one delivery of a batch, taken and released together.

    The token is "<task id>:<random>": unique per delivery, so a second copy of the same
    batch running at the same time finds the listings busy. A delivery that is a
    *redelivery* (kombu marks messages it puts back) may take over locks of its own task
    id: the earlier delivery's process is dead (reject on worker lost) or was killed by
    the hard time limit, which is shorter than the visibility timeout.
    """

    def __init__(self, redis: Redis, account: str, task_id: str, ttl: float) -> None:
        self.redis = redis
        self.account = account
        self.task_id = task_id
        self.token = f"{task_id}:{uuid.uuid4().hex}"
        self.ttl_ms = int(ttl * 1000)
        self._acquire = redis.register_script(_ACQUIRE_MANY)
        self._release = redis.register_script(_RELEASE_MANY)

    def key(self, sku: str) -> str:
        """Redis key of one listing's lock."""
        return f"ocop:lock:listing:{self.account}:{sku}"

    def acquire(self, skus: Sequence[str], *, redelivered: bool) -> tuple[list[str], list[str]]:
        """Lock what is free (or ours from a dead delivery); returns (held, busy)."""
        if not skus:
            return [], []
        prefix = f"{self.task_id}:" if redelivered else ""
        keys = [self.key(sku) for sku in skus]
        flags = self._acquire(keys=keys, args=[self.token, self.ttl_ms, prefix])
        held = [sku for sku, ok in zip(skus, flags, strict=True) if ok]
        busy = [sku for sku, ok in zip(skus, flags, strict=True) if not ok]
        return held, busy

    def release(self, skus: Sequence[str]) -> None:
        """Release the locks of `skus` that we still hold."""
        if skus:
            self._release(keys=[self.key(sku) for sku in skus], args=[self.token])
