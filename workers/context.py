"""What a worker process keeps for its whole life: one asyncio loop, one state-store engine,
Redis clients, and one marketplace client per account (with its pooled httpx client and
the shared Redis rate limiter).

Created in each pool process after the fork (`worker_process_init`), never in the parent:
sockets and event loops do not survive a fork. Tasks reach it with `get_context()`, which
also builds it lazily under pools without process-init (solo, threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from connectors.base import MarketplaceClient
from connectors.http import RetryPolicy
from sync.catalog_io.snapshot import CatalogSnapshot, snapshot_file
from sync.engine.clients import load_config, open_client
from sync.settings import Account, ConfigError, Settings
from sync.state.store import StateStore
from workers.ratelimit import RedisRateLimiter
from workers.runs import RunBook
from workers.tuning import WorkerTuning

T = TypeVar("T")

# Redis may restart under us (a deploy, a failover): commands retry with backoff for about
# half a minute before giving up, so a short outage costs a pause, not a failed batch.
_REDIS_RETRIES = 20
_REDIS_ERRORS = [RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError]


def sync_redis(url: str) -> redis.Redis:
    """A Redis client for locks and run records, retrying through short outages."""
    return redis.Redis.from_url(
        url,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), _REDIS_RETRIES),
        retry_on_error=_REDIS_ERRORS,
    )


def async_redis(url: str) -> redis.asyncio.Redis:
    """The asyncio Redis client of the rate limiter (same retry policy)."""
    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=15,
        retry=AsyncRetry(ExponentialBackoff(cap=2.0, base=0.1), _REDIS_RETRIES),
        retry_on_error=_REDIS_ERRORS,
    )


class WorkerContext:
    """Per-process resources of a worker (see the module docstring)."""

    def __init__(self, settings: Settings, tuning: WorkerTuning) -> None:
        self.settings = settings
        self.tuning = tuning
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.store = StateStore(settings.state_url, migrate=False)
        self.redis = sync_redis(settings.redis_url)
        self.aredis = async_redis(settings.redis_url)
        self.runs = RunBook(self.redis, tuning.run_keys_ttl)
        self._clients: dict[str, MarketplaceClient] = {}
        self._limiters: dict[str, RedisRateLimiter] = {}
        self._catalogs: dict[str, CatalogSnapshot] = {}  # by snapshot file

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the process's loop; on an interruption (a soft time limit
        arrives as an exception) cancel it cleanly so the loop stays usable."""
        task = self.loop.create_task(coro)
        try:
            return self.loop.run_until_complete(task)
        except BaseException:
            task.cancel()
            with contextlib.suppress(BaseException):
                self.loop.run_until_complete(task)
            raise

    def account(self, name: str) -> Account:
        """The configured account (ConfigError when the configuration no longer has it)."""
        return self.settings.account(name)

    def policy(self, account: Account) -> RetryPolicy:
        """HTTP retries inside a batch: bounded so the batch ends well before its deadline;
        longer outages are retried by the task, with the message back in the queue."""
        return RetryPolicy(
            max_attempts=account.max_attempts,
            max_delay=min(account.max_retry_delay, self.tuning.http_retry_budget),
            cap=min(10.0, self.tuning.http_retry_budget / 2),
        )

    def limiter(self, account: Account) -> RedisRateLimiter:
        """The account's shared rate limiter."""
        if account.name not in self._limiters:
            self._limiters[account.name] = RedisRateLimiter(
                self.aredis, account.name, account.rate_limit
            )
        return self._limiters[account.name]

    def client(self, account: Account) -> MarketplaceClient:
        """The process's client for an account (created once, reused by every task)."""
        if account.name not in self._clients:
            self._clients[account.name] = open_client(
                account, self.store, limiter=self.limiter(account), policy=self.policy(account)
            )
        return self._clients[account.name]

    def catalog(self, path: str | Path | None, patience: float = 0.0) -> CatalogSnapshot:
        """The snapshot of the catalog at `path` (the configured one by default) as the
        file is now: products read by SKU, never the whole catalog in memory.

        A large file's snapshot is built by a detached process (never inside a task's time
        limit), waited for up to `patience` seconds: `SnapshotPending` while it works,
        `SnapshotFailed` when the file could not be read."""
        path = path or self.settings.catalog
        if path is None:
            raise ConfigError("no catalog configured (`catalog` in the configuration file)")
        file = snapshot_file(path, wait=False, patience=patience)
        known = self._catalogs.get(str(file))
        if known is None:
            for old in self._catalogs.values():
                old.close()  # the file changed: this process reads only the newest snapshot
            known = CatalogSnapshot(file)
            self._catalogs = {str(file): known}
        return known

    def close(self) -> None:
        """Close clients and connections (process shutdown)."""
        for client in self._clients.values():
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(client.aclose())
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.aredis.aclose())
        self.loop.close()
        self.redis.close()
        self.store.close()


_settings: Settings | None = None
_tuning: WorkerTuning | None = None
_context: WorkerContext | None = None


def configure(settings: Settings, tuning: WorkerTuning) -> None:
    """Tell the process which settings its context is built from (the app does this)."""
    global _settings, _tuning
    _settings, _tuning = settings, tuning


def get_context() -> WorkerContext:
    """This process's context, built on first use (and again after a fork)."""
    global _context
    if _context is None or _context.pid != os.getpid():
        settings = _settings or load_config()
        _context = WorkerContext(settings, _tuning or WorkerTuning())
    return _context


def close_context() -> None:
    """Release this process's context (pool process shutdown)."""
    global _context
    if _context is not None and _context.pid == os.getpid():
        _context.close()
    _context = None
