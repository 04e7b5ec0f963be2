"""One rate budget per account across every worker; a throttle answer pauses them all."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.voso.sandbox import throttle_response
from tests.workers.conftest import (
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    sandbox_fixture,
    stats,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

RATE = 15  # requests per second the marketplace allows this seller


# A Voso sandbox that throttles a seller above RATE requests in any second.
limited_voso = sandbox_fixture("voso", rate_limit=RATE)


def test_two_workers_share_one_account_rate_limit(
    deploy: Callable[..., Deployment], limited_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(90)
    account = sandbox_account("voso", limited_voso.base_url, rate_limit=float(RATE), concurrency=4)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=10)
    workers = d.workers(["one", "two"], concurrency=2)

    result = d.cli("sync", "--via", "celery", "--wait")
    assert result.returncode == 0, result.stdout + result.stderr

    figures = stats(limited_voso)
    print(  # the measured figures, for the record
        f"served {figures['served']} requests, max {figures['max_served_per_second']}/s "
        f"(limit {RATE}), throttled {figures['throttled']}"
    )
    assert all("batch start" in w.text() for w in workers), "both workers pushed"
    assert figures["max_served_per_second"] <= RATE
    assert figures["throttled"] == 0
    assert listed_exactly_once(limited_voso, account, pg_url) == expected


class ThrottleOnce:
    """Marketplace double: the Voso sandbox, except that request number `at` is answered
    429 with Retry-After; records when every API request arrived."""

    def __init__(self, app: ASGIApp, at: int, wait: int) -> None:
        self.app, self.at, self.wait = app, at, wait
        self.arrivals: list[float] = []
        self.throttled_at: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        now = time.time()
        self.arrivals.append(now)
        if len(self.arrivals) == self.at:
            self.throttled_at = now
            await throttle_response(self.wait)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_a_429_with_retry_after_stops_every_worker_for_that_long(
    deploy: Callable[..., Deployment], pg_url: str
) -> None:
    double = ThrottleOnce(REGISTRY["voso"].sandbox_factory(SandboxConfig()), at=25, wait=2)
    server = SandboxServer(double).start()  # type: ignore[arg-type]
    try:
        catalog = sample_catalog(40)
        account = sandbox_account("voso", server.base_url, rate_limit=40.0, concurrency=4)
        expected = listable_count(catalog, "voso", account)
        d = deploy([account], catalog, batch_size=8)
        d.workers(["one", "two"], concurrency=2)

        result = d.cli("sync", "--via", "celery", "--wait")
        assert result.returncode == 0, result.stdout + result.stderr

        t = double.throttled_at
        assert t is not None
        # Requests already on the wire when the 429 left may still land (a few ms); after
        # that, nobody — from either worker — sends until Retry-After has passed.
        paused = [a - t for a in double.arrivals if t + 0.1 < a < t + double.wait - 0.05]
        resumed = [a - t for a in double.arrivals if a >= t + double.wait - 0.05]
        print(f"429 at request {double.at}; next request {min(resumed):.2f}s later")
        assert paused == []
        assert resumed, "the run went on after the pause"
        assert listed_exactly_once(server, account, pg_url) == expected
    finally:
        server.stop()
