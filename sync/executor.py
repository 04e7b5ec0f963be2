"""Inline runs: one account's run in this process — its lease, run row, client, push core
and group-commit writer — across one or more plans, and several accounts at once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack

from connectors.base import Connector, MarketplaceClient
from connectors.errors import AccountError, MarketplaceError
from connectors.ratelimit import RateLimiter
from sync.engine.clients import open_client, requests_sent
from sync.engine.lease import HeldLease, LeaseBusy
from sync.engine.push import AccountGate, Pusher, record_bookkeeping
from sync.engine.review import follow_reviews
from sync.engine.runs import RunReport, run_status
from sync.gcpause import heap_frozen
from sync.observe.context import bind_run, unbind_run
from sync.plan import AccountPlan
from sync.settings import Account
from sync.state.groupcommit import GroupCommit
from sync.state.leases import who_am_i
from sync.state.store import PushResult, StateStore

Progress = Callable[[str, int], None]  # (account, operations finished just now)
UNCLAIMED = "not sent: another run holds this listing's create claim"
log = logging.getLogger("ocop_sync.run")


class AccountRun:
    """One account's run: its lease, run row, client, push core, group-commit writer and
    report, across one or more plans. `run_account` pushes one plan through it; the
    streamed sync (`sync.stream`) pushes a catalog chunk by chunk through one run.

        async with AccountRun(account, connector, store) as run:   # LeaseBusy if held
            await run.push(plan)
        run.report
    """

    def __init__(
        self,
        account: Account,
        connector: Connector,
        store: StateStore,
        *,
        client: MarketplaceClient | None = None,
        limiter: RateLimiter | None = None,
        kind: str = "sync",
        trigger: str = "cli",
        progress: Progress | None = None,
        planned: dict[str, int] | None = None,
        lease_wait: float = 0.0,
    ) -> None:
        self.account = account
        self.connector = connector
        self.store = store
        self.kind = kind
        self.trigger = trigger
        self.progress = progress
        self.report = RunReport(account.name, {})
        self.lease = HeldLease(store, account.name, holder=who_am_i(trigger), wait=lease_wait)
        self._announced = planned or {}  # planned counts known before the run starts
        self._given_client = client
        self._limiter = limiter
        self._client: MarketplaceClient | None = client
        self._started = 0.0
        self._frozen = ExitStack()
        # Set by __aenter__ (the lease is held and the run row exists before anything is sent).
        self._run_id: int
        self._writer: GroupCommit
        self.pusher: Pusher

    async def __aenter__(self) -> AccountRun:
        self._started = time.perf_counter()
        await self.lease.__aenter__()
        try:
            store = self.store
            self._run_id = await store.call(
                store.start_run, self.account.name, self.kind, self.trigger, self._announced
            )
        except BaseException:
            await self.lease.__aexit__(None, None, None)
            raise
        self.report.run_id = self._run_id
        self._log_context = bind_run(self._run_id, self.account.name)
        log.info("%s run started (%s)", self.kind, self.trigger)
        await self.lease.attach_run(self._run_id)
        # Results are committed in groups (see sync.state.groupcommit for the crash story).
        self._writer = GroupCommit(store, self._run_id, self._counted)
        self.pusher = Pusher(
            self.account,
            self.connector,
            store,
            client=self.client,
            settle=self._writer.put,
            owner=self.lease.owner,
            gate=AccountGate(self.account.name),
            lease=self.lease,
        )
        self._frozen.enter_context(heap_frozen())
        if self.connector.reviews:
            await self._follow_reviews()
        return self

    async def _follow_reviews(self) -> None:
        # Before planning, a listing approved since the last run is planned as listed (its
        # waiting price and stock go out now); after pushing, a quick review may be over.
        # Best effort: the next run asks again.
        try:
            await follow_reviews(self.client(), self.store)
        except AccountError as error:
            await self.pusher.gate.close(error.message)
        except MarketplaceError as error:
            log.warning("%s: review follow-up failed: %s", self.account.name, error)

    def client(self) -> MarketplaceClient:
        """The account's client, made on first use: a run with nothing to send (a no-op
        sync) opens no connection pool (an httpx client with its TLS context costs ~0.1 s)."""
        if self._client is None:
            self._client = open_client(self.account, self.store, limiter=self._limiter)
        return self._client

    def _counted(self, done: list[PushResult]) -> None:
        # Only committed results count: the report never claims a row that could be lost.
        for r in done:
            if r.ok:
                self.report.done[r.operation] += 1
            else:
                self.report.failed += 1
                self.report.errors.append((r.sku, r.message or ""))
        if self.progress:
            self.progress(self.account.name, len(done))

    async def push(self, plan: AccountPlan) -> None:
        """Record the plan's skips and refreshes, then send its operations and record
        every result. A failing listing never stops the others."""
        report = self.report
        for kind, count in plan.counts.items():
            report.planned[kind] = report.planned.get(kind, 0) + count
        report.skipped += [(op.sku, op.reason or "") for op in plan.skips]
        await record_bookkeeping(self.store, plan)
        await self.pusher.prepare_creates(plan)
        await self.pusher.send(self.pusher.group(plan.operations, hold_fast=True))

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, *_: object
    ) -> None:
        try:
            if exc_type is None:
                await self.pusher.flush()  # the last, partly filled price/stock batch
        finally:
            await self._close(interrupted=_interruption(exc))

    async def _close(self, interrupted: str | None) -> None:
        report, store = self.report, self.store
        try:
            await self._writer.close()  # commits what is pending, also when cancelled
            if interrupted is None and self.connector.reviews and not self.pusher.gate.closed:
                await self._follow_reviews()  # committed above; a quick review may be over
        finally:
            # Even when a commit failed: close the run row (as failed), lease and client.
            # A run left before its end (a signal, an error of the caller) is not "done",
            # however few of its listings failed.
            report.stopped = self.pusher.gate.message or interrupted
            report.skipped += [(op.sku, UNCLAIMED) for op in self.pusher.unclaimed]
            report.requests = requests_sent(self._client)  # None: 0 sent
            report.seconds = time.perf_counter() - self._started
            try:
                await store.call(
                    store.finish_run,
                    self._run_id,
                    {**report.done, "failed": report.failed},
                    report.requests,
                    run_status(report.failed, report.stopped, self._writer.failed),
                    planned=report.planned,
                )
            finally:
                try:
                    if self._given_client is None and self._client is not None:
                        await self._client.aclose()
                finally:
                    self._frozen.close()
                    await self.lease.__aexit__(None, None, None)
                    log.info(
                        "%s run finished: %s, %d failed, %d requests, %.1f s",
                        self.kind,
                        dict(report.done),
                        report.failed,
                        report.requests,
                        report.seconds,
                    )
                    unbind_run(self._log_context)


def _interruption(exc: BaseException | None) -> str | None:
    """Why a run was left before its end, for its report; None when it ended normally."""
    if exc is None:
        return None
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "stopped before its end (interrupted)"
    return f"stopped before its end: {type(exc).__name__}: {exc}"


def busy_report(account: str, error: LeaseBusy) -> RunReport:
    """The report of a run that did not start: another run holds the account."""
    return RunReport(account, {}, busy=str(error), run_id=error.lease.run_id)


async def run_account(
    plan: AccountPlan,
    connector: Connector,
    store: StateStore,
    *,
    client: MarketplaceClient | None = None,
    limiter: RateLimiter | None = None,
    kind: str = "sync",
    trigger: str = "cli",
    progress: Progress | None = None,
    lease_wait: float = 0.0,
) -> RunReport:
    """Execute one account's plan and record every result (a busy account: not started)."""
    run = AccountRun(
        plan.account,
        connector,
        store,
        client=client,
        limiter=limiter,
        kind=kind,
        trigger=trigger,
        progress=progress,
        planned=plan.counts,
        lease_wait=lease_wait,
    )
    try:
        async with run:
            await run.push(plan)
    except LeaseBusy as error:
        return busy_report(plan.account.name, error)
    return run.report


async def run_plans(
    plans: Sequence[AccountPlan],
    connectors: dict[str, Connector],
    store: StateStore,
    *,
    limiters: dict[str, RateLimiter] | None = None,
    kind: str = "sync",
    trigger: str = "cli",
    progress: Progress | None = None,
) -> list[RunReport]:
    """Run several accounts concurrently (each with its own limits; `limiters` by account)."""
    limiters = limiters or {}
    return list(
        await asyncio.gather(
            *(
                run_account(
                    plan,
                    connectors[plan.account.marketplace],
                    store,
                    limiter=limiters.get(plan.account.name),
                    kind=kind,
                    trigger=trigger,
                    progress=progress,
                )
                for plan in plans
            )
        )
    )


__all__ = ["AccountRun", "Progress", "RunReport", "busy_report", "run_account", "run_plans"]
