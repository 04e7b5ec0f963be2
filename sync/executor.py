"""Inline executor: asyncio, bounded concurrency and a rate limiter per account, results
persisted as they arrive (group commit), one failing listing never stopping the others."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

from connectors.base import Connector, MarketplaceClient
from connectors.errors import AuthError
from connectors.http import RetryPolicy
from connectors.ratelimit import RateLimiter
from sync.gcpause import heap_frozen
from sync.operations import failed, perform, perform_price_stock_batch
from sync.plan import AccountPlan, Operation, OpKind
from sync.settings import Account
from sync.state.groupcommit import GroupCommit
from sync.state.store import PushResult, StateStore

CREATE_CHUNK = 25  # creates whose intent is recorded in one transaction before sending
_CREATE_OR_FAST = frozenset({OpKind.CREATE, OpKind.PRICE, OpKind.STOCK})

Progress = Callable[[str, int], None]  # (account, operations finished just now)


@dataclass
class RunReport:
    """What one account's run did."""

    account: str
    planned: dict[str, int]
    done: Counter[str] = field(default_factory=Counter)  # successful operations per kind
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (sku, message)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sku, reason)
    auth_error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON view for --json output."""
        return {
            "account": self.account,
            "planned": self.planned,
            "done": dict(self.done),
            "failed": self.failed,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "errors": [{"sku": s, "message": m} for s, m in self.errors],
            "skipped": [{"sku": s, "reason": r} for s, r in self.skipped],
            "auth_error": self.auth_error,
        }


async def remote_skus(client: MarketplaceClient) -> set[str]:
    """Every SKU the account's remote listings carry (one paged scan)."""
    return {remote.sku async for remote in client.list_remote(page_size=100)}


async def adopt_remote(client: MarketplaceClient, plan: AccountPlan) -> None:
    """With no state for this account, scan its remote listings once so that creates of
    SKUs the marketplace already has are looked up (adopted) instead of duplicated."""
    creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
    if not plan.fresh_state or not creates:
        return
    known = await remote_skus(client)
    for op in creates:
        if op.sku in known:
            op.lookup_first = True


