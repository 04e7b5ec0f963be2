"""The beat schedule and a scheduler that sends only while it holds a Redis lock.

Exactly one beat must send the schedule. Deployments run one beat service; if a second one
is started by mistake (two hosts, a stuck container beside its replacement), it stands by
here instead of doubling every tick: only the holder of ``ocop:lock:beat`` sends, and the
lock expires ``LOCK_TTL`` seconds after its holder stops renewing it, when a standby takes
over. Run locks make even a doubled tick harmless (the second plan of an account reports
"already running"); the beat lock keeps it from happening at all.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.beat import PersistentScheduler
from celery.schedules import crontab
from redis.exceptions import RedisError

from sync.settings import Schedule
from workers.context import sync_redis
from workers.locks import OwnedLock

log = logging.getLogger("ocop_sync.beat")

LOCK_NAME = "ocop:lock:beat"
LOCK_TTL = 30.0
HEARTBEAT_KEY = "ocop:beat:heartbeat"
TICK = 5.0  # beat_max_loop_interval: the lock is renewed at least this often

# A fresh schedule file makes the incremental sync due at once: every (re)deployment
# starts with a sync instead of waiting a full interval. A kept file keeps its history.
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def beat_schedule(schedule: Schedule) -> dict[str, dict[str, Any]]:
    """Incremental sync every N minutes; reconcile daily at HH:MM in the app's timezone;
    the catalog watch every few seconds (a stat; workers/watch.py)."""
    every = timedelta(minutes=schedule.sync_every_minutes)
    hour, minute = (int(part) for part in schedule.reconcile_at.split(":"))
    entries: dict[str, dict[str, Any]] = {}
    if schedule.watch_every_seconds > 0:
        watch = schedule.watch_every_seconds
        entries["catalog-watch"] = {
            "task": "ocop_sync.watch_catalog",
            "schedule": timedelta(seconds=watch),
            "options": {"expires": max(watch, 1.0)},  # a late tick is covered by the next
        }
    return entries | {
        "incremental-sync": {
            "task": "ocop_sync.sync_all",
            "schedule": every,
            "kwargs": {"kind": "sync", "trigger": "beat"},
            # A tick no worker picked up before the next one is dropped: the next covers it.
            "options": {"expires": every.total_seconds()},
            "last_run_at": _LONG_AGO,
        },
        "nightly-reconcile": {
            "task": "ocop_sync.reconcile_all",
            "schedule": crontab(hour=hour, minute=minute),
            "options": {"expires": 3600},
        },
    }


class GuardedScheduler(PersistentScheduler):
    """PersistentScheduler that sends due tasks only while it holds the beat lock."""

    def setup_schedule(self) -> None:
        """Open the schedule file and the Redis connection of the guard."""
        super().setup_schedule()
        self._redis = sync_redis(self.app.conf.broker_url)
        self._guard = OwnedLock(self._redis, LOCK_NAME, LOCK_TTL)
        self._token = f"beat-{uuid.uuid4().hex}"
        self._holding: bool | None = None  # unknown until the first tick: log it

    def _hold(self) -> bool:
        try:
            held = self._guard.acquire(self._token)
            if held:
                self._redis.set(HEARTBEAT_KEY, f"{time.time():.3f}", ex=int(LOCK_TTL * 4))
        except RedisError as exc:  # Redis away: send nothing until it is back
            log.warning("beat lock unavailable (%s); standing by", exc)
            held = False
        if held != self._holding:
            log.info("beat %s", "active: sending the schedule" if held else "standing by")
            self._holding = held
        return held

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """One scheduler step, only while holding the lock; returns seconds to sleep."""
        if not self._hold():
            return TICK
        return min(float(super().tick(*args, **kwargs)), TICK)

    def close(self) -> None:
        """Free the lock so a standby beat takes over at once."""
        with contextlib.suppress(RedisError):
            self._guard.release(self._token)
        super().close()


def beat_alive(url: str, max_age: float = LOCK_TTL * 2) -> float | None:
    """Age in seconds of the active beat's last heartbeat, or None when it is too old."""
    value = sync_redis(url).get(HEARTBEAT_KEY)
    if value is None:
        return None
    age = time.time() - float(value)
    return age if age <= max_age else None
