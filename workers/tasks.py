"""Celery tasks: plan an account and fan out batches; push a batch; reconcile.

Arguments are ids only (account name, SKUs, run id, batch index, lane): a worker reads the
catalog and the state itself and holds the credentials in its own configuration, so no
payload and no secret ever sits in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
import uuid
from datetime import date
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from connectors.errors import MarketplaceError
from connectors.registry import get_connector
from sync.batching import chunks_by
from sync.catalog_io.snapshot import SnapshotFailed, SnapshotPending
from sync.engine.clients import requests_sent
from sync.engine.lease import HeldLease, LeaseBusy
from sync.engine.push import AccountGate, Pusher, record_bookkeeping
from sync.engine.review import follow_reviews
from sync.engine.runs import run_outcome, run_status
from sync.observe.context import bind_run
from sync.plan import AccountPlan, Operation, OpKind, PlanFilter
from sync.reconcile import ReconcileReport, reconcile_account
from sync.settings import Account, ConfigError
from sync.state.leases import Leases, who_am_i
from sync.state.store import PushResult
from sync.stream import plan_stream
from workers.app import app
from workers.context import WorkerContext, get_context
from workers.locks import ListingLocks
from workers.push import BatchOutcome, push_skus
from workers.runs import RunInfo

log = logging.getLogger("ocop_sync.tasks")

LANES = ("create", "fast", "other")
# A planning task waits for a large catalog's snapshot this long in its pool process (most
# builds end sooner), then gives the process up and comes back every SNAPSHOT_POLL seconds,
# for at most SNAPSHOT_WAIT (a 100k-product file builds in 30–60 s on a small machine).
SNAPSHOT_PATIENCE = 15.0
SNAPSHOT_POLL = 2.0
SNAPSHOT_WAIT = 1800.0
# A held account whose holder shows no run yet: how long a planning task waits at least
# for the holder's planner to show its run, and how often it looks (`_take_lease`).
PLANNER_WAIT = 10.0
LEASE_POLL = 0.2


def _lane(op_kind: OpKind) -> str:
    if op_kind is OpKind.CREATE:
        return "create"
    return "fast" if op_kind in (OpKind.PRICE, OpKind.STOCK) else "other"


def batch_plan(plan: AccountPlan, size: int) -> list[tuple[str, list[str]]]:
    """The plan's operations as batches of SKUs, one lane (create, price/stock, other) each.
    A product's operations are never split between two batches (two worker processes would
    each create the item of a product whose variants are one item, as on Shopee)."""
    lanes: dict[str, list[Operation]] = {lane: [] for lane in LANES}
    for op in plan.operations:
        lanes[_lane(op.kind)].append(op)
    return [
        (lane, [op.sku for op in batch])
        for lane, ops in lanes.items()
        for batch in chunks_by(ops, size, lambda op: op.product_sku)
    ]


def _leases(ctx: WorkerContext) -> Leases:
    # A Celery run's lease is renewed by each of its batches; between them (a retry's
    # countdown) nothing renews it, hence a lifetime of the run lock's length.
    return Leases(ctx.store, ctx.tuning.run_lock_ttl)


# -- triggers ------------------------------------------------------------------------------
@app.task(name="ocop_sync.sync_all")
def sync_all(kind: str = "sync", trigger: str = "beat") -> None:
    """Beat's tick: plan every configured account (each run takes its account's lock)."""
    for account in get_context().settings.accounts:
        plan_task.apply_async(kwargs={"account": account.name, "kind": kind, "trigger": trigger})


@app.task(bind=True, name="ocop_sync.plan_account", ignore_result=False, track_started=True)
def plan_task(
    self: Task,
    account: str,
    kind: str = "sync",
    trigger: str = "cli",
    skus: list[str] | None = None,
    failed_only: bool = False,
    force: bool = False,
    catalog: str | None = None,
    lease_wait: float = 0.0,
) -> dict[str, Any]:
    """Plan one account and send its batches; "already running" when another run (of any
    path: a worker's, an operator's inline one) holds the account's lease (see
    `_take_lease`: `lease_wait` is the operator's `--wait-lock`)."""
    ctx = get_context()
    acc = ctx.account(account)
    try:
        ctx.catalog(catalog, patience=SNAPSHOT_PATIENCE)
    except SnapshotPending:
        # Built by a detached process, outside this task's time limit; the message is
        # acknowledged meanwhile and comes back with the same id (the CLI's answer).
        raise self.retry(
            countdown=SNAPSHOT_POLL, max_retries=int(SNAPSHOT_WAIT / SNAPSHOT_POLL)
        ) from None
    except SnapshotFailed as exc:
        log.error("%s: the catalog cannot be read: %s", account, exc)
        return {"account": account, "status": "catalog unreadable", "error": str(exc)}
    token = self.request.id or uuid.uuid4().hex
    leases = _leases(ctx)
    # Never wait away the time the task needs to plan.
    wait = min(lease_wait, ctx.tuning.plan_time_limit / 4)
    taken, holder_run = _take_lease(ctx, account, token, f"celery {trigger}", wait)
    if not taken:
        return {"account": account, "status": "already running", "run_id": holder_run}
    existing = ctx.runs.run_for_token(token)
    if existing is not None:  # this message was delivered before: finish sending its batches
        info = ctx.runs.info(existing)
        if info is None or info.finished:
            leases.release(account, token)  # that run is over (our ack was lost)
        elif not send_batches(ctx, existing, account):
            finish_run(ctx, existing)  # every batch done already: close it and free the lock
        return {"account": account, "status": "started", "run_id": existing, "skipped": []}
    try:
        flt = PlanFilter(skus=frozenset(skus or ()), failed_only=failed_only, force=force)
        return _plan_and_send(ctx, acc, token, kind, trigger, flt, catalog)
    except BaseException:
        leases.release(account, token)
        raise


