"""Group commit: push results persisted many to a transaction, shared by the inline
executor and the Celery batch push.

A commit has a fixed cost (~0.5 ms on SQLite) that, paid per result, was most of the
executor's overhead and 16.5 % of a Celery worker's CPU. So a result waits a little for
company: the first one of a group at most GROUP_COMMIT_WAIT, a group at most
GROUP_COMMIT_MAX results. A killed process therefore loses at most ~GROUP_COMMIT_WAIT of
answers beyond those in flight, and the next run (or delivery) redoes them safely: creates
are looked up first because their intent (`mark_create_attempted`) is written before
sending, and updates are idempotent.

Callers do their bookkeeping in `on_commit`, which runs only once the group's transaction
succeeded: a SKU never counts as done while its row could still be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from types import TracebackType

from sync.state.store import PushResult, StateStore

GROUP_COMMIT_WAIT = 0.05  # seconds the first result of a group waits for company
GROUP_COMMIT_MAX = 500  # results per transaction

OnCommit = Callable[[list[PushResult]], None]
# Told of every committed group by every writer (metrics: sync/observe/metrics.py).
committed_observers: list[OnCommit] = []


class GroupCommit:
    """Collects PushResults and records them in groups, in a task of its own.

    Use as ``async with GroupCommit(store, run_id, on_commit) as writer`` and
    ``await writer.put(results)``; leaving the block (also by cancellation, a timeout or
    an error) commits everything put so far. A failed commit (or an error raised by
    `on_commit`) stops the writer and is raised to the producer by the next `put` and by
    `close`, never swallowed by the background task; results not yet committed then stay
    uncounted, and the next run or delivery redoes them.
    """

    def __init__(
        self,
        store: StateStore,
        run_id: int | None,
        on_commit: OnCommit | None = None,
        *,
        wait: float = GROUP_COMMIT_WAIT,
        max_results: int = GROUP_COMMIT_MAX,
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._on_commit = on_commit
        self._wait = wait
        self._max = max_results
        self._pending: list[PushResult] = []
        self._arrived = asyncio.Event()  # something is pending (or we are closing)
        self._flush = asyncio.Event()  # commit now: a full group, or closing
        self._room = asyncio.Event()  # the backlog went below a full group
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> GroupCommit:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def put(self, results: PushResult | Iterable[PushResult]) -> None:
        """Queue results for the next group; raises the error of a failed earlier commit.

        The results are queued before anything is awaited, so a producer cancelled here
        loses none of them. It then waits only while a full group is already pending
        (back-pressure while a PostgreSQL commit runs in its thread).
        """
        self._raise_failure()
        if self._closing:
            raise RuntimeError("GroupCommit.put after close")
        if isinstance(results, PushResult):
            self._pending.append(results)
        else:
            self._pending.extend(results)
        if not self._pending:
            return
        if self._task is None:
            self._task = asyncio.create_task(self._write(), name="group-commit")
        self._arrived.set()
        if len(self._pending) >= self._max:
            self._flush.set()
            self._room.clear()
            await self._room.wait()
            self._raise_failure()

    async def close(self) -> None:
        """Commit everything pending now (no waiting for company), then stop.

        Runs the flush to its end even if the caller is cancelled meanwhile (the results
        were already obtained: dropping them would redo their requests), then re-raises the
        cancellation. Raises the error of a failed commit.
        """
        self._closing = True
        self._arrived.set()
        self._flush.set()
        task = self._task
        if task is None:
            return
        cancelled = False
        while not task.done():
            try:
                # wait(), unlike awaiting the task, does not cancel it when we are cancelled.
                await asyncio.wait({task})
            except asyncio.CancelledError:
                cancelled = True
        self._raise_failure()
        if cancelled:
            raise asyncio.CancelledError

    @property
    def failed(self) -> bool:
        """True once a commit (or `on_commit`) raised: later results were not recorded."""
        task = self._task
        return bool(task and task.done() and not task.cancelled() and task.exception())

    def _raise_failure(self) -> None:
        task = self._task
        if task is None or not task.done():
            return
        if task.cancelled():  # only a loop shutting down does that: pending rows are lost
            raise asyncio.CancelledError("group commit writer cancelled")
        error = task.exception()
        if error is not None:
            raise error

    async def _write(self) -> None:
        try:
            while True:
                await self._arrived.wait()
                if not self._pending and self._closing:
                    return
                if not self._flush.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._wait):
                            await self._flush.wait()
                group = self._pending[: self._max]
                del self._pending[: self._max]
                if not self._pending and not self._closing:
                    self._arrived.clear()
                if len(self._pending) < self._max:
                    self._room.set()
                    if not self._closing:
                        self._flush.clear()
                await self._store.call(self._store.record, group, self._run_id)
                for observer in committed_observers:
                    observer(group)
                if self._on_commit is not None:
                    self._on_commit(group)
        finally:
            # Producers blocked on back-pressure must not wait forever for a dead writer.
            self._room.set()
