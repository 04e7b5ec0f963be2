"""The one function that performs an operation against a marketplace.

The inline executor and the Celery task both call `perform` / `perform_price_stock_batch`;
only the scheduling around them differs (design.md §2).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from connectors.base import Listing, MarketplaceClient
from connectors.errors import AccountError, MarketplaceError, NotFoundError
from connectors.http import RetryPolicy
from connectors.idempotency import CreateOutcome, create_once
from connectors.observe import LAST_STATUS
from sync.observe.context import SKU
from sync.plan import Operation, OpKind
from sync.state.models import BindingStatus
from sync.state.store import PushResult


def succeeded(
    op: Operation, remote_id: str | None, status: BindingStatus, started: float | None = None
) -> PushResult:
    """The result a successful operation records (also what a seeded state writes)."""
    listing = op.listing
    return PushResult(
        account=op.account,
        sku=op.sku,
        product_sku=op.product_sku,
        operation=op.kind.value,
        ok=True,
        status=status.value,
        remote_id=remote_id,
        content_hash=listing.content_hash if listing else None,
        source_hash=op.source_hash,
        price=str(listing.price) if listing else None,
        stock=listing.stock if listing else None,
        message=op.reason if op.kind is OpKind.DELIST else None,
        http_status=LAST_STATUS.get(),  # the operation's last answer (see `perform`)
        duration_ms=(time.perf_counter() - started) * 1000 if started is not None else 0.0,
        changed=list(op.changed),
    )


def failed(op: Operation, error: BaseException, started: float | None = None) -> PushResult:
    """A failure result carrying the marketplace's own message (never a secret)."""
    if isinstance(error, MarketplaceError):
        message, kind, status = error.message, type(error).__name__, error.status
    else:  # a bug or an unexpected answer: recorded, never allowed to stop the others
        message, kind, status = f"{type(error).__name__}: {error}", "internal", None
    return PushResult(
        account=op.account,
        sku=op.sku,
        product_sku=op.product_sku,
        operation=op.kind.value,
        ok=False,
        status=BindingStatus.FAILED.value,
        remote_id=op.remote_id,
        message=message,
        error_kind=kind,
        http_status=status,
        duration_ms=(time.perf_counter() - started) * 1000 if started is not None else 0.0,
        changed=list(op.changed),
    )


ADOPTED = "adopt"  # the outcome of a create answered by a listing the marketplace had


async def _ensure(client: MarketplaceClient, op: Operation, policy: RetryPolicy) -> CreateOutcome:
    """Create once, or adopt the existing listing and bring it in line."""
    listing = op.listing
    assert listing is not None
    outcome = await create_once(client, listing, policy, known_absent=not op.lookup_first)
    existing = outcome.existing
    if existing is not None:
        if (
            existing.content_hash != listing.content_hash
            or str(existing.price) != str(listing.price)
            or existing.stock != listing.stock
        ):
            await client.update(outcome.remote_id, listing)
        if not existing.active:
            await client.relist(outcome.remote_id, listing.sku)
    return outcome


async def perform(
    client: MarketplaceClient,
    op: Operation,
    policy: RetryPolicy,
    listed: BindingStatus = BindingStatus.LISTED,
) -> PushResult:
    """Carry out one operation; never raises for marketplace errors except AccountError.

    `listed` is what a created or changed listing becomes: IN_REVIEW on a marketplace that
    reviews listings before they go on sale."""
    started = time.perf_counter()
    LAST_STATUS.set(None)  # the HTTP layer sets it per answer, in this task
    SKU.set(op.sku)  # log lines of this operation name its listing
    listing: Listing | None = op.listing
    try:
        remote_id = op.remote_id
        if op.kind is OpKind.CREATE:
            outcome = await _ensure(client, op, policy)
            result = succeeded(op, outcome.remote_id, listed, started)
            if not outcome.created:  # found on the marketplace and bound: no create sent
                result.operation = ADOPTED
            return result
        elif op.kind is OpKind.DELIST:
            assert remote_id is not None
            # Already gone from the marketplace: the goal is reached.
            with contextlib.suppress(NotFoundError):
                await client.delist(remote_id, op.sku)
            return succeeded(op, remote_id, BindingStatus.DELISTED, started)
        else:
            assert remote_id is not None and listing is not None
            try:
                if op.kind in (OpKind.UPDATE, OpKind.RELIST) and (
                    op.kind is OpKind.UPDATE or len(op.changed) > 1
                ):
                    await client.update(remote_id, listing)
                if op.kind is OpKind.RELIST:
                    await client.relist(remote_id, op.sku)
                if op.kind is OpKind.PRICE:
                    await client.update_price(remote_id, listing)
                if op.kind is OpKind.STOCK or (op.kind is OpKind.PRICE and "stock" in op.changed):
                    await client.update_stock(remote_id, listing)
            except NotFoundError:
                # Deleted on the marketplace by hand: create it again (looking up first).
                op.lookup_first = True
                remote_id = (await _ensure(client, op, policy)).remote_id
        reviewed = op.kind in (OpKind.UPDATE, OpKind.RELIST)
        return succeeded(op, remote_id, listed if reviewed else BindingStatus.LISTED, started)
    except AccountError:
        raise  # fatal for the whole account: the caller stops this account's work
    except Exception as error:
        return failed(op, error, started)


async def perform_price_stock_batch(
    client: MarketplaceClient, ops: Sequence[Operation]
) -> list[PushResult]:
    """Price/stock fast paths for many listings in as few calls as the marketplace allows."""
    started = time.perf_counter()
    LAST_STATUS.set(None)
    items: list[tuple[str, Listing]] = [
        (op.remote_id or "", op.listing) for op in ops if op.listing is not None
    ]
    # What changed per listing: a marketplace with a call per field (Shopee, TikTok Shop)
    # then sends only those calls.
    changed = {op.sku: op.changed for op in ops}
    try:
        results = await client.update_prices_stocks(items, changed=changed)
    except AccountError:
        raise
    except Exception as error:
        return [failed(op, error, started) for op in ops]
    by_sku = {result.sku: result for result in results}
    out = []
    for op in ops:
        result = by_sku.get(op.sku)
        if result is None or result.error is not None:
            problem = result.error if result is not None else None
            out.append(failed(op, problem or RuntimeError("no result for item"), started))
        else:
            out.append(succeeded(op, op.remote_id, BindingStatus.LISTED, started))
    return out