def _take_lease(
    ctx: WorkerContext, account: str, token: str, who: str, wait: float
) -> tuple[bool, int | None]:
    """Take the account's lease for this task: (True, None); else (False, the run to follow).

    A holder with a run is followed at once. A holder with none — a planner still planning,
    a reconcile or dedupe scan — is waited for PLANNER_WAIT (for a planner to show its run)
    or `wait`, whichever is longer; a lease freed meanwhile (the holder just ended) is taken,
    so an operator's run asked right after another ended runs instead of reporting the
    account busy. (False, None): still held with no run to follow when the wait ran out."""
    leases = _leases(ctx)
    holder = who_am_i(who)
    deadline = time.monotonic() + max(wait, PLANNER_WAIT)
    while True:
        if leases.acquire(account, token, holder) is None:
            return True, None
        lease = leases.holder(account)
        if lease is not None and lease.run_id is not None:
            return False, lease.run_id
        if time.monotonic() > deadline:
            return False, None
        if lease is not None:  # else it was freed between the two reads: take it now
            time.sleep(LEASE_POLL)


def _plan_and_send(
    ctx: WorkerContext,
    account: Account,
    token: str,
    kind: str,
    trigger: str,
    flt: PlanFilter,
    catalog: str | None,
) -> dict[str, Any]:
    path = str(catalog or ctx.settings.catalog or "")
    # Before planning: approved listings plan as listed.
    followed = _follow_reviews(ctx, account)
    snapshot = ctx.catalog(path or None)
    # Streamed like `ocop-sync sync`: a plan of SKUs and kinds, no product held in memory.
    (plan,) = plan_stream(
        snapshot, [account], ctx.store, date.today(), flt=flt, held=lambda: snapshot.held
    )
    requests = ctx.run(_adopt_remote(ctx, account, plan, token))
    skips = [(op.sku, op.product_sku, op.reason or "") for op in plan.skips]
    ctx.run(record_bookkeeping(ctx.store, plan))
    run_id = ctx.store.start_run(account.name, kind, trigger, plan.counts)
    _leases(ctx).renew(account.name, token, run_id)
    size = ctx.tuning.batch_ops(account.rate_limit, ctx.settings.batch_size)
    batches = batch_plan(plan, size)
    ctx.runs.open(
        run_id,
        account.name,
        token,
        catalog=path,
        force=flt.force,
        batches=batches,
        requests=followed + requests,
    )
    send_batches(ctx, run_id, account.name)
    if not batches:
        finish_run(ctx, run_id)
    log.info(
        "run %s %s: %d operations in %d batches",
        run_id,
        account.name,
        len(plan.operations),
        len(batches),
    )
    return {
        "account": account.name,
        "status": "started",
        "run_id": run_id,
        "operations": len(plan.operations),
        "batches": len(batches),
        "planned": plan.counts,
        "skipped": [[sku, reason] for sku, _, reason in skips],
    }


