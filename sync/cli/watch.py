"""`ocop-sync sync --watch`: sync now, then again each time the catalog file changes.

The inline twin of the workers' catalog watch (workers/watch.py), on the same pieces
(sync/watch.py): a `stat` every `--watch-every` seconds, a content hash only when size or
modification time moved, a change synced once the file was left alone for the debounce
window. Each run takes the accounts' leases like any `ocop-sync sync`; an account another
run holds stays pending and is synced by the first run after that one released it.
Stops on Ctrl-C or SIGTERM, between runs or by closing the current one.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Coroutine
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

from sync.cli.app import console, err_console
from sync.cli.common import print_failures, print_json, reports_table, user_errors, warn_row_errors
from sync.executor import RunReport
from sync.plan import PlanFilter
from sync.runner import open_job, select_accounts, sync_streamed
from sync.settings import ConfigError, Settings
from sync.watch import Seen, observe


def watch_and_sync(
    settings: Settings,
    names: list[str],
    catalog: Path | None,
    *,
    as_json: bool,
    every: float,
    debounce: float,
    lease_wait: float,
    max_runs: int | None = None,
) -> None:
    """Run the watch loop until stopped (or `max_runs` runs were made)."""
    with user_errors():
        accounts = [a.name for a in select_accounts(settings, names)]
        path = catalog or settings.catalog
        if path is None:
            raise ConfigError("no catalog given (--catalog FILE or `catalog` in the configuration)")
    current = _CurrentRun()
    stop = current.stop

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        # No exception raised here: it would surface in whatever line was running (inside
        # SQLAlchemy, a half-written group). A run in progress is cancelled in its own loop
        # instead, so its cleanup commits what was answered and closes the run.
        current.cancel()

    signal.signal(signal.SIGTERM, on_signal)
    known: Seen | None = None
    pending = set(accounts)  # the first run syncs whatever the file holds now
    runs = 0
    try:
        known, _ = observe(Path(path), None, 0.0)  # the baseline, before the first run reads
        while not stop.is_set():
            if pending:
                reports = _one_run(settings, sorted(pending), catalog, as_json, lease_wait, current)
                if stop.is_set():
                    break
                if reports is None:
                    pending.clear()  # a broken file: wait for the next save
                else:
                    pending -= {r.account for r in reports if not r.busy}
                runs += 1
                if max_runs is not None and runs >= max_runs:
                    return
            if stop.wait(every):
                break
            known, changed = observe(Path(path), known, debounce)
            if changed:
                err_console.print(f"catalog {path} changed: syncing")
                pending.update(accounts)
    except KeyboardInterrupt:
        pass
    err_console.print("watch stopped")


class _CurrentRun:
    """The asyncio task of the run in progress, so that a signal can cancel it, and the
    watch's one record that a signal came (`stop`, which the loop waits on)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[list[RunReport]] | None = None
        self.stop = threading.Event()

    async def run(self, work: Coroutine[Any, Any, list[RunReport]]) -> list[RunReport]:
        """Run `work` as the current run's task (not at all once a signal came)."""
        if self.stop.is_set():  # the signal came while the catalog was being opened
            work.close()
            raise asyncio.CancelledError
        self.loop, self.task = asyncio.get_running_loop(), asyncio.current_task()
        try:
            return await work
        finally:
            self.loop = self.task = None

    def cancel(self) -> None:
        """Stop the watch: cancel the run in progress and any run after (safe from a
        signal handler)."""
        self.stop.set()
        loop, task = self.loop, self.task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)


def _one_run(
    settings: Settings,
    names: list[str],
    catalog: Path | None,
    as_json: bool,
    lease_wait: float,
    current: _CurrentRun,
) -> list[RunReport] | None:
    """One streamed sync of these accounts; problems are printed (None), the watch goes on."""
    try:
        job = open_job(settings, names, catalog=catalog, stream=True)
    except Exception as error:  # a broken file now may be fixed by the next save
        err_console.print(f"[red]error:[/red] {error} (waiting for the next change)")
        return None
    assert job.stream is not None
    try:
        reports = asyncio.run(
            current.run(
                sync_streamed(
                    job, date.today(), PlanFilter(), trigger="watch", lease_wait=lease_wait
                )
            )
        )
    except asyncio.CancelledError:  # stopped by a signal; the runs were closed
        return None
    except Exception as error:  # the file failed half-way; the runs are closed
        err_console.print(f"[red]error:[/red] {error} (waiting for the next change)")
        return None
    finally:
        warn_row_errors(job.stream.errors)
        job.store.close()
    if as_json:
        print_json([r.as_dict() for r in reports])
    else:
        console.print(reports_table(reports, title="Sync (watch)"))
        print_failures(reports)
    for report in reports:
        if report.busy:
            err_console.print(f"{report.account}: {report.busy}; synced by the next run")
    return reports