class AccountRun:
    """One account's run: its run row, client, group-commit writer and report, across one
    or more plans. `run_account` pushes one plan through it; the streamed sync
    (`sync.stream`) pushes a catalog chunk by chunk through one run, one client and one
    writer.

        async with AccountRun(account, connector, store) as run:
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
    ) -> None:
        self.account = account
        self.connector = connector
        self.store = store
        self.kind = kind
        self.trigger = trigger
        self.progress = progress
        self.report = RunReport(account.name, {})
        self._announced = planned or {}  # planned counts known before the run starts
        self._given_client = client
        self._limiter = limiter
        self._policy = RetryPolicy.for_account(account)
        self._blocked: str | None = None  # the AuthError message once the account is refused
        self._remote: set[str] | None = None  # SKUs the remote had when the state was empty
        self._lookup_all = False  # the remote scan failed: look every create up first
        self._started = 0.0
        self._frozen = ExitStack()
        self._fast: list[Operation] = []  # price/stock changes waiting for a full batch
        # Set by __aenter__ (the run row exists before anything is sent).
        self._run_id: int
        self._writer: GroupCommit
        self._client: MarketplaceClient | None = client

    async def __aenter__(self) -> AccountRun:
        self._started = time.perf_counter()
        store = self.store
        self._run_id = await store.call(
            store.start_run, self.account.name, self.kind, self.trigger, self._announced
        )
        # Results are committed in groups (see sync.state.groupcommit for the crash story).
        self._writer = GroupCommit(store, self._run_id, self._counted)
        self._frozen.enter_context(heap_frozen())
        return self

    @property
    def client(self) -> MarketplaceClient:
        """The account's client, made on first use: a run with nothing to send (a no-op
        sync) opens no connection pool (an httpx client with its TLS context costs ~0.1 s)."""
        if self._client is None:
            self._client = self.connector.client_factory(self.account, limiter=self._limiter)
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

    def _refused(self, error: AuthError) -> None:
        if self._blocked is None:
            self._blocked = error.message
            self.report.auth_error = str(error)

    async def push(self, plan: AccountPlan) -> None:
        """Record the plan's skips and refreshes, then send its operations and record
        every result. A failing listing never stops the others."""
        report, store, name = self.report, self.store, self.account.name
        for kind, count in plan.counts.items():
            report.planned[kind] = report.planned.get(kind, 0) + count
        report.skipped += [(op.sku, op.reason or "") for op in plan.skips]
        await store.call(
            store.record_skips, name, [(o.sku, o.product_sku, o.reason or "") for o in plan.skips]
        )
        await store.call(store.refresh_sources, name, plan.refreshes)
        await self._adopt_remote(plan)
        await self._send(self._work_items(plan))

    def _work_items(self, plan: AccountPlan) -> list[list[Operation]]:
        """Units of work: chunks of creates, full price/stock batches, single operations.

        Price and stock changes wait for companions across plans until a batch is full: a
        streamed run plans a chunk at a time, and 1 % changed spread over 100 chunks would
        otherwise send 100 small batches instead of a full one per 50 changes. What is left
        goes out when the run closes (`__aexit__`)."""
        creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
        fast = [op for op in plan.operations if op.kind in (OpKind.PRICE, OpKind.STOCK)]
        rest = [op for op in plan.operations if op.kind not in _CREATE_OR_FAST]
        items = [creates[i : i + CREATE_CHUNK] for i in range(0, len(creates), CREATE_CHUNK)]
        size = self.connector.batch_size
        if size > 1:
            self._fast += fast
            full = len(self._fast) - len(self._fast) % size
            items += [self._fast[i : i + size] for i in range(0, full, size)]
            del self._fast[:full]
        else:
            items += [[op] for op in fast]
        return items + [[op] for op in rest]

    async def _send(self, items: list[list[Operation]]) -> None:
        """Run the items with the account's concurrency; results go to the writer."""
        queue: asyncio.Queue[list[Operation]] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                await self._handle(queue.get_nowait())

        workers = min(self.account.concurrency, max(1, queue.qsize()))
        await asyncio.gather(*(worker() for _ in range(workers)))

    async def _adopt_remote(self, plan: AccountPlan) -> None:
        """With no state for this account, scan its remote listings once per run, so that
        creates of SKUs the marketplace already has are looked up (adopted) instead of
        duplicated — in this plan and in every later one of the run."""
        creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
        if plan.fresh_state and self._remote is None and not self._lookup_all and creates:
            try:
                self._remote = await remote_skus(self.client)
            except AuthError as error:
                self._refused(error)
            except Exception:
                self._lookup_all = True  # cannot tell which exist: ask before each create
        known = self._remote or set()
        for op in creates:
            if self._lookup_all or op.sku in known:
                op.lookup_first = True

    async def _handle(self, item: list[Operation]) -> None:
        pending = list(item)  # operations of this item not yet answered
        client, writer, store = self.client, self._writer, self.store
        try:
            if self._blocked is not None:
                raise AuthError(self._blocked, account=self.account.name)
            if item[0].kind is OpKind.CREATE:
                fresh = [(op.sku, op.product_sku) for op in item]
                await store.call(store.mark_create_attempted, self.account.name, fresh)
                while pending:
                    result = await perform(client, pending[0], self._policy)
                    pending.pop(0)
                    await writer.put(result)
            elif item[0].kind in (OpKind.PRICE, OpKind.STOCK) and self.connector.batch_size > 1:
                batch = await perform_price_stock_batch(client, item)
                pending.clear()
                await writer.put(batch)
            else:
                result = await perform(client, item[0], self._policy)
                pending.clear()
                await writer.put(result)
        except AuthError as error:
            # Fatal for the account: stop sending, record what was not done and why.
            self._refused(error)
            await writer.put([failed(op, error) for op in pending])

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        report, store = self.report, self.store
        try:
            if exc_type is None and self._fast:
                await self._send([self._fast])  # the last, partly filled price/stock batch
                self._fast = []
        finally:
            await self._close(report, store)

    async def _close(self, report: RunReport, store: StateStore) -> None:
        try:
            await self._writer.close()  # commits what is pending, also when cancelled
        finally:
            # Even when a commit failed: close the run row (as failed) and the client.
            report.requests = getattr(self._client, "requests_sent", 0)  # None: 0 sent
            report.seconds = time.perf_counter() - self._started
            status = "failed" if report.failed or self._writer.failed else "done"
            try:
                await store.call(
                    store.finish_run,
                    self._run_id,
                    {**report.done, "failed": report.failed},
                    report.requests,
                    status,
                    planned=report.planned,
                )
            finally:
                try:
                    if self._given_client is None and self._client is not None:
                        await self._client.aclose()
                finally:
                    self._frozen.close()


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
) -> RunReport:
    """Execute one account's plan and record every result."""
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
    )
    async with run:
        await run.push(plan)
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
