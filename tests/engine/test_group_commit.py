"""The group-commit writer on a real state store (SQLite file, then PostgreSQL): results
grouped into few transactions, bookkeeping only after the commit, nothing put before close
ever dropped (cancellation, timeout), and commit errors raised to the producer."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog
from sync.executor import run_account
from sync.plan import plan_account
from sync.state.groupcommit import GROUP_COMMIT_WAIT, GroupCommit
from sync.state.models import AuditRecord
from sync.state.store import PushResult, StateStore
from tests.engine.helpers import TODAY
from tests.factories import make_product


def _ok(sku: str) -> PushResult:
    return PushResult(
        account="acc",
        sku=sku,
        product_sku="P",
        operation="create",
        ok=True,
        status="listed",
        remote_id=f"r-{sku}",
    )


def _results(n: int, prefix: str = "S") -> list[PushResult]:
    return [_ok(f"{prefix}-{i}") for i in range(n)]


def _count_commits(store: StateStore) -> list[int]:
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    return commits


def _audit_rows(store: StateStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(AuditRecord)).scalar_one())


@pytest.fixture
def store(state_url: str):  # type: ignore[no-untyped-def]
    """A migrated real store (SQLite file or fresh PostgreSQL database)."""
    store = StateStore(state_url)
    yield store
    store.close()


async def test_many_results_from_many_producers_share_one_transaction(store: StateStore) -> None:
    commits = _count_commits(store)
    groups: list[int] = []
    async with GroupCommit(store, None, lambda done: groups.append(len(done))) as writer:

        async def producer(k: int) -> None:
            for result in _results(50, prefix=f"P{k}"):
                await writer.put(result)
                await asyncio.sleep(0)  # other producers' answers arrive meanwhile

        await asyncio.gather(*(producer(k) for k in range(6)))
    assert groups == [300]
    assert len(commits) == 1
    assert _audit_rows(store) == 300
    assert len(store.bindings("acc")) == 300


async def test_a_group_holds_at_most_max_results(store: StateStore) -> None:
    commits = _count_commits(store)
    groups: list[int] = []
    async with GroupCommit(store, None, lambda d: groups.append(len(d)), max_results=100) as w:
        for result in _results(250):
            await w.put(result)
    assert groups == [100, 100, 50]
    assert len(commits) == 3
    assert _audit_rows(store) == 250


async def test_a_lone_result_is_committed_after_the_wait_without_closing(
    store: StateStore,
) -> None:
    committed_at: list[float] = []
    writer = GroupCommit(store, None, lambda _d: committed_at.append(time.monotonic()))
    put_at = time.monotonic()
    await writer.put(_ok("A"))
    await asyncio.sleep(GROUP_COMMIT_WAIT * 8)
    assert len(committed_at) == 1  # committed while the writer is still open
    # It waited for company, but not much longer than GROUP_COMMIT_WAIT (noisy machine).
    assert GROUP_COMMIT_WAIT * 0.8 <= committed_at[0] - put_at < GROUP_COMMIT_WAIT * 8
    assert store.binding("acc", "A") is not None
    await writer.close()


async def test_the_callback_runs_only_after_the_rows_are_committed(
    store: StateStore, state_url: str
) -> None:
    reader = StateStore(state_url, migrate=False)  # its own connections: sees commits only
    seen: list[bool] = []

    def check(done: list[PushResult]) -> None:
        seen.extend(reader.binding("acc", r.sku) is not None for r in done)

    try:
        async with GroupCommit(store, None, check) as writer:
            await writer.put(_results(20))
            assert seen == []  # queued, not committed: nothing counted yet
            assert reader.binding("acc", "S-0") is None
        assert seen == [True] * 20
    finally:
        reader.close()


async def test_results_put_before_a_cancellation_are_committed(store: StateStore) -> None:
    counted: list[str] = []
    started = asyncio.Event()

    async def producer() -> None:
        async with GroupCommit(store, None, lambda d: counted.extend(r.sku for r in d)) as w:
            await w.put(_results(30))
            started.set()
            await asyncio.sleep(3600)  # cancelled here, well inside the group's wait

    task = asyncio.create_task(producer())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(counted) == sorted(r.sku for r in _results(30))
    assert _audit_rows(store) == 30


async def test_results_put_before_a_timeout_are_committed(store: StateStore) -> None:
    counted: list[str] = []
    with pytest.raises(TimeoutError):
        async with GroupCommit(store, None, lambda d: counted.extend(r.sku for r in d)) as w:
            async with asyncio.timeout(0.01):  # like push_skus' batch deadline
                for result in _results(40):
                    await w.put(result)
                await asyncio.sleep(3600)
    assert len(counted) == 40
    assert _audit_rows(store) == 40


async def test_a_second_cancellation_during_close_still_finishes_the_flush(
    store: StateStore,
) -> None:
    counted: list[str] = []
    writer = GroupCommit(store, None, lambda d: counted.extend(r.sku for r in d), wait=3600)
    await writer.put(_results(50))
    await asyncio.sleep(0.05)
    assert counted == []  # the writer is waiting for company
    closing = asyncio.create_task(writer.close())
    await asyncio.sleep(0)  # close() has asked for the flush and waits for it
    assert not closing.done() and counted == []
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert len(counted) == 50  # flushed all the same, then cancelled
    assert _audit_rows(store) == 50


async def test_a_failed_commit_reaches_the_producer(store: StateStore) -> None:
    counted: list[str] = []
    bad = _ok("BAD")
    bad.product_sku = None  # type: ignore[assignment]  # NOT NULL: the database refuses it
    writer = GroupCommit(store, None, lambda d: counted.extend(r.sku for r in d), wait=0.01)
    await writer.put(bad)
    await asyncio.sleep(0.3)  # the writer tried, and failed
    with pytest.raises(sa.exc.IntegrityError):
        await writer.put(_ok("LATER"))  # the next put raises it
    with pytest.raises(sa.exc.IntegrityError):
        await writer.close()  # and so does close
    assert counted == []  # never counted as done
    assert store.binding("acc", "BAD") is None


async def test_a_failed_commit_leaves_the_block_with_its_error(store: StateStore) -> None:
    bad = _ok("BAD")
    bad.product_sku = None  # type: ignore[assignment]
    with pytest.raises(sa.exc.IntegrityError):
        async with GroupCommit(store, None) as writer:
            await writer.put([_ok("A"), bad])
    assert _audit_rows(store) == 0  # one transaction: all or nothing


def test_a_commit_failing_mid_run_closes_the_run_as_failed_and_reaches_the_caller(
    tmp_path: Path, sandboxes: dict[str, SandboxServer]
) -> None:
    """The audit table vanishes after the first group: the run stops with the database's
    error, its run row says failed, and nothing claims the unrecorded listings."""
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    connector = get_connector("voso")
    account = connector.sandbox_kit.account(
        f"gc-fail-{uuid.uuid4().hex[:6]}", sandboxes["voso"].base_url
    ).model_copy(update={"concurrency": 2})
    catalog = Catalog(products=[make_product(f"BK-G{i}") for i in range(30)])
    plan = plan_account(catalog, account, connector, {}, TODAY)
    recorded: list[int] = []

    def break_schema(_account: str, count: int) -> None:
        recorded.append(count)
        if len(recorded) == 1:  # a second connection, as an operator's mistake would be
            with sqlite3.connect(tmp_path / "state.db") as other:
                other.execute("DROP TABLE audit")

    with pytest.raises(sa.exc.OperationalError, match="audit"):
        asyncio.run(run_account(plan, connector, store, progress=break_schema))
    assert store.last_runs()[account.name]["status"] == "failed"
    assert sum(recorded) < len(plan.operations)  # only committed groups were counted
    store.close()
