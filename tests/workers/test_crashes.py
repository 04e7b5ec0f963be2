"""Workers killed mid-batch: every listing still ends listed exactly once.

The sandbox answers slowly (latency) so that batches are in flight when the kill comes;
the kill targets a pool process whose log says it started a batch and has not ended it.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable

import pytest

from connectors.sandbox import SandboxServer
from tests.workers.conftest import (
    Deployment,
    WorkerProc,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    sandbox_fixture,
    start_sandbox,
    stats,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

_START = re.compile(r"batch start: run \d+ batch (\d+), \d+ listings, pid (\d+)")
_END = re.compile(r"batch end: run \d+ batch (\d+), pid (\d+)")
_RECEIVED = re.compile(r"Task ocop_sync\.push_batch\[ocop-run\d+-b(\d+)\] received")


_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}")


def _stamp(line: str) -> float:
    """Seconds of a worker log line's timestamp ("2026-11-29 02:06:55,589 …", with or
    without Celery's brackets)."""
    from datetime import datetime

    found = _TIME.search(line)
    assert found is not None, line
    return datetime.strptime(found.group(0), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def busy_pool_pid(workers: list[WorkerProc]) -> int | None:
    """A pool process that started a batch and has not finished it (per the logs)."""
    for worker in workers:
        alive = {p.pid for p in worker.pool()}
        open_batches: dict[int, str] = {}
        for line in worker.text().splitlines():
            if m := _START.search(line):
                open_batches[int(m.group(2))] = m.group(1)
            elif (m := _END.search(line)) and open_batches.get(int(m.group(2))) == m.group(1):
                del open_batches[int(m.group(2))]
        for pid in open_batches:
            if pid in alive:
                return pid
    return None


def wait_until(check: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def listings(server: SandboxServer) -> int:
    return int(stats(server)["listings"])


def kill_mid_batch(server: SandboxServer, workers: list[WorkerProc], at_least: int) -> int:
    """SIGKILL a pool process in the middle of a batch once `at_least` listings exist."""
    wait_until(lambda: listings(server) >= at_least, 60, f"{at_least} listings")
    pid = wait_until(lambda: busy_pool_pid(workers), 30, "a pool process mid-batch")
    assert isinstance(pid, int)
    subprocess.run(["kill", "-KILL", str(pid)], check=True)
    return pid


slow_voso = sandbox_fixture("voso", latency_ms=150)


def test_sigkill_of_pool_processes_mid_batch_leaves_every_listing_listed_once(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(90)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=10)
    first = d.worker("a", concurrency=2)
    sync = d.popen("sync", "--via", "celery", "--wait", log="sync.log")

    killed = [kill_mid_batch(slow_voso, [first], at_least=expected // 5)]
    second = d.worker("b", concurrency=2)  # a replacement machine joins
    killed.append(kill_mid_batch(slow_voso, [first, second], at_least=expected // 2))

    assert sync.wait(120) == 0, (d.root / "sync.log").read_text() + first.text()[-3000:]
    logs = first.text() + second.text()
    assert logs.count("WorkerLostError") >= 2, "the kills did not hit running batches"
    assert listed_exactly_once(slow_voso, account, pg_url) == expected
    assert stats(slow_voso)["duplicates"] == 0


def test_a_whole_worker_killed_mid_batch_has_its_batches_redelivered_after_the_visibility_timeout(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(40)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    # V = 12 s: every other budget scales down with it (see workers.tuning).
    d = deploy([account], catalog, batch_size=8, visibility_timeout=12)
    doomed = d.worker("doomed", concurrency=2)
    sync = d.popen("sync", "--via", "celery", "--wait", log="sync.log")
    wait_until(lambda: busy_pool_pid([doomed]), 30, "a batch in flight")
    wait_until(lambda: listings(slow_voso) >= 3, 30, "first listings")
    doomed.kill()  # main process and pool: nobody is left to requeue the messages
    killed_at = time.monotonic()
    survivor = d.worker("survivor", concurrency=2)

    assert sync.wait(90) == 0, (d.root / "sync.log").read_text() + survivor.text()[-3000:]
    # The batches the dead worker had started ran again in the survivor, once they were
    # older than the visibility timeout (kombu's sweep), not before.
    lost = {
        m.group(1): _stamp(line)
        for line in doomed.text().splitlines()
        if (m := _START.search(line))
    }
    assert lost, doomed.text()[-2000:]
    again = {
        m.group(1): _stamp(line)
        for line in survivor.text().splitlines()
        if (m := _START.search(line)) and m.group(1) in lost
    }
    assert again.keys() == lost.keys(), survivor.text()[-3000:]
    # The visibility timeout runs from the delivery (the worker's "received" line), not
    # from the batch's start: a message prefetched and then started later comes back
    # sooner after its start than 12 s. The log's millisecond stamps and kombu's own
    # clock leave a few ms either way.
    received = {
        m.group(1): _stamp(line)
        for line in doomed.text().splitlines()
        if (m := _RECEIVED.search(line))
    }
    assert lost.keys() <= received.keys(), doomed.text()[-2000:]
    delays = [again[batch] - received[batch] for batch in lost]
    assert all(12 - 0.05 <= delay < 12 + 6 for delay in delays), delays
    assert time.monotonic() - killed_at >= 8
    assert listed_exactly_once(slow_voso, account, pg_url) == expected


def test_sigterm_warm_shutdown_requeues_nothing_twice(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(30)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=8)
    first = d.worker("first", concurrency=2)
    sync = d.popen("sync", "--via", "celery", "--wait", log="sync.log")
    wait_until(lambda: listings(slow_voso) >= 5, 30, "first listings")
    first.popen.send_signal(signal.SIGTERM)  # a deploy: finish running batches, then exit
    d.worker("second", concurrency=2)
    assert sync.wait(90) == 0, (d.root / "sync.log").read_text()
    assert listed_exactly_once(slow_voso, account, pg_url) == expected


def test_a_batch_that_kills_its_worker_every_time_is_failed_after_n_deliveries_then_resynced(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(8)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=1)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=50, max_deliveries=2)
    worker = d.worker("w", concurrency=1)
    sync = d.popen("sync", "--via", "celery", "--wait", log="sync.log")
    killed: list[int] = []
    for _ in range(2):  # the batch kills its process on each of its first two deliveries
        pid = wait_until(
            lambda: (p := busy_pool_pid([worker])) not in killed and p, 30, "the batch running"
        )
        assert isinstance(pid, int)
        time.sleep(0.5)  # it dies while pushing (its deliveries were counted on arrival)
        subprocess.run(["kill", "-KILL", str(pid)], check=True)
        killed.append(pid)

    assert sync.wait(60) == 3, (d.root / "sync.log").read_text()  # some listings failed
    failures = json.loads(d.cli("failures", "--json").stdout)
    assert failures, "the poison batch's unfinished listings are recorded as failed"
    assert all("gave up after 2 deliveries" in f["message"] for f in failures), failures
    assert stats(slow_voso)["duplicates"] == 0

    # An operator requeues them once the cause is gone.
    resync = d.cli("resync", "--account", account.name, "--failed", "--via", "celery", "--wait")
    assert resync.returncode == 0, resync.stdout + resync.stderr
    assert listed_exactly_once(slow_voso, account, pg_url) == expected


def test_sync_through_a_faulty_marketplace_converges_without_duplicates(
    deploy: Callable[..., Deployment], pg_url: str
) -> None:
    # 20% of answers are 500/503, throttles, answers lost after the write, or too slow.
    faulty = start_sandbox("voso", fault_rate=0.2, seed=7, slow_seconds=1.5)
    try:
        catalog = sample_catalog(40)
        account = sandbox_account(
            "voso", faulty.base_url, rate_limit=200.0, concurrency=4, timeout=1.0
        )
        expected = listable_count(catalog, "voso", account)
        d = deploy([account], catalog, batch_size=10)
        d.workers(["one", "two"], concurrency=2)
        first = d.cli("sync", "--via", "celery", "--wait")
        assert first.returncode in (0, 3), first.stdout + first.stderr
        assert stats(faulty)["faults_injected"] > 10
        second = d.cli("sync", "--via", "celery", "--wait")  # finishes whatever failed
        assert second.returncode in (0, 3), second.stdout + second.stderr
        if second.returncode == 3:
            assert d.cli("sync", "--via", "celery", "--wait").returncode == 0
        assert listed_exactly_once(faulty, account, pg_url) == expected
    finally:
        faulty.stop()


def test_an_outage_longer_than_the_http_retries_is_retried_by_the_task_until_it_passes(
    deploy: Callable[..., Deployment], pg_url: str
) -> None:
    import httpx

    down = start_sandbox("voso", fault_rate=1.0, faults=("error503",))
    try:
        catalog = sample_catalog(20)
        account = sandbox_account("voso", down.base_url, rate_limit=200.0, timeout=1.0)
        expected = listable_count(catalog, "voso", account)
        # V = 20 s: the HTTP layer gives up after 2 s, task countdowns stay below 5 s.
        d = deploy([account], catalog, batch_size=10, visibility_timeout=20)
        worker = d.worker("w", concurrency=2)
        sync = d.popen("sync", "--via", "celery", "--wait", log="sync.log")
        wait_until(lambda: "Retry in" in worker.text(), 30, "a task retry")
        httpx.post(down.base_url + "/_sandbox/config", json={"fault_rate": 0.0})  # back up

        assert sync.wait(90) == 0, (d.root / "sync.log").read_text() + worker.text()[-3000:]
        assert listed_exactly_once(down, account, pg_url) == expected
    finally:
        down.stop()