async def _adopt_remote(ctx: WorkerContext, account: Account, plan: AccountPlan, token: str) -> int:
    """With no state for the account, scan the marketplace once (the push core's scan):
    creates of SKUs it already has are marked so their batch looks them up (adopts)
    instead of duplicating them. A refusal is left for the batches, which meet it too."""
    if not plan.fresh_state:
        return 0
    client = ctx.client(account)
    before = requests_sent(client)

    async def nowhere(_results: list[PushResult]) -> None:
        return None

    pusher = Pusher(
        account,
        get_connector(account.marketplace),
        ctx.store,
        client=lambda: client,
        settle=nowhere,
        owner=token,
        gate=AccountGate(account.name),
    )
    found = [(op.sku, op.product_sku) for op in await pusher.prepare_creates(plan)]
    await asyncio.to_thread(ctx.store.mark_create_attempted, account.name, found)
    return requests_sent(client) - before


def _follow_reviews(ctx: WorkerContext, account: Account) -> int:
    """The push core's review follow-up, as the inline run does it (best effort). Returns
    the requests it sent: they count in the run's requests, as an inline run's do."""
    if not get_connector(account.marketplace).reviews:
        return 0
    client = ctx.client(account)
    before = requests_sent(client)
    with contextlib.suppress(MarketplaceError):
        ctx.run(follow_reviews(client, ctx.store))
    return requests_sent(client) - before


def send_batches(ctx: WorkerContext, run_id: int, account: str) -> int:
    """Send every batch of the run not yet finished (task ids are stable per batch)."""
    done = ctx.runs.done_batches(run_id)
    sent = 0
    for index, (lane, skus) in sorted(ctx.runs.batches(run_id).items()):
        if index not in done:
            push_batch.apply_async(
                args=[account, run_id, index, lane, skus], task_id=f"ocop-run{run_id}-b{index}"
            )
            sent += 1
    return sent


