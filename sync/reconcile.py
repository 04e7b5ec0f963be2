"""Reconcile: compare an account's remote listings with the state store.

Listings deleted or edited on the marketplace by hand are marked so that the next sync
re-pushes them; remote listings we do not know are reported, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.base import MarketplaceClient
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

    def as_dict(self) -> dict[str, object]:
        """JSON view."""
        return {
            "account": self.account,
            "remote_total": self.remote_total,
            "missing": self.missing,
            "edited": self.edited,
            "inactive": self.inactive,
            "unknown": self.unknown,
        }


async def reconcile_account(client: MarketplaceClient, store: StateStore) -> ReconcileReport:
    """Scan the remote listings and mark drifted bindings for the next sync."""
    account = client.account.name
    report = ReconcileReport(account)
    bindings = store.bindings(account)
    seen: set[str] = set()
    observed: dict[str, dict[str, object]] = {}
    async for remote in client.list_remote(page_size=100):
        report.remote_total += 1
        seen.add(remote.sku)
        binding = bindings.get(remote.sku)
        if binding is None or binding.remote_id is None:
            if binding is None:
                report.unknown.append(remote.sku)
            else:  # a create whose answer we never saw: adopt it
                observed[remote.sku] = {
                    "remote_id": remote.remote_id,
                    "status": BindingStatus.LISTED.value,
                    "content_hash": remote.content_hash,
                    "price": str(remote.price),
                    "stock": remote.stock,
                    "source_hash": None,
                }
            continue
        if binding.status != BindingStatus.LISTED.value:
            continue
        if not remote.active:
            report.inactive.append(remote.sku)
            observed[remote.sku] = {"status": BindingStatus.DELISTED.value, "source_hash": None}
        elif (
            remote.content_hash != binding.content_hash
            or str(remote.price) != binding.price
            or remote.stock != binding.stock
        ):
            report.edited.append(remote.sku)
            observed[remote.sku] = {
                "content_hash": remote.content_hash,
                "price": str(remote.price),
                "stock": remote.stock,
                "source_hash": None,
            }
    for sku, binding in bindings.items():
        if binding.status == BindingStatus.LISTED.value and binding.remote_id and sku not in seen:
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
