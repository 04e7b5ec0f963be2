"""Prometheus metrics: counters fed by the engine's hooks in the process that pushes, and
gauges read from the state database (and Redis) when /metrics is scraped.

Counted where the work happens (`install` hooks them in): pushes by account, kind and
outcome (every committed result, `sync.state.groupcommit`), marketplace requests by
status, retries, throttle answers and time spent waiting on the rate limiter
(`connectors.observe`). Read at scrape time (`StateCollector`), so that they are right
whichever process did the work: listings by status, runs and their durations, running
runs, Celery queue depth and OAuth token expiry.

Celery's prefork children each count their own: `ocop-sync worker --metrics-port` sets
PROMETHEUS_MULTIPROC_DIR before the pool forks and serves the merged figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from connectors import observe
from connectors.errors import ThrottledError
from sync.localtime import aware
from sync.queues import PLAN_QUEUE, PUSH_QUEUE, push_queues
from sync.settings import Settings
from sync.state import groupcommit
from sync.state.models import RunRecord
from sync.state.store import PushResult, StateStore
from sync.state.tokens import TokenStore

PUSHES = Counter("ocop_sync_pushes", "Listing operations recorded", ["account", "kind", "outcome"])
REQUESTS = Counter(
    "ocop_sync_marketplace_requests",
    "Requests sent to marketplaces, by HTTP status ('none': no answer)",
    ["account", "marketplace", "status"],
)
RETRIES = Counter("ocop_sync_retries", "Requests tried again", ["account", "marketplace"])
THROTTLES = Counter(
    "ocop_sync_throttles", "Throttle answers (HTTP 429 or the like)", ["account", "marketplace"]
)
LIMITER_WAIT = Counter(
    "ocop_sync_rate_limiter_wait_seconds", "Time spent waiting on the rate limiter", ["account"]
)
RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, float("inf"))


class HttpMetrics:
    """The HTTP observer (connectors.observe.HttpObserver) that feeds the counters."""

    def answered(
        self, account: str, marketplace: str, status: int | None, error: BaseException | None
    ) -> None:
        """Count one attempt by status, and a throttle answer."""
        REQUESTS.labels(account, marketplace, str(status) if status else "none").inc()
        if isinstance(error, ThrottledError):
            THROTTLES.labels(account, marketplace).inc()

    def retrying(self, account: str, marketplace: str) -> None:
        """Count one retry."""
        RETRIES.labels(account, marketplace).inc()

    def waited(self, account: str, seconds: float) -> None:
        """Add time spent waiting for the limiter."""
        if seconds > 0:
            LIMITER_WAIT.labels(account).inc(seconds)


def count_pushes(results: list[PushResult]) -> None:
    """Count committed results (a GroupCommit observer)."""
    for r in results:
        PUSHES.labels(r.account, r.operation, "ok" if r.ok else "failed").inc()


_HTTP = HttpMetrics()


def install() -> None:
    """Hook the counters into the engine of this process (idempotent)."""
    if _HTTP not in observe.observers:
        observe.observers.append(_HTTP)
    if count_pushes not in groupcommit.committed_observers:
        groupcommit.committed_observers.append(count_pushes)


class StateCollector(Collector):
    """Figures read from the state database (and Redis) at each scrape."""

    def __init__(self, store: StateStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._redis_down_until = 0.0

    def collect(self) -> Iterator[Metric]:
        """Listings by status, runs, durations, running runs, queue depth, token expiry."""
        listings = GaugeMetricFamily(
            "ocop_sync_listings", "Listings by status", labels=["account", "status"]
        )
        for account, counts in self.store.status_counts().items():
            for status, n in counts.items():
                listings.add_metric([account, status], n)
        yield listings
        yield from self._runs()
        yield from self._tokens()
        depth = self._queue_depth()
        if depth is not None:
            queue = GaugeMetricFamily(
                "ocop_sync_queue_depth", "Celery messages waiting", labels=["queue"]
            )
            for name, n in depth.items():
                queue.add_metric([name], n)
            yield queue

    def _runs(self) -> Iterator[Metric]:
        query = select(
            RunRecord.account,
            RunRecord.kind,
            RunRecord.status,
            RunRecord.started_at,
            RunRecord.finished_at,
        )
        durations: dict[tuple[str, str], list[float]] = {}
        running: dict[str, int] = {}
        with self.store.engine.connect() as conn:
            for account, kind, _status, started, finished in conn.execute(query):
                if finished is None:
                    running[account] = running.get(account, 0) + 1
                    continue
                seconds = (aware(finished) - aware(started)).total_seconds()
                durations.setdefault((account, kind), []).append(seconds)
        histogram = HistogramMetricFamily(
            "ocop_sync_run_duration_seconds",
            "Finished runs by length",
            labels=["account", "kind"],
        )
        for (account, kind), values in sorted(durations.items()):
            buckets = [
                (str(edge) if edge != float("inf") else "+Inf", sum(v <= edge for v in values))
                for edge in RUN_BUCKETS
            ]
            histogram.add_metric([account, kind], buckets, sum(values))
        yield histogram
        gauge = GaugeMetricFamily("ocop_sync_runs_running", "Runs going on", labels=["account"])
        for account, n in running.items():
            gauge.add_metric([account], n)
        yield gauge

    def _tokens(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "ocop_sync_token_expiry_timestamp_seconds",
            "When an OAuth account's token or authorisation expires (Unix time)",
            labels=["account", "token"],
        )
        for s in TokenStore(self.store.engine, None).statuses():
            for name, moment in (
                ("access", s.access_expires_at),
                ("refresh", s.refresh_expires_at),
                ("authorization", s.authorization_expires_at),
            ):
                if moment is not None:
                    gauge.add_metric([s.account, name], aware(moment).timestamp())
        yield gauge

    def _queue_depth(self) -> dict[str, int] | None:
        # Without workers there is no Redis to ask: after a failed try, wait a minute.
        if time.monotonic() < self._redis_down_until:
            return None
        try:
            import redis

            client = redis.Redis.from_url(
                self.settings.redis_url, socket_timeout=0.3, socket_connect_timeout=0.3
            )
            try:
                # One figure for the pushes: summed over the accounts' queues.
                pushes = push_queues(a.name for a in self.settings.accounts)
                with client.pipeline(transaction=False) as pipe:
                    for name in (PLAN_QUEUE, *pushes):
                        pipe.llen(name)
                    plan, *push = (int(n) for n in pipe.execute())
                return {PLAN_QUEUE: plan, PUSH_QUEUE: sum(push)}
            finally:
                client.close()
        except Exception:
            self._redis_down_until = time.monotonic() + 60
            return None


def process_registry() -> CollectorRegistry:
    """This process's counters, or every worker process's when in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition(store: StateStore, settings: Settings) -> bytes:
    """The text of /metrics: the process's counters and the state's figures."""
    registry = CollectorRegistry()
    registry.register(StateCollector(store, settings))
    return generate_latest(process_registry()) + generate_latest(registry)


def metrics_endpoint(store: StateStore, settings: Settings) -> Callable[[Request], Any]:
    """The Starlette endpoint of /metrics (a plain function: Starlette runs it in a thread)."""
    install()

    def endpoint(_request: Request) -> Response:
        return Response(exposition(store, settings), media_type=CONTENT_TYPE_LATEST)

    return endpoint
