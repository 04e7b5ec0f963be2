"""Dedupe: find the remote listings that carry one seller SKU more than once, and delist
the extra copies, keeping the one the state has bound (or, with none bound, the first the
marketplace lists)."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.base import MarketplaceClient
from connectors.errors import AccountError, MarketplaceError
from connectors.registry import get_connector
from sync.state.store import StateStore


@dataclass
class DedupeReport:
    """Per duplicated SKU the copy kept and the copies delisted (or to delist: dry run)."""

    account: str
    applied: bool
    keep: dict[str, str] = field(default_factory=dict)  # sku -> remote id kept
    extra: dict[str, list[str]] = field(default_factory=dict)  # sku -> remote ids to delist
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (sku, remote id, why)
    busy: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON view."""
        return {
            "account": self.account,
            "applied": self.applied,
            "duplicates": [
                {"sku": sku, "keep": self.keep[sku], "delist": ids}
                for sku, ids in sorted(self.extra.items())
            ],
            "failed": [{"sku": s, "remote_id": r, "message": m} for s, r, m in self.failed],
            "busy": self.busy,
        }


async def dedupe_account(
    client: MarketplaceClient, store: StateStore, *, apply: bool
) -> DedupeReport:
    """Scan the account; with `apply`, delist every copy but the kept one of each SKU."""
    account = client.account.name
    report = DedupeReport(account, applied=apply)
    copies: dict[str, list[str]] = {}
    async for remote in client.list_remote(page_size=100):
        if remote.active:  # a copy already off sale harms nobody
            copies.setdefault(remote.sku, []).append(remote.remote_id)
    duplicated = {sku: ids for sku, ids in copies.items() if len(ids) > 1}
    same = get_connector(client.account.marketplace).same_remote
    bindings = store.bindings(account, skus=duplicated) if duplicated else {}
    for sku, ids in sorted(duplicated.items()):
        binding = bindings.get(sku)
        bound = binding.remote_id if binding else None
        report.keep[sku] = next((rid for rid in ids if bound and same(bound, rid)), ids[0])
        report.extra[sku] = [rid for rid in ids if rid != report.keep[sku]]
    if apply:
        for sku, ids in report.extra.items():
            for remote_id in ids:
                try:
                    await client.delist(remote_id, sku)
                except AccountError:
                    raise
                except MarketplaceError as error:
                    report.failed.append((sku, remote_id, error.message))
    return report
