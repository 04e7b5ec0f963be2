"""In-memory listing store of a sandbox, per seller, optionally persisted to a JSON file."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class SellerStore:
    """One seller's listings. Remote ids are assigned in creation order."""

    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_sku: dict[str, list[str]] = field(default_factory=dict)
    duplicates: int = 0

    def create(self, remote_id: str, sku: str, record: dict[str, Any]) -> None:
        """Store a new listing; a second listing for a known SKU counts as a duplicate."""
        ids = self.by_sku.setdefault(sku, [])
        if ids:
            # A real marketplace would happily keep both: that is exactly what the client
            # must never cause, so the sandbox counts it instead of refusing.
            self.duplicates += 1
        ids.append(remote_id)
        self.listings[remote_id] = {"id": remote_id, "sku": sku, **record}

    def find_sku(self, sku: str) -> dict[str, Any] | None:
        """The first listing with this SKU, if any."""
        ids = self.by_sku.get(sku)
        return self.listings[ids[0]] if ids else None

    def delete(self, remote_id: str) -> bool:
        """Remove a listing (as a seller deleting it by hand in the web portal)."""
        record = self.listings.pop(remote_id, None)
        if record is None:
            return False
        ids = self.by_sku.get(record["sku"], [])
        if remote_id in ids:
            ids.remove(remote_id)
        if not ids:
            self.by_sku.pop(record["sku"], None)
        return True

    def page(self, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
        """Listings of page `page` (1-based) and the total count."""
        items = list(self.listings.values())
        start = (page - 1) * size
        return items[start : start + size], len(items)


class ListingStore:
    """All sellers' listings of one sandbox, plus request statistics."""

    def __init__(
        self,
        persist: Path | None = None,
        is_active: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.persist = persist
        # How this marketplace marks a listing on/off sale (default: an "active" flag).
        self.is_active = is_active or (lambda record: bool(record.get("active", True)))
        self.sellers: dict[str, SellerStore] = {}
        self.counters: Counter[str] = Counter()
        # Requests served (not throttled) per seller per wall-clock second.
        self.served_per_second: dict[str, Counter[int]] = {}
        self.in_flight: Counter[str] = Counter()  # requests in progress, per seller
        self.peak_in_flight: Counter[str] = Counter()
        self._next_id = 100000
        self._lock = threading.Lock()
        if persist and persist.exists():
            self._load(persist)

    def public_id(self, record: dict[str, Any]) -> str:
        """The listing's id as the marketplace's client names it (the remote id a state
        records), shown by `/_sandbox/listings`. The store's own key unless overridden."""
        return str(record["id"])

    def record_id(self, remote_id: str) -> str:
        """The store's key of the listing a client's remote id names (inverse of
        `public_id`)."""
        return remote_id

    def seller(self, seller_id: str) -> SellerStore:
        """The store of one seller (created on first use)."""
        return self.sellers.setdefault(seller_id, SellerStore())

    def new_id(self) -> str:
        """A fresh remote id."""
        with self._lock:
            self._next_id += 1
            return str(self._next_id)

    def note_served(self, seller_id: str, second: int) -> None:
        """Count one served request in its second (for rate-limit assertions)."""
        self.served_per_second.setdefault(seller_id, Counter())[second] += 1

    def enter(self, seller_id: str) -> None:
        """One more of the seller's requests in progress (its peak is kept for stats)."""
        now = self.in_flight[seller_id] = self.in_flight[seller_id] + 1
        self.peak_in_flight[seller_id] = max(self.peak_in_flight[seller_id], now)

    def leave(self, seller_id: str) -> None:
        """One of the seller's requests answered."""
        self.in_flight[seller_id] -= 1

    def stats(self) -> dict[str, Any]:
        """Figures for `/_sandbox/stats`."""
        per_seller = {
            seller: {
                "listings": len(store.listings),
                "active": sum(1 for item in store.listings.values() if self.is_active(item)),
                "duplicates": store.duplicates,
                "max_served_per_second": max(self.served_per_second.get(seller, {0: 0}).values()),
                # The most of the seller's requests in progress at once (a client's concurrency).
                "max_in_flight": self.peak_in_flight[seller],
            }
            for seller, store in self.sellers.items()
        }
        return {
            "requests": self.counters["requests"],
            "served": self.counters["served"],
            "throttled": self.counters["throttled"],
            "faults_injected": self.counters["faults"],
            "faults_by_kind": {
                k.removeprefix("fault:"): v
                for k, v in self.counters.items()
                if k.startswith("fault:")
            },
            "writes": self.counters["writes"],
            "listings": sum(s["listings"] for s in per_seller.values()),
            "duplicates": sum(s["duplicates"] for s in per_seller.values()),
            "max_served_per_second": max(
                (s["max_served_per_second"] for s in per_seller.values()), default=0
            ),
            "sellers": per_seller,
        }

    def reset(self) -> None:
        """Forget every listing and counter."""
        self.sellers.clear()
        self.counters.clear()
        self.served_per_second.clear()
        self.in_flight.clear()
        self.peak_in_flight.clear()

    def save(self) -> None:
        """Write listings to the persist file (atomically)."""
        if not self.persist:
            return
        data = {
            "next_id": self._next_id,
            "sellers": {
                name: {"listings": s.listings, "by_sku": s.by_sku, "duplicates": s.duplicates}
                for name, s in self.sellers.items()
            },
        }
        tmp = self.persist.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.persist)

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self._next_id = int(data.get("next_id", self._next_id))
        for name, raw in data.get("sellers", {}).items():
            self.sellers[name] = SellerStore(raw["listings"], raw["by_sku"], raw["duplicates"])
