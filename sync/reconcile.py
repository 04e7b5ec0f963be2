"""Reconcile: compare an account's remote listings with the state store.

Listings deleted or edited on the marketplace by hand are marked so that the next sync
re-pushes them; remote listings we do not know are reported, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.base import MarketplaceClient
from connectors.errors import MarketplaceError
from connectors.registry import get_connector
from sync.engine.review import review_outcome
from sync.state.models import BindingStatus
from sync.state.store import StateStore


@dataclass
class ReconcileReport:
    """What the remote side looked like compared with our state."""

    account: str
    remote_total: int = 0
    missing: list[str] = field(default_factory=list)  # we think listed, marketplace lacks it
    edited: list[str] = field(default_factory=list)  # content/price/stock changed remotely
    inactive: list[str] = field(default_factory=list)  # taken off sale remotely
    unknown: list[str] = field(default_factory=list)  # on the marketplace, not ours
    # SKUs the marketplace has on sale more than once: their remote ids (`ocop-sync dedupe`)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    busy: str | None = None  # not scanned: another run holds the account
    error: str | None = None  # not scanned: the marketplace refused or did not answer

    def as_dict(self) -> dict[str, object]:
        """JSON view."""
        return {
            "account": self.account,
            "remote_total": self.remote_total,
            "missing": self.missing,
            "edited": self.edited,
            "inactive": self.inactive,
            "unknown": self.unknown,
            "duplicates": [
                {"sku": sku, "count": len(ids), "remote_ids": ids}
                for sku, ids in sorted(self.duplicates.items())
            ],
            "busy": self.busy,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReconcileReport:
        """Back from `as_dict` (a Celery worker's answer); missing lists are empty."""
        return cls(
            account=str(data["account"]),
            remote_total=int(data.get("remote_total") or 0),
            missing=list(data.get("missing") or []),
            edited=list(data.get("edited") or []),
            inactive=list(data.get("inactive") or []),
            unknown=list(data.get("unknown") or []),
            duplicates={d["sku"]: list(d["remote_ids"]) for d in data.get("duplicates") or []},
            busy=data.get("busy"),
            error=data.get("error"),
        )

    @classmethod
    def failed(cls, account: str, error: MarketplaceError) -> ReconcileReport:
        """An account whose scan the marketplace stopped (the same words on every path)."""
        return cls(account, error=f"{type(error).__name__}: {str(error).strip()}")


async def reconcile_account(client: MarketplaceClient, store: StateStore) -> ReconcileReport:
    """Scan the remote listings and mark drifted bindings for the next sync."""
    account = client.account.name
    report = ReconcileReport(account)
    same = get_connector(client.account.marketplace).same_remote
    bindings = store.bindings(account)
    copies: dict[str, list[str]] = {}
    on_sale: dict[str, list[str]] = {}  # copies on sale: the duplicates that harm a seller
    observed: dict[str, dict[str, object]] = {}
    async for remote in client.list_remote(page_size=100):
        report.remote_total += 1
        copies.setdefault(remote.sku, []).append(remote.remote_id)
        if remote.active:
            on_sale.setdefault(remote.sku, []).append(remote.remote_id)
        binding = bindings.get(remote.sku)
        bound = binding.remote_id if binding is not None else None
        if (bound and not same(bound, remote.remote_id)) or (
            not bound and len(copies[remote.sku]) > 1
        ):
            continue  # an extra copy of a SKU: only the bound one (or the first) is compared
        if bound and bound != remote.remote_id:  # the same listing, its id in a newer form
            observed[remote.sku] = {"remote_id": remote.remote_id}
        if binding is None or binding.remote_id is None:
            if binding is None:
                report.unknown.append(remote.sku)
            else:  # a create whose answer we never saw: adopt it
                observed[remote.sku] = {  # (unbound: nothing observed of it yet)
                    "remote_id": remote.remote_id,
                    "status": BindingStatus.LISTED.value,
                    "content_hash": remote.content_hash,
                    "price": str(remote.price),
                    "stock": remote.stock,
                    "source_hash": None,
                }
            continue
        if binding.status == BindingStatus.IN_REVIEW.value:
            outcome = review_outcome(remote)
            if outcome is not None:
                observed.setdefault(remote.sku, {}).update(outcome)
            continue
        if binding.status != BindingStatus.LISTED.value:
            continue
        if not remote.active:
            report.inactive.append(remote.sku)
            observed.setdefault(remote.sku, {}).update(
                {"status": BindingStatus.DELISTED.value, "source_hash": None}
            )
        elif (
            remote.content_hash != binding.content_hash
            or str(remote.price) != binding.price
            or remote.stock != binding.stock
        ):
            report.edited.append(remote.sku)
            observed.setdefault(remote.sku, {}).update(
                {
                    "content_hash": remote.content_hash,
                    "price": str(remote.price),
                    "stock": remote.stock,
                    "source_hash": None,
                }
            )
    report.duplicates = {sku: ids for sku, ids in on_sale.items() if len(ids) > 1}
    live = (BindingStatus.LISTED.value, BindingStatus.IN_REVIEW.value)
    for sku, binding in bindings.items():
        if binding.status in live and binding.remote_id and sku not in copies:
            report.missing.append(sku)
            # Known absent: the next sync creates it without a lookup.
            observed[sku] = {
                "remote_id": None,
                "status": BindingStatus.PENDING.value,
                "create_attempted": False,
                "source_hash": None,
            }
    store.apply_observations(account, observed)
    return report