# -- pushing -------------------------------------------------------------------------------
@app.task(bind=True, name="ocop_sync.push_batch")
def push_batch(
    self: Task, account: str, run_id: int, batch: int, lane: str, skus: list[str]
) -> None:
    """Push one batch of a run: re-plan its SKUs, push, record; retry what may succeed later."""
    bind_run(run_id, account)  # every log line of this batch names its run and account
    ctx = get_context()
    run = ctx.runs.info(run_id)
    if run is None:
        log.warning(
            "run %s is unknown to Redis: batch %s dropped (next sync re-plans it)", run_id, batch
        )
        return
    try:
        acc = ctx.account(account)
    except ConfigError as exc:
        log.error("run %s batch %s: %s", run_id, batch, exc)
        _batch_finished(ctx, run, batch, 0)
        return
    if not _leases(ctx).renew(account, run.token):
        # Another run took the account over (this run's lease expired): its listings are
        # that run's now. Nothing is sent; the batch is over.
        log.warning("run %s batch %s: the account's lease is held by another run", run_id, batch)
        _batch_finished(ctx, run, batch, 0)
        return
    retries = int(self.request.retries or 0)
    try:
        ctx.catalog(run.catalog)
    except SnapshotPending:
        # The catalog file changed during the run and its new snapshot is being built:
        # come back when it is, a wait and not a retry.
        _again(self, account, run_id, batch, lane, skus, SNAPSHOT_POLL, retries)
        return
    except SnapshotFailed as exc:
        # The file changed into something unreadable: these listings stay as they are
        # (pending), and the next sync re-plans them once the file is fixed.
        log.error("run %s batch %s: the catalog cannot be read: %s", run_id, batch, exc)
        _batch_finished(ctx, run, batch, 0)
        return
    cooldown = ctx.run(ctx.limiter(acc).cooldown_left())
    if cooldown > 2.0:
        # The marketplace banned us for a while: come back when the ban ends instead of
        # holding a pool process (and this message) while waiting.
        _again(
            self, account, run_id, batch, lane, skus, _countdown(ctx, retries, cooldown), retries
        )
        return
    final = retries >= ctx.tuning.max_retries
    outcome = BatchOutcome()
    locks = ListingLocks(ctx.redis, account, str(self.request.id), ctx.tuning.listing_lock_ttl)
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    held: list[str] = []
    busy: list[str] = []
    try:
        held, busy = locks.acquire(skus, redelivered=redelivered)
        log.info(
            "batch start: run %s batch %s, %d listings, pid %d",
            run_id,
            batch,
            len(held),
            os.getpid(),
        )
        ctx.run(push_skus(ctx, acc, run, held, outcome, final=final))
    except (TimeoutError, SoftTimeLimitExceeded):
        log.warning(
            "run %s batch %s: deadline reached, %d listings left for later",
            run_id,
            batch,
            len(outcome.leftover(held)),
        )
    except Exception:  # a database or Redis outage longer than their own retries, or a bug
        log.exception("run %s batch %s failed; retrying", run_id, batch)
        if not held:  # the locks themselves could not be taken: retry the whole batch
            busy = list(skus)
    finally:
        locks.release(held)
        with contextlib.suppress(Exception):
            ctx.store.reset_deliveries(account, held)
        ctx.runs.add_requests(run_id, outcome.requests)
        log.info("batch end: run %s batch %s, pid %d", run_id, batch, os.getpid())
    leftover = outcome.leftover(held) + busy
    if leftover and not final:
        countdown = _countdown(ctx, retries, ctx.run(ctx.limiter(acc).cooldown_left()))
        raise self.retry(
            args=[account, run_id, batch, lane, leftover],
            countdown=countdown,
            max_retries=ctx.tuning.max_retries,
        )
    unfinished = outcome.leftover(held)
    if unfinished:
        try:
            _record_unfinished(ctx, run, acc, unfinished, retries)
        except Exception:  # the state store is away: the listings stay pending, not failed
            log.exception(
                "run %s batch %s: could not record %d unfinished listings",
                run_id,
                batch,
                len(unfinished),
            )
    _batch_finished(ctx, run, batch, 0)


def _countdown(ctx: WorkerContext, retries: int, cooldown: float) -> float:
    """Exponential backoff with full jitter, at least the marketplace's cooldown, capped
    below the visibility timeout (see workers.tuning)."""
    backoff = random.uniform(0.5, max(0.5, min(ctx.tuning.max_countdown, 2.0 * 2**retries)))
    return min(ctx.tuning.max_countdown, max(cooldown + random.uniform(0, 0.5), backoff))


def _again(
    self: Task,
    account: str,
    run_id: int,
    batch: int,
    lane: str,
    skus: list[str],
    countdown: float,
    retries: int,
) -> None:
    """Re-enqueue the same batch later without counting a retry (a wait, not a failure)."""
    push_batch.apply_async(
        args=[account, run_id, batch, lane, skus],
        countdown=countdown,
        task_id=self.request.id,
        retries=retries,
    )


def _record_unfinished(
    ctx: WorkerContext, run: RunInfo, account: Account, skus: list[str], retries: int
) -> None:
    """Last attempt over and these listings still not pushed: record them as failed."""
    snapshot = ctx.catalog(run.catalog)
    message = f"not pushed after {retries + 1} attempts (worker deadline or outage)"
    results = [
        PushResult(
            account=account.name,
            sku=sku,
            product_sku=snapshot.product_sku(sku) or sku,
            operation="push",
            ok=False,
            status="failed",
            message=message,
            error_kind="internal",
        )
        for sku in skus
    ]
    ctx.store.record(results, run.run_id)


