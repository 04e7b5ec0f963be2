"""Following listings through a marketplace's review (TikTok Shop, Alibaba.com).

A listing pushed to a marketplace that reviews listings is recorded IN_REVIEW, not listed
and not failed. Each run asks the marketplace about the ones waiting longest, before it
plans and after it pushed (a bounded number, so a run's cost stays bounded whatever the
backlog), and records the answer:
approved → listed (its waiting price and stock changes then go out with the next plan),
rejected → failed with the marketplace's reasons, still pending → unchanged. Reconcile
does the same for every listing it scans.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connectors.base import MarketplaceClient, RemoteListing, Review
from sync.engine.concurrency import at_most
from sync.state.models import BindingRecord, BindingStatus
from sync.state.store import StateStore

# In-review listings asked about at each end of a run, oldest first: bounded, so a long
# backlog costs a run at most this many lookups (account option `review_follow_per_run`).
FOLLOW_PER_RUN = 300


def follow_limit(options: dict[str, Any]) -> int:
    """The account's number of in-review listings to ask about at each end of a run."""
    return int(options.get("review_follow_per_run", FOLLOW_PER_RUN))


def waiting(store: StateStore, account: str, limit: int = FOLLOW_PER_RUN) -> list[str]:
    """SKUs of the account's listings in review, those waiting longest first."""
    query = (
        select(BindingRecord.sku)
        .where(
            BindingRecord.account == account,
            BindingRecord.status == BindingStatus.IN_REVIEW.value,
        )
        .order_by(BindingRecord.updated_at)
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def review_outcome(remote: RemoteListing | None) -> dict[str, Any] | None:
    """The binding fields a review answer sets; None while the review goes on."""
    if remote is None:
        return {
            "status": BindingStatus.FAILED.value,
            "reason": "gone from the marketplace while in review",
            "error_kind": "ReviewGone",
            "remote_id": None,
            "create_attempted": False,
            "source_hash": None,
        }
    if remote.review is Review.PENDING:
        return None
    if remote.review is Review.REJECTED:
        return {
            "status": BindingStatus.FAILED.value,
            "reason": f"rejected in review: {remote.review_reason or 'no reason given'}",
            "error_kind": "ReviewRejected",
            "source_hash": None,  # the next plan sends it again once the catalog changes
        }
    return {"status": BindingStatus.LISTED.value, "reason": None, "error_kind": None}


async def follow_reviews(client: MarketplaceClient, store: StateStore) -> dict[str, int]:
    """Ask about the account's longest-waiting listings in review; record the answers.
    Returns how many became listed, failed, or are still in review.

    The lookups go `concurrency` at a time, as the account's pushes do (one at a time, the
    300 lookups at the end of a run took ~0.7 s of a run's tail on a loopback sandbox, and
    with a marketplace 100 ms away, 30 s). When one fails, the others stop, the answers
    already in are recorded, and the error is raised for the caller's policy.
    """
    account = client.account.name
    limit = follow_limit(client.account.options)
    skus = await store.call(waiting, store, account, limit)
    answers: dict[str, RemoteListing | None] = {}

    async def ask(sku: str) -> None:
        answers[sku] = await client.find_by_sku(sku)

    try:
        await at_most(client.account.concurrency, skus, ask)
    finally:
        counts = await _record_answers(store, account, answers)
    return counts


async def _record_answers(
    store: StateStore, account: str, answers: dict[str, RemoteListing | None]
) -> dict[str, int]:
    counts = {"listed": 0, "failed": 0, "in_review": 0}
    observed: dict[str, dict[str, Any]] = {}
    for sku, remote in answers.items():
        outcome = review_outcome(remote)
        if outcome is None:
            counts["in_review"] += 1
            continue
        observed[sku] = outcome
        counts[str(outcome["status"])] += 1
    if observed:
        await store.call(store.apply_observations, account, observed)
    return counts
