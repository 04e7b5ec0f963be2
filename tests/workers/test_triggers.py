"""Beat and the CLI: one run per account however many triggers arrive; one active beat."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from connectors.sandbox import SandboxServer
from sync.state.models import RunRecord
from sync.state.store import StateStore
from tests.workers.conftest import (
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    start_sandbox,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def slow_voso() -> Iterator[SandboxServer]:
    server = start_sandbox("voso", latency_ms=200)
    yield server
    server.stop()


def runs_of(pg_url: str, account: str) -> list[tuple[str, str, dict[str, int]]]:
    """(trigger, status, planned) of every run of the account."""
    store = StateStore(pg_url, migrate=False)
    try:
        with store.engine.connect() as conn:
            query = select(RunRecord.trigger, RunRecord.status, RunRecord.planned).where(
                RunRecord.account == account
            )
            return [(t, s, p) for t, s, p in conn.execute(query)]
    finally:
        store.close()


def wait_for_text(path_text: Callable[[], str], needle: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path_text():
        assert time.monotonic() < deadline, f"{needle!r} never appeared:\n{path_text()[-2000:]}"
        time.sleep(0.1)


def test_beat_and_cli_triggered_together_run_once(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    catalog = sample_catalog(40)
    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0, concurrency=2)
    expected = listable_count(catalog, "voso", account)
    d = deploy([account], catalog, batch_size=8)
    worker = d.worker("w", concurrency=2)

    # A fresh schedule file makes the incremental sync due at once: both triggers land
    # while the other's run is in progress.
    beat = d.popen("beat", "--schedule-file", str(d.root / "beat-schedule"), log="beat.log")
    cli = d.popen("sync", "--via", "celery", "--wait", log="cli.log")
    assert cli.wait(90) == 0, (d.root / "cli.log").read_text()
    wait_for_text(worker.text, "ocop_sync.sync_all")
    wait_for_text(worker.text, "already running")

    runs = runs_of(pg_url, account.name)
    assert len(runs) == 1, runs  # the refused trigger started no run at all
    assert runs[0][1] == "done"
    assert listed_exactly_once(slow_voso, account, pg_url) == expected

    # The compose healthcheck of beat.
    check = d.cli("beat", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    beat.send_signal(signal.SIGTERM)
    beat.wait(20)


def test_a_second_beat_stands_by_until_the_first_stops(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer
) -> None:
    account = sandbox_account("voso", slow_voso.base_url)
    d = deploy([account], sample_catalog(2))
    first = d.popen("beat", "--schedule-file", str(d.root / "one"), log="beat1.log")
    wait_for_text(lambda: (d.root / "beat1.log").read_text(), "beat active")
    second = d.popen("beat", "--schedule-file", str(d.root / "two"), log="beat2.log")
    wait_for_text(lambda: (d.root / "beat2.log").read_text(), "beat standing by")
    assert d.cli("beat", "--check").returncode == 0

    first.send_signal(signal.SIGTERM)  # releases the lock on its way out
    first.wait(20)
    wait_for_text(lambda: (d.root / "beat2.log").read_text(), "beat active", timeout=15)
    second.send_signal(signal.SIGTERM)
    second.wait(20)
    # Only the active beat sent the schedule: one incremental tick from each, not two at once.
    assert (d.root / "beat1.log").read_text().count("Sending due task incremental-sync") == 1


def test_a_planning_message_delivered_again_after_its_run_ended_frees_the_account(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str, redis_url: str
) -> None:
    from sync.settings import load_settings
    from workers.app import create_app

    account = sandbox_account("voso", slow_voso.base_url, rate_limit=200.0)
    d = deploy([account], sample_catalog(4))
    d.worker("w", concurrency=2)
    app = create_app(load_settings(d.config, redis_url=redis_url))
    kwargs = {"account": account.name}
    first = app.send_task("ocop_sync.plan_account", kwargs=kwargs, task_id="plan-once")
    assert first.get(timeout=30)["status"] == "started"
    deadline = time.monotonic() + 30
    while not runs_of(pg_url, account.name) or runs_of(pg_url, account.name)[0][1] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # The same message again (its ack was lost): it must not keep the account locked.
    again = app.send_task("ocop_sync.plan_account", kwargs=kwargs, task_id="plan-once")
    assert again.get(timeout=30)["run_id"] == first.get()["run_id"]
    result = d.cli("sync", "--via", "celery", "--wait")
    assert result.returncode == 0 and "already running" not in result.stdout, result.stdout
    assert len(runs_of(pg_url, account.name)) == 2


def test_a_catalog_the_workers_cannot_read_is_reported_not_retried_and_exits_2(
    deploy: Callable[..., Deployment], slow_voso: SandboxServer, pg_url: str
) -> None:
    account = sandbox_account("voso", slow_voso.base_url)
    d = deploy([account], sample_catalog(5))
    d.worker("w", concurrency=1)
    catalog = d.root / "catalog.json"
    catalog.write_text("{ this is not the catalog", encoding="utf-8")  # a save gone wrong

    # The worker hands the snapshot to a detached builder, whose failure comes back to the
    # planning task (and to the operator) with the file's name: no run, no retry loop.
    cli = d.cli("sync", "--via", "celery", "--wait")
    assert cli.returncode == 2, cli.stdout + cli.stderr
    assert "not planned" in cli.stderr and str(catalog) in cli.stderr, cli.stderr
    assert "Traceback" not in cli.stdout + cli.stderr
    assert runs_of(pg_url, account.name) == []
