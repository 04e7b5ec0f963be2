"""Redis restarted in the middle of a run: the run still completes, nothing is duplicated.

The test runs its own redis-server (never the machine's), configured as production is:
append-only file fsynced on every write, no eviction. It is SIGKILLed mid-run and started
again on the same directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.workers.conftest import (
    Deployment,
    RedisServer,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    start_sandbox,
    stats,
)

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def slow_voso() -> Iterator[SandboxServer]:
    server = start_sandbox("voso", latency_ms=150)
    yield server
    server.stop()


def test_redis_restarted_mid_run_the_run_still_completes(
    deploy: Callable[..., Deployment],
    redis_server: Callable[[], RedisServer],
    slow_voso: SandboxServer,
    pg_url: str,
) -> None:
    broker = redis_server()
    catalog = sample_catalog(60)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=8, redis=broker.url, visibility_timeout=20)
    worker = d.worker("w", concurrency=2)
    sync = d.popen("sync", "--via", "celery", "--wait", log="sync.log")

    deadline = time.monotonic() + 60
    while stats(slow_voso)["listings"] < expected // 4:
        assert time.monotonic() < deadline and sync.poll() is None, "run did not start"
        time.sleep(0.05)
    broker.kill()
    down_at = stats(slow_voso)["listings"]
    time.sleep(2.0)
    broker.start()

    assert sync.wait(120) == 0, (d.root / "sync.log").read_text() + worker.text()[-4000:]
    assert down_at < expected, "Redis went down after the run had finished"
    assert listed_exactly_once(slow_voso, account, pg_url) == expected
