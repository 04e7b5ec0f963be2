"""The console's one write: Resync. On the Celery workers when the console is set to use
them, else inline in a background thread of the console's process. Either way the run
takes the account's lease itself, so a resync meeting a scheduled run waits or reports
busy like any other run; the console never writes the state on its own."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from datetime import date

from sync.plan import PlanFilter
from sync.runner import open_job, sync_streamed
from sync.settings import Settings

log = logging.getLogger("ocop_sync.console")


class Resyncer:
    """Starts forced pushes of chosen listings of one account."""

    def __init__(self, settings: Settings, via: str = "inline") -> None:
        self.settings = settings
        self.via = via
        self.threads: list[threading.Thread] = []  # inline runs (tests join them)

    def start(self, account: str, skus: Sequence[str], who: str) -> None:
        """Resync `skus` of `account`, in the background; returns at once."""
        self.settings.account(account)  # ConfigError for an unknown account
        log.info("resync of %d listings of %s asked by %s (%s)", len(skus), account, who, self.via)
        target = self._enqueue if self.via == "celery" else self._inline
        thread = threading.Thread(
            target=target, args=(account, list(skus)), name=f"resync-{account}", daemon=True
        )
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the inline runs started so far have finished."""
        for thread in list(self.threads):
            thread.join(timeout)

    def _inline(self, account: str, skus: list[str]) -> None:
        try:
            job = open_job(self.settings, [account], stream=True)
            try:
                flt = PlanFilter(skus=frozenset(skus), force=True)
                reports = asyncio.run(
                    sync_streamed(job, date.today(), flt, kind="resync", trigger="console")
                )
            finally:
                job.store.close()
            for report in reports:
                log.info(
                    "resync of %s: %d done, %d failed%s",
                    report.account,
                    sum(report.done.values()),
                    report.failed,
                    f" (busy: {report.busy})" if report.busy else "",
                )
        except Exception:  # a background thread: log it, the page shows the run's outcome
            log.exception("resync of %s failed to run", account)

    def _enqueue(self, account: str, skus: list[str]) -> None:
        from workers.dispatch import NoWorker, enqueue_runs

        try:
            dispatched = enqueue_runs([account], kind="resync", skus=skus, force=True)
            log.info("resync of %s queued: runs %s", account, dispatched.run_ids)
        except NoWorker as error:
            log.warning("resync of %s: %s", account, error)
        except Exception:
            log.exception("resync of %s could not be queued", account)
