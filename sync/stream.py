"""Streamed sync: plan and push a catalog `chunk` products at a time, with flat memory.

The whole-catalog path (`runner.make_plans` + `execute_plans`) holds every product model and
every mapped listing of every account until the run ends: ~1.1 GB for the catalog alone at
100k products. Here products arrive from an iterator (a CSV read in two passes, see
`sync.catalog_io.open_catalog`), and each account is a pipeline over the same chunks:

    per account, once: the narrow binding index (SKU → source hash: ~200 bytes a listing)
    products ──chunks──▶ facts (hash, listability, once for all accounts)
        └─▶ per account: plan_account(chunk, index) ─▶ AccountRun.push
    end of catalog ─▶ per account: live listings whose SKU never came ─▶ delist "removed"

Whole binding rows are fetched per chunk for what the fast path cannot settle, and not kept.
A run that planned nothing leaves each account settled (sync.settled): the next one settles
the chunks it knows by their digest alone, and loads the index only from the first chunk
that differs (or for the removals, when the catalog has fewer chunks).
Looking the chunk's SKUs up instead of loading the index once was 6× slower for a no-op
(13 µs against 2 µs a listing on SQLite).

One run row, one pooled client and one group-commit writer per account for the whole
stream. An account may run at most LOOKAHEAD chunks ahead of the slowest one (Alibaba
uploads images first), which bounds memory whatever the catalog size. Removals are planned
only after the whole catalog was read: a catalog that fails half-way delists nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from connectors.ratelimit import RateLimiter
from connectors.registry import get_connector
from sync.batching import chunks
from sync.catalog import Product
from sync.engine.lease import LeaseBusy
from sync.executor import AccountRun, Progress, RunReport, busy_report
from sync.plan import (
    AccountPlan,
    ChunkKeys,
    PlanFilter,
    ProductFacts,
    account_fingerprint,
    delist_removed,
    plan_account,
    product_facts,
)
from sync.settings import Account
from sync.settled import Settler, chunk_digest
from sync.state.index import BindingIndex
from sync.state.store import StateStore

DEFAULT_CHUNK = 1000  # products per chunk: ~2k listings per account in flight at most
LOOKAHEAD = 2  # chunks an account may run ahead of the slowest one


@dataclass(frozen=True)
class _Chunk:
    products: list[Product]
    facts: list[ProductFacts]
    keys: ChunkKeys  # every variant SKU of the chunk in order, with its product's hash
    digest: str  # of the keys: what an account's mark knows the chunk by (sync.settled)

    @property
    def skus(self) -> list[str]:
        return self.keys.skus

    @classmethod
    def of(cls, products: list[Product], today: date) -> _Chunk:
        facts = product_facts(products, today)
        keys = ChunkKeys.of(facts)
        return cls(products, facts, keys, chunk_digest(keys))


def _chunk_plan(
    item: _Chunk, account: Account, index: BindingIndex, today: date, flt: PlanFilter
) -> AccountPlan:
    connector = get_connector(account.marketplace)
    return plan_account(
        item.products,
        account,
        connector,
        index,
        today,
        flt=flt,
        facts=item.facts,
        removals=False,
        keys=item.keys,
    )


def _removals(
    account: Account, index: BindingIndex, seen: set[str], flt: PlanFilter
) -> AccountPlan:
    """Delists of the live listings whose SKU the whole catalog did not have."""
    plan = AccountPlan(account)
    gone = sorted(index.sources.keys() - seen)  # a set difference in C (600k SKUs at 100k)
    delist_removed(plan, index.rows(gone).values(), flt)
    return plan


def _streaming_index(store: StateStore, account: Account) -> BindingIndex:
    # Loaded with the account's fingerprint cut off the source hashes: chunks compare
    # product hashes as they are (`ChunkKeys`).
    index = BindingIndex.load(store, account.name, suffix=account_fingerprint(account))
    index.keep_rows = False
    return index


def plan_stream(
    products: Iterable[Product],
    accounts: Sequence[Account],
    store: StateStore,
    today: date,
    *,
    flt: PlanFilter | None = None,
    chunk: int = DEFAULT_CHUNK,
    held: Callable[[], frozenset[str]] | None = None,
) -> list[AccountPlan]:
    """Dry run of `stream_sync`: per account, every operation it would send, planned chunk
    by chunk the same way. Mapped listings are dropped as each chunk is planned (an
    operation keeps its kind, SKU, changes and reason), so memory stays flat."""
    flt = flt or PlanFilter()
    settlers = {a.name: Settler.peek(store, a, today, chunk, flt) for a in accounts}
    indexes: dict[str, BindingIndex] = {}  # loaded when a chunk is not settled

    def index_of(account: Account) -> BindingIndex:
        if account.name not in indexes:
            indexes[account.name] = _streaming_index(store, account)
        return indexes[account.name]

    merged = {a.name: AccountPlan(a) for a in accounts}
    seen: set[str] = set()
    for batch in chunks(products, chunk):
        item = _Chunk.of(batch, today)
        seen.update(item.skus)
        for account in accounts:
            settler = settlers[account.name]
            plan = settler.settle(item.digest)
            if plan is None:
                plan = _chunk_plan(item, account, index_of(account), today, flt)
                settler.note(item.digest, plan)
            _merge(merged[account.name], plan)
    if held is not None:
        flt = dataclasses.replace(flt, held=flt.held | held())
    for account in accounts:
        if not settlers[account.name].settled_all:
            _merge(merged[account.name], _removals(account, index_of(account), seen, flt))
        loaded = indexes.get(account.name)
        merged[account.name].fresh_state = loaded is not None and loaded.fresh
    return list(merged.values())


def _merge(into: AccountPlan, plan: AccountPlan) -> None:
    for op in plan.operations:
        op.listing = None  # the payload is what weighs; a dry run shows the rest
    into.operations += plan.operations
    into.skips += plan.skips
    into.out_of_scope += plan.out_of_scope
    into.noops += plan.noops
    into.refreshes += plan.refreshes


_END = None  # the producer's last message: the catalog was read to its end


async def stream_sync(
    products: Iterable[Product],
    accounts: Sequence[Account],
    store: StateStore,
    today: date,
    *,
    flt: PlanFilter | None = None,
    chunk: int = DEFAULT_CHUNK,
    kind: str = "sync",
    trigger: str = "cli",
    progress: Progress | None = None,
    limiters: dict[str, RateLimiter] | None = None,
    on_planned: Progress | None = None,
    held: Callable[[], frozenset[str]] | None = None,
    lease_wait: float = 0.0,
) -> list[RunReport]:
    """Plan and push `products` to every account, `chunk` products at a time.

    `products` is consumed once, in a worker thread (reading and validating a catalog file
    is CPU work that would otherwise stall the requests in flight). An exception from it
    stops every pipeline after its current chunk and is raised here once the runs are
    closed; nothing is then delisted as removed. An account whose pipeline fails (its state
    cannot be written) stops; the others go on, and the first such error is raised at the
    end. `on_planned(account, n)` is told the operations each chunk adds to the run (the
    total is not known up front); `progress` counts them as they finish. `held()`, asked
    once the catalog was read, adds SKUs whose rows failed to load to `flt.held`: their
    listings are not delisted as removed. An account another run holds (its lease, waited
    for up to `lease_wait` seconds) is not pushed: its report says who holds it (`busy`).
    """
    flt = flt or PlanFilter()
    limiters = limiters or {}
    queues: dict[str, asyncio.Queue[_Chunk | None]] = {
        a.name: asyncio.Queue(maxsize=LOOKAHEAD) for a in accounts
    }
    seen: set[str] = set()  # every variant SKU of the catalog (to find the removed ones)
    dead: set[str] = set()  # accounts whose pipeline stopped on an error
    complete = asyncio.Event()  # set when the whole catalog was read without error
    batches = chunks(products, chunk)
    held_back: PlanFilter | None = None  # flt with the SKUs held by catalog row errors

    def read_chunk() -> _Chunk | None:
        batch = next(batches, None)
        return None if batch is None else _Chunk.of(batch, today)

    async def produce() -> None:
        try:
            while (item := await asyncio.to_thread(read_chunk)) is not None:
                seen.update(item.skus)
                for name, queue in queues.items():
                    if name not in dead:
                        await queue.put(item)
            if held is not None:
                nonlocal held_back
                held_back = dataclasses.replace(flt, held=flt.held | held())
            complete.set()
        finally:
            # Always end the pipelines, also when reading failed (they then skip removals).
            for name, queue in queues.items():
                if name not in dead:
                    await queue.put(_END)

    def stop(name: str) -> None:
        # A failed pipeline reads no more: drop its queue so the producer never waits on it.
        dead.add(name)
        queue = queues[name]
        while not queue.empty():
            queue.get_nowait()

    async def pipeline(account: Account) -> RunReport:
        connector = get_connector(account.marketplace)
        name = account.name
        run = AccountRun(
            account,
            connector,
            store,
            limiter=limiters.get(name),
            kind=kind,
            trigger=trigger,
            progress=progress,
            lease_wait=lease_wait,
        )
        try:
            async with run:
                settler = await store.call(Settler.open, store, account, today, chunk, flt)
                index: BindingIndex | None = None  # loaded when a chunk is not settled
                while (item := await queues[name].get()) is not _END:
                    plan = settler.settle(item.digest)
                    if plan is None:
                        if index is None:
                            index = await store.call(_streaming_index, store, account)
                        plan = _chunk_plan(item, account, index, today, flt)
                        settler.note(item.digest, plan)
                    if on_planned:
                        on_planned(name, len(plan.operations))
                    await run.push(plan)
                if complete.is_set() and not settler.settled_all:
                    if index is None:
                        index = await store.call(_streaming_index, store, account)
                    plan = await store.call(_removals, account, index, seen, held_back or flt)
                    settler.removals(plan)
                    if on_planned:
                        on_planned(name, len(plan.operations))
                    await run.push(plan)
            report = run.report
            if complete.is_set() and not report.failed and not report.stopped:
                fresh = index is not None and index.fresh
                await store.call(settler.confirm, fresh=fresh)
        except LeaseBusy as error:
            stop(name)
            return busy_report(name, error)
        except BaseException:
            stop(name)
            raise
        return run.report

    results = await asyncio.gather(
        produce(), *(pipeline(a) for a in accounts), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if isinstance(r, RunReport)]
