"""One batch of a run, inside a worker: re-plan its SKUs, then push them through the push
core (`sync.engine.push.Pusher`) like an inline run — what is Celery's own stays here:
re-planning a delivered batch, delivery counting, the batch deadline, holding retriable
failures back for a task retry, and telling the run's other batches that the account
stopped.

Re-planning is what makes a batch safe to deliver twice: a listing pushed by an earlier
delivery now plans as a no-op, a create whose answer was lost plans as a create that looks
the SKU up first. Results are group-committed as they arrive (sync.state.groupcommit), so a
killed process loses at most what was in flight plus ~50 ms of answers, which the next
delivery redoes. Retriable failures are held back (the task retries them later, with
the message back in the queue); on the last attempt they are recorded with the
marketplace's message like any fatal one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from connectors.errors import MarketplaceError, RetriableError
from connectors.registry import get_connector
from sync.engine.clients import requests_sent
from sync.engine.lease import HeldLease
from sync.engine.push import AccountGate, Pusher, record_bookkeeping
from sync.operations import failed
from sync.plan import AccountPlan, PlanFilter, plan_account
from sync.settings import Account
from sync.state.groupcommit import GroupCommit
from sync.state.store import PushResult
from workers.context import WorkerContext
from workers.runs import RunInfo


class PoisonMessage(MarketplaceError):
    """A listing whose batch was delivered too often: the worker died each time."""


def _retriable_kinds() -> frozenset[str]:
    kinds, todo = set(), [RetriableError]
    while todo:
        cls = todo.pop()
        kinds.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return frozenset(kinds)


@dataclass
class BatchOutcome:
    """What a batch delivery did; filled as results arrive so a cut-short run keeps it."""

    done: set[str] = field(default_factory=set)  # recorded (ok, fatal, or skipped) or no-op
    retriable: dict[str, PushResult] = field(default_factory=dict)  # to retry later
    requests: int = 0
    auth_error: str | None = None

    def committed(self, results: list[PushResult]) -> None:
        """Count these SKUs as done: called once their rows are committed, never before."""
        for result in results:
            self.done.add(result.sku)
            self.retriable.pop(result.sku, None)

    def leftover(self, skus: list[str]) -> list[str]:
        """SKUs of the batch not finished (retriable, or cut off by the deadline)."""
        return [sku for sku in skus if sku not in self.done]


def replan(ctx: WorkerContext, account: Account, run: RunInfo, skus: list[str]) -> AccountPlan:
    """Plan only these SKUs, from the catalog and their current bindings."""
    snapshot = ctx.catalog(run.catalog)
    wanted = set(skus)
    bindings = ctx.store.bindings(account.name, skus=wanted)
    connector = get_connector(account.marketplace)
    flt = PlanFilter(skus=frozenset(wanted), force=run.force, held=snapshot.held)
    products = snapshot.products(wanted)
    return plan_account(products, account, connector, bindings, date.today(), flt=flt)


async def push_skus(
    ctx: WorkerContext,
    account: Account,
    run: RunInfo,
    skus: list[str],
    outcome: BatchOutcome,
    *,
    final: bool,
) -> None:
    """Push one batch's SKUs; fill `outcome`. Stops at the batch deadline (TimeoutError)."""
    store = ctx.store
    plan = await asyncio.to_thread(replan, ctx, account, run, skus)
    planned = {op.sku for op in plan.operations}
    await record_bookkeeping(store, plan)
    outcome.done.update(sku for sku in skus if sku not in planned)  # no-ops and skips
    ops = list(plan.operations)
    if not ops:
        return
    items = [(op.sku, op.product_sku) for op in ops]
    deliveries = await store.call(store.add_deliveries, account.name, items)
    poison = [op for op in ops if deliveries.get(op.sku, 0) > ctx.tuning.max_deliveries]
    poisoned: list[PushResult] = []
    if poison:
        message = (
            f"gave up after {ctx.tuning.max_deliveries} deliveries: the worker pushing this "
            "listing died each time"
        )
        error = PoisonMessage(message, account=account.name)
        poisoned = [failed(op, error) for op in poison]
        ops = [op for op in ops if op not in poison]
    client = ctx.client(account)
    sent_before = requests_sent(client)
    retriable_kinds = _retriable_kinds()

    async def stopped(message: str) -> None:
        # First stop of this batch: every other batch of the run stops too.
        outcome.auth_error = message
        await asyncio.to_thread(ctx.runs.block, run.run_id, message)

    # The writer encloses the deadline: when it cuts the sending short, the answers already
    # obtained are still committed (and counted done) on the way out, never dropped.
    async with (
        GroupCommit(store, run.run_id, outcome.committed) as writer,
        HeldLease(
            store, account.name, holder="", owner=run.token, ttl=ctx.tuning.run_lock_ttl, take=False
        ) as lease,
    ):

        async def settle(results: list[PushResult]) -> None:
            keep = []
            for result in results:
                if result.ok or final or result.error_kind not in retriable_kinds:
                    keep.append(result)
                else:
                    outcome.retriable[result.sku] = result
            await writer.put(keep)

        await writer.put(poisoned)
        pusher = Pusher(
            account,
            get_connector(account.marketplace),
            store,
            client=lambda: client,
            settle=settle,
            owner=run.token,
            gate=AccountGate(account.name, run.auth_error, on_stop=stopped),
            lease=lease,
            policy=ctx.policy(account),
        )
        try:
            async with asyncio.timeout(ctx.tuning.batch_deadline):
                await pusher.send(pusher.group(ops))
        finally:
            outcome.requests += requests_sent(client) - sent_before
            # Creates another run holds the claim of are that run's: not retried here.
            outcome.done.update(op.sku for op in pusher.unclaimed)