def _batch_finished(ctx: WorkerContext, run: RunInfo, batch: int, requests: int) -> None:
    left = ctx.runs.batch_done(run.run_id, batch, requests)
    if left == 0 and not run.finished:
        finish_run(ctx, run.run_id)


def finish_run(ctx: WorkerContext, run_id: int) -> None:
    """Close the run in the state store and free its account (idempotent)."""
    run = ctx.runs.info(run_id)
    if run is not None and not run.auth_error:
        with contextlib.suppress(ConfigError):
            # A quick review may be over.
            ctx.runs.add_requests(run_id, _follow_reviews(ctx, ctx.account(run.account)))
    done, failures = run_outcome(ctx.store, run_id)
    ctx.store.finish_run(
        run_id,
        {**done, "failed": len(failures)},
        ctx.runs.requests(run_id),
        run_status(len(failures), run.auth_error if run else None),
    )
    ctx.runs.mark_finished(run_id)
    if run is not None:
        _leases(ctx).release(run.account, run.token)
    log.info("run %s finished: %s, %d failed", run_id, dict(done), len(failures))


# -- reconcile -----------------------------------------------------------------------------
@app.task(name="ocop_sync.reconcile_all")
def reconcile_all() -> None:
    """Beat's nightly tick: prune old audit rows, reconcile every configured account."""
    ctx = get_context()
    pruned = ctx.store.prune_audit(ctx.settings.audit_retention_days)
    log.info("pruned %d audit rows older than %d days", pruned, ctx.settings.audit_retention_days)
    for account in ctx.settings.accounts:
        reconcile_task.apply_async(kwargs={"account": account.name})


# Acknowledged on receipt: a scan of a large account may outlast the visibility timeout,
# and losing one to a crash only delays it to the next night (it writes no listings).
# Started is recorded so that `reconcile --via celery` can tell a busy worker from none.
@app.task(
    bind=True,
    name="ocop_sync.reconcile_account",
    acks_late=False,
    soft_time_limit=3600,
    time_limit=3660,
    ignore_result=False,
    track_started=True,
)
def reconcile_task(
    self: Task, account: str, trigger: str = "beat", catalog: str | None = None
) -> dict[str, Any]:
    """Compare the account's remote listings with the state, then plan a sync to repair
    drift. Answers the scan's report and the id of that planning task (whose answer names
    the run: `reconcile --via celery --wait` follows it). While another run holds the
    account it tries again later, so it never pushes alongside that run."""
    ctx = get_context()
    acc = ctx.account(account)
    # An operator waiting on the CLI is told sooner; the patience overall is the same.
    countdown = (
        ctx.tuning.max_countdown if trigger == "beat" else min(5.0, ctx.tuning.max_countdown)
    )
    patience = int(120 * ctx.tuning.max_countdown / countdown)
    if _leases(ctx).holder(account) is not None:
        raise self.retry(countdown=countdown, max_retries=patience)
    try:
        report = ctx.run(_reconcile(ctx, acc, self.request.id or uuid.uuid4().hex))
    except LeaseBusy:
        raise self.retry(countdown=countdown, max_retries=patience) from None
    except MarketplaceError as error:  # reported like an inline reconcile reports it
        log.warning("reconcile of %s: %s", account, error)
        return {"observed": ReconcileReport.failed(account, error).as_dict(), "plan_task": None}
    plan = plan_task.apply_async(
        kwargs={"account": account, "kind": "reconcile", "trigger": trigger, "catalog": catalog}
    )
    return {"observed": report, "plan_task": plan.id}


async def _reconcile(ctx: WorkerContext, account: Account, token: str) -> dict[str, Any]:
    # The scan holds the account's lease (renewed while it runs): no push meanwhile.
    async with HeldLease(ctx.store, account.name, holder=who_am_i("celery reconcile"), owner=token):
        report = await reconcile_account(ctx.client(account), ctx.store)
    return report.as_dict()
