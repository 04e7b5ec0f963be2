"""TikTok's audit: every new or edited product is reviewed before it goes on sale.

A product is PENDING while TikTok reviews it, then ACTIVATE (live) or FAILED (rejected,
with `audit_failed_reasons`). The engine's contract has no such state, so the TikTok
client reports it on its remote listings (`TikTokRemoteListing.audit`): a listing that is
in audit is neither failed nor off sale, and one TikTok rejected carries TikTok's reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.base import RemoteListing, Review
from connectors.tiktok import api


class AuditState(StrEnum):
    """Where a product stands in TikTok's review."""

    DRAFT = "draft"
    IN_AUDIT = "in_audit"
    APPROVED = "approved"
    REJECTED = "rejected"


# The engine's view of each state (connectors.base.Review); a draft was never submitted.
REVIEWS = {
    AuditState.IN_AUDIT: Review.PENDING,
    AuditState.APPROVED: Review.APPROVED,
    AuditState.REJECTED: Review.REJECTED,
}


def audit_state(status: str) -> AuditState:
    """The audit state a TikTok product status stands for."""
    if status == api.STATUS_PENDING:
        return AuditState.IN_AUDIT
    if status == api.STATUS_FAILED:
        return AuditState.REJECTED
    if status == api.STATUS_DRAFT:
        return AuditState.DRAFT
    return AuditState.APPROVED


def audit_reasons(product: dict[str, Any]) -> tuple[str, ...]:
    """TikTok's reasons for a rejection, flattened (`audit_failed_reasons`)."""
    reasons: list[str] = []
    for failure in product.get("audit_failed_reasons") or []:
        position = str(failure.get("position") or "").strip()
        for reason in failure.get("reasons") or []:
            reasons.append(f"{position}: {reason}" if position else str(reason))
    return tuple(reasons)


@dataclass(frozen=True)
class TikTokRemoteListing(RemoteListing):
    """A remote listing with TikTok's product status and audit state."""

    status: str = api.STATUS_LIVE
    audit: AuditState = AuditState.APPROVED
    audit_reasons: tuple[str, ...] = ()

    @property
    def in_audit(self) -> bool:
        """True while TikTok reviews the product (not failed, not yet on sale)."""
        return self.audit is AuditState.IN_AUDIT
