"""`ocop-sync worker --metrics-port`: a real worker's /metrics, scraped over HTTP and parsed
with prometheus_client's own text parser, moves by what a sync through Celery did."""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.sandbox import SandboxServer
from tests.conftest import set_sandbox
from tests.console.test_metrics import by, delta, samples
from tests.workers.conftest import (
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    start_sandbox,
)
from tests.workers.test_crashes import wait_until

pytestmark = [pytest.mark.celery, pytest.mark.slow]


@pytest.fixture
def voso() -> Iterator[SandboxServer]:
    # Some throttling, so that throttles and retries have something to count.
    server = start_sandbox("voso", fault_rate=0.2, faults=["throttle"], seed=3)
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> str:
    """GET /metrics of the worker, checked to parse as Prometheus text."""
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    response.raise_for_status()
    list(text_string_to_metric_families(response.text))  # raises on a malformed exposition
    return response.text


def test_a_workers_metrics_port_counts_the_pushes_of_a_celery_sync(
    deploy: Callable[..., Deployment], voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(20)
    account = sandbox_account("voso", voso.base_url, rate_limit=200.0)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=5)
    port = free_port()
    worker = d.worker("w", 2, None, "--metrics-port", str(port))
    # Served by the worker's main process; its pool processes count into shared files.
    before = wait_until(lambda: _try_scrape(port), 30, "the worker's /metrics")
    assert isinstance(before, str), worker.text()[-3000:]

    result = d.cli("sync", "--via", "celery", "--wait", "--json")
    assert result.returncode == 0, result.stdout + result.stderr + worker.text()[-3000:]
    (report,) = json.loads(result.stdout)
    assert report["done"] == {"create": expected}, report
    set_sandbox(voso, fault_rate=0.0)
    assert listed_exactly_once(voso, account, pg_url) == expected

    after = scrape(port)
    pushes = delta(
        by(samples(after, "ocop_sync_pushes_total"), "account", "kind", "outcome"),
        by(samples(before, "ocop_sync_pushes_total"), "account", "kind", "outcome"),
    )
    assert pushes == {(account.name, "create", "ok"): expected}
    # Every request the run recorded was counted by status, in whichever pool process sent it.
    requests = delta(
        by(samples(after, "ocop_sync_marketplace_requests_total"), "account"),
        by(samples(before, "ocop_sync_marketplace_requests_total"), "account"),
    )
    assert requests == {(account.name,): report["requests"]}
    statuses = by(samples(after, "ocop_sync_marketplace_requests_total"), "account", "status")
    throttles = by(samples(after, "ocop_sync_throttles_total"), "account")
    assert throttles[(account.name,)] == statuses[(account.name, "429")] > 0
    retries = by(samples(after, "ocop_sync_retries_total"), "account")
    assert retries[(account.name,)] >= throttles[(account.name,)]

    # A second sync with nothing to do moves no push counter.
    again = d.cli("sync", "--via", "celery", "--wait", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    last = scrape(port)
    assert by(samples(last, "ocop_sync_pushes_total"), "account", "kind", "outcome") == by(
        samples(after, "ocop_sync_pushes_total"), "account", "kind", "outcome"
    )

    # The pool processes' counter files live in a directory of the worker's own, removed
    # when it stops (a restarted worker starts from zero, and no /tmp litter is left).
    (files,) = [
        folder
        for folder in Path(tempfile.gettempdir()).glob("ocop-metrics-*")
        if any(account.name.encode() in f.read_bytes() for f in folder.glob("*.db"))
    ]
    worker.stop()
    assert worker.popen.returncode == 0, worker.text()[-3000:]
    assert not files.exists()


def _try_scrape(port: int) -> str | None:
    try:
        return scrape(port) or "\n"  # nothing counted yet: an empty exposition
    except httpx.TransportError:
        return None
