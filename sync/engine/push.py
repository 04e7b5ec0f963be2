"""The push core: how one account's operations are grouped, gated and sent.

Every driver calls it — the inline streamed and whole-catalog runs (`sync.executor`) and the
Celery batch task (`workers.push`) — so a change to how a push behaves is made here once.
What differs is around it: where results go (`settle`: the inline run commits them all; a
Celery batch holds retriable ones back for a later task retry) and what else must hear that
an account stopped (`AccountGate.on_stop`: the Celery run's other batches).

    pusher = Pusher(account, connector, store, client=..., settle=writer.put, owner=token)
    await pusher.prepare_creates(plan)        # remote scan of an empty state, once a run
    await pusher.send(pusher.group(plan.operations, hold_fast=True))
    await pusher.flush()                      # the last, partly filled price/stock batch
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from connectors.base import Connector, MarketplaceClient
from connectors.errors import AccountError
from connectors.http import RetryPolicy
from sync.batching import chunks_by
from sync.engine.concurrency import at_most
from sync.engine.lease import HeldLease, LeaseLost
from sync.operations import failed, perform, perform_price_stock_batch
from sync.plan import AccountPlan, Operation, OpKind
from sync.settings import Account
from sync.state.leases import Leases
from sync.state.models import BindingStatus
from sync.state.store import PushResult, StateStore

CREATE_CHUNK = 25  # creates one worker sends one after the other (at most; see _create_chunk)
# The create claims (the intent rows) of one round of the workers — `concurrency` ×
# CREATE_CHUNK creates — are taken in one transaction, by whichever worker reaches that
# round first. A claim transaction costs ~1 ms however few rows it holds; taken per chunk it
# was the engine's largest cost per create (see docs/benchmarks.md, floor ratio). The price:
# a run killed mid-way leaves up to a round of claimed-but-unsent creates, which the next
# run looks up before creating (one request each) — never a duplicate.
_CREATE_OR_FAST = frozenset({OpKind.CREATE, OpKind.PRICE, OpKind.STOCK})

Settle = Callable[[list[PushResult]], Awaitable[None]]


def _product(op: Operation) -> str:
    return op.product_sku


class _ClaimRound:
    """Consecutive create chunks whose claims are taken together (see CREATE_CHUNK)."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []
        self.lock = asyncio.Lock()
        self.claimed: dict[str, bool] | None = None  # sku -> look it up first; None: not yet


