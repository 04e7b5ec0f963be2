"""Inline executor: asyncio, bounded concurrency and a rate limiter per account, results
persisted as they arrive (group commit), one failing listing never stopping the others."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from connectors.base import Connector, MarketplaceClient
from connectors.errors import AuthError
from connectors.http import RetryPolicy
from connectors.ratelimit import RateLimiter
from sync.gcpause import heap_frozen
from sync.operations import failed, perform, perform_price_stock_batch
from sync.plan import AccountPlan, Operation, OpKind
from sync.state.groupcommit import GroupCommit
from sync.state.store import PushResult, StateStore

CREATE_CHUNK = 25  # creates whose intent is recorded in one transaction before sending

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


def work_items(plan: AccountPlan, batch_size: int) -> list[list[Operation]]:
    """Group operations into units of work: create chunks, price/stock batches, singles."""
    creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
    fast = [op for op in plan.operations if op.kind in (OpKind.PRICE, OpKind.STOCK)]
    rest = [
        op for op in plan.operations if op.kind not in (OpKind.CREATE, OpKind.PRICE, OpKind.STOCK)
    ]
    items = [creates[i : i + CREATE_CHUNK] for i in range(0, len(creates), CREATE_CHUNK)]
    if batch_size > 1:
        items += [fast[i : i + batch_size] for i in range(0, len(fast), batch_size)]
    else:
        items += [[op] for op in fast]
    items += [[op] for op in rest]
    return items


async def adopt_remote(client: MarketplaceClient, plan: AccountPlan) -> None:
    """With no state for this account, scan its remote listings once so that creates of
    SKUs the marketplace already has are looked up (adopted) instead of duplicated."""
    creates = {op.sku: op for op in plan.operations if op.kind is OpKind.CREATE}
    if not plan.fresh_state or not creates:
        return
    async for remote in client.list_remote(page_size=100):
        op = creates.get(remote.sku)
        if op is not None:
            op.lookup_first = True


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
    with heap_frozen():
        account = plan.account
        started = time.perf_counter()
        report = RunReport(account.name, plan.counts)
        report.skipped = [(op.sku, op.reason or "") for op in plan.skips]
        await store.call(
            store.record_skips,
            account.name,
            [(o.sku, o.product_sku, o.reason or "") for o in plan.skips],
        )
        await store.call(store.refresh_sources, account.name, plan.refreshes)
        run_id = await store.call(store.start_run, account.name, kind, trigger, plan.counts)
        own_client = client is None
        client = client or connector.client_factory(account, limiter=limiter)
        policy = RetryPolicy.for_account(account)

        def counted(done: list[PushResult]) -> None:
            # Only committed results count: the report never claims a row that could be lost.
            for r in done:
                if r.ok:
                    report.done[r.operation] += 1
                else:
                    report.failed += 1
                    report.errors.append((r.sku, r.message or ""))
            if progress:
                progress(account.name, len(done))

        # Results are committed in groups (see sync.state.groupcommit for the crash story).
        writer = GroupCommit(store, run_id, counted)
        blocked: list[str] = []  # the AuthError message once the account is refused

        async def handle(item: list[Operation]) -> None:
            pending = list(item)  # operations of this item not yet answered
            try:
                if blocked:
                    raise AuthError(blocked[0], account=account.name)
                if item[0].kind is OpKind.CREATE:
                    fresh = [(op.sku, op.product_sku) for op in item]
                    await store.call(store.mark_create_attempted, account.name, fresh)
                    while pending:
                        result = await perform(client, pending[0], policy)
                        pending.pop(0)
                        await writer.put(result)
                elif item[0].kind in (OpKind.PRICE, OpKind.STOCK) and connector.batch_size > 1:
                    batch = await perform_price_stock_batch(client, item)
                    pending.clear()
                    await writer.put(batch)
                else:
                    result = await perform(client, item[0], policy)
                    pending.clear()
                    await writer.put(result)
            except AuthError as error:
                # Fatal for the account: stop sending, record what was not done and why.
                if not blocked:
                    blocked.append(error.message)
                    report.auth_error = str(error)
                await writer.put([failed(op, error) for op in pending])

        queue: asyncio.Queue[list[Operation]] = asyncio.Queue()
        for item in work_items(plan, connector.batch_size):
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                await handle(queue.get_nowait())

        try:
            try:
                await adopt_remote(client, plan)
            except AuthError as error:
                blocked.append(error.message)
                report.auth_error = str(error)
            except Exception:
                for op in plan.operations:
                    op.lookup_first = True
            workers = min(account.concurrency, max(1, queue.qsize()))
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            try:
                await writer.close()  # commits what is pending, also when cancelled
            finally:
                # Even when a commit failed: close the run row (as failed) and the client.
                report.requests = getattr(client, "requests_sent", 0)
                report.seconds = time.perf_counter() - started
                status = "failed" if report.failed or writer.failed else "done"
                try:
                    await store.call(
                        store.finish_run,
                        run_id,
                        {**report.done, "failed": report.failed},
                        report.requests,
                        status,
                    )
                finally:
                    if own_client:
                        await client.aclose()
        return report


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