class AccountGate:
    """Whether the account may still be sent to in this run. The first account-wide error
    (refused credentials, an unreachable marketplace, a lost lease) closes it for good."""

    def __init__(
        self,
        account: str,
        message: str | None = None,
        on_stop: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.account = account
        self.message = message  # why the account stopped, for people
        self.on_stop = on_stop

    @property
    def closed(self) -> bool:
        """True once the account stopped."""
        return self.message is not None

    async def close(self, message: str) -> None:
        """Stop the account; only the first reason is kept and announced."""
        if self.message is None:
            self.message = message
            if self.on_stop is not None:
                await self.on_stop(message)

    def error(self) -> AccountError:
        """The error the operations not sent are recorded with."""
        return AccountError(self.message or "account stopped", account=self.account)


async def record_bookkeeping(store: StateStore, plan: AccountPlan) -> None:
    """Record what a plan decided without sending: skips, and refreshed source hashes."""
    name = plan.account.name
    if plan.skips:
        skips = [(o.sku, o.product_sku, o.reason or "") for o in plan.skips]
        await store.call(store.record_skips, name, skips)
    if plan.refreshes:
        await store.call(store.refresh_sources, name, plan.refreshes)


class Pusher:
    """Sends one account's operations with its concurrency; results go to `settle`."""

    def __init__(
        self,
        account: Account,
        connector: Connector,
        store: StateStore,
        *,
        client: Callable[[], MarketplaceClient],
        settle: Settle,
        owner: str,
        gate: AccountGate | None = None,
        lease: HeldLease | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.account = account
        self.connector = connector
        self.store = store
        self.client = client
        self.settle = settle
        self.owner = owner  # the run's lease token: the create claims are taken in its name
        self.gate = gate or AccountGate(account.name)
        self.lease = lease
        self.policy = policy or RetryPolicy.for_account(account)
        self.leases = Leases(store)
        # What a created or changed listing becomes (some marketplaces review it first).
        self.listed = BindingStatus.IN_REVIEW if connector.reviews else BindingStatus.LISTED
        self.unclaimed: list[Operation] = []  # creates another run holds the claim of
        self._fast: list[Operation] = []  # price/stock changes waiting for a full batch
        self._remote: set[str] | None = None  # SKUs the remote had when the state was empty
        self._lookup_all = False  # the remote scan failed: look every create up first

    # -- before sending -----------------------------------------------------------------
    async def prepare_creates(self, plan: AccountPlan) -> list[Operation]:
        """With no state for this account, scan its remote listings once per run, so that
        creates of SKUs the marketplace already has are looked up (adopted) instead of
        duplicated. One error policy: refused credentials stop the account; any other
        failure means every create looks its SKU up first. Returns the creates marked."""
        creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
        if plan.fresh_state and self._remote is None and not self._lookup_all and creates:
            try:
                client = self.client()
                self._remote = {remote.sku async for remote in client.list_remote(page_size=100)}
            except AccountError as error:
                await self.gate.close(error.message)
            except Exception:
                self._lookup_all = True  # cannot tell which exist: ask before each create
        known = self._remote or set()
        marked = [op for op in creates if self._lookup_all or op.sku in known]
        for op in marked:
            op.lookup_first = True
        return marked

    # -- grouping -----------------------------------------------------------------------
    def group(self, ops: Sequence[Operation], *, hold_fast: bool = False) -> list[list[Operation]]:
        """Units of work: chunks of creates, full price/stock batches, single operations.

        With `hold_fast`, price and stock changes wait for companions across calls until a
        batch is full: a streamed run plans a chunk at a time, and 1 % changed spread over
        100 chunks would otherwise send 100 small batches instead of a full one per 50
        changes. What is left goes out with `flush`."""
        creates = [op for op in ops if op.kind is OpKind.CREATE]
        fast = [op for op in ops if op.kind in (OpKind.PRICE, OpKind.STOCK)]
        rest = [op for op in ops if op.kind not in _CREATE_OR_FAST]
        # A product's creates stay in one chunk, sent one after the other: on a marketplace
        # where a product's variants are one item (Shopee), its first create makes the item
        # and the next ones add to it; two senders would each make an item.
        items = list(chunks_by(creates, self._create_chunk(len(creates)), _product))
        size = self.connector.batch_size
        if size > 1:
            self._fast += fast
            full = len(self._fast) - len(self._fast) % size if hold_fast else len(self._fast)
            items += [self._fast[i : i + size] for i in range(0, full, size)]
            del self._fast[:full]
        else:
            items += [[op] for op in fast]
        return items + [[op] for op in rest]

    def _create_chunk(self, creates: int) -> int:
        """Creates one worker sends in a row: CREATE_CHUNK, or fewer when there are too few
        creates to give every worker a chunk — a Celery batch of 50 creates made two chunks of
        25, so two of the account's eight connections did all the work."""
        # Rounded down: a chunk closes only at a product's end, so it may pass its size.
        return max(1, min(CREATE_CHUNK, creates // max(1, self.account.concurrency)))

    async def flush(self) -> None:
        """Send the price/stock changes still waiting for a full batch."""
        if self._fast:
            items, self._fast = [self._fast], []
            await self.send(items)

    # -- sending ------------------------------------------------------------------------
    async def send(self, items: list[list[Operation]]) -> None:
        """Run the items with the account's concurrency. A failing listing never stops the
        others; an account-wide error stops the account's remaining items; anything else
        raised (the state store away) cancels the items in flight and goes up."""
        rounds = list(zip(items, self._claim_rounds(items), strict=True))
        await at_most(self.account.concurrency, rounds, lambda pair: self._handle(*pair))

    def _may_send(self) -> None:
        if self.lease is not None:
            self.lease.check()
        if self.gate.closed:
            raise self.gate.error()

    def _claim_rounds(self, items: list[list[Operation]]) -> list[_ClaimRound | None]:
        """Each item's claim round, in the order they are sent (None: not creates)."""
        size = max(1, self.account.concurrency) * CREATE_CHUNK
        rounds: list[_ClaimRound | None] = []
        current = _ClaimRound()
        for item in items:
            if item[0].kind is not OpKind.CREATE:
                rounds.append(None)
                continue
            if len(current.ops) >= size:
                current = _ClaimRound()
            current.ops += item
            rounds.append(current)
        return rounds

    async def _handle(self, item: list[Operation], claims: _ClaimRound | None) -> None:
        pending = list(item)  # operations of this item not yet answered
        try:
            self._may_send()
            if item[0].kind is OpKind.CREATE:
                assert claims is not None  # every create chunk has its round
                pending = await self._claim(item, claims)
                while pending:
                    self._may_send()
                    result = await perform(self.client(), pending[0], self.policy, self.listed)
                    pending.pop(0)
                    await self.settle([result])
            elif item[0].kind in (OpKind.PRICE, OpKind.STOCK) and self.connector.batch_size > 1:
                results = await perform_price_stock_batch(self.client(), item)
                pending.clear()
                await self.settle(results)
            else:
                result = await perform(self.client(), item[0], self.policy, self.listed)
                pending.clear()
                await self.settle([result])
        except LeaseLost as error:
            # Not failures: the run that took the account over pushes them.
            await self.gate.close(str(error))
        except AccountError as error:
            await self.gate.close(error.message)
            await self.settle([failed(op, error) for op in pending])

    async def _claim(self, creates: list[Operation], claims: _ClaimRound) -> list[Operation]:
        """The creates of this chunk whose claim this run holds (taking the claims of the
        chunk's whole round first if no worker has yet); the others go to `unclaimed`."""
        async with claims.lock:  # a worker cancelled mid-claim leaves it to the next
            if claims.claimed is None:
                items = [(op.sku, op.product_sku) for op in claims.ops]
                claims.claimed = await self.store.call(
                    self.leases.claim_creates, self.account.name, self.owner, items
                )
        claimed = claims.claimed
        mine = []
        for op in creates:
            if op.sku not in claimed:
                self.unclaimed.append(op)
                continue
            op.lookup_first = op.lookup_first or claimed[op.sku]
            mine.append(op)
        return mine
