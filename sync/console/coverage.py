"""OCOP coverage: how much of the catalog's listable products is on sale, per account, by
stars, OCOP group and place; and the certificates about to expire with what they take down.

"Eligible" is a variant of a product that may be listed today (`Product.listability`);
"listed" is a binding in status listed. A catalog is read once per change of its file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from threading import Lock

from sync.catalog import Catalog, Product
from sync.catalog_io import load_catalog
from sync.state.models import BindingStatus
from sync.state.store import StateStore

HORIZONS = (30, 60, 90)


class CatalogCache:
    """The configured catalog, reloaded when its file changes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: float | None = None
        self._catalog: Catalog | None = None
        self._lock = Lock()

    def get(self) -> Catalog | None:
        """The catalog's valid products (None without a configured catalog)."""
        if self.path is None:
            return None
        with self._lock:
            stamp = self.path.stat().st_mtime
            if self._catalog is None or stamp != self._stamp:
                self._catalog, self._stamp = load_catalog(self.path).catalog, stamp
            return self._catalog


@dataclass
class Tally:
    """Eligible and listed variant counts of one row of a coverage table."""

    eligible: int = 0
    listed: dict[str, int] = field(default_factory=Counter)  # by account

    def share(self, account: str) -> float:
        """Listed share of the eligible ones, 0..1."""
        return self.listed[account] / self.eligible if self.eligible else 0.0


@dataclass
class Coverage:
    """Coverage tables by stars, OCOP group and province / commune, per account."""

    accounts: list[str]
    total: Tally
    listed_all: dict[str, int]  # every listed binding of the account, in the catalog or not
    by_stars: dict[int, Tally]
    by_group: dict[str, Tally]
    by_place: dict[tuple[str, str], Tally]


def listed_skus(store: StateStore, account: str) -> set[str]:
    """The SKUs listed on one account."""
    return {
        sku for sku, b in store.bindings(account).items() if b.status == BindingStatus.LISTED.value
    }


def coverage(catalog: Catalog, store: StateStore, accounts: list[str], today: date) -> Coverage:
    """Count eligible variants and those listed on each account."""
    listed = {a: listed_skus(store, a) for a in accounts}
    total = Tally()
    by_stars: dict[int, Tally] = defaultdict(Tally)
    by_group: dict[str, Tally] = defaultdict(Tally)
    by_place: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for product in catalog:
        if not product.listability(today).ok:
            continue
        place = (
            product.address.current_province or product.address.province,
            product.address.commune,
        )
        rows = (total, by_stars[product.ocop.stars], by_group[product.ocop.group], by_place[place])
        for variant in product.variants:
            for tally in rows:
                tally.eligible += 1
                for account in accounts:
                    tally.listed[account] += variant.sku in listed[account]
    return Coverage(
        accounts,
        total,
        {a: len(skus) for a, skus in listed.items()},
        dict(sorted(by_stars.items(), reverse=True)),
        dict(sorted(by_group.items())),
        dict(sorted(by_place.items())),
    )


@dataclass
class Expiring:
    """A product whose certificate ends soon, and its listings that will be delisted."""

    product: Product
    expires: date
    days_left: int
    listed: dict[str, list[str]]  # account -> listed variant SKUs

    @property
    def delisted_on(self) -> date:
        """The first day a sync delists it (the day after the certificate's last day)."""
        return self.expires + timedelta(days=1)


def expiring(
    catalog: Catalog, store: StateStore, accounts: list[str], today: date
) -> dict[int, list[Expiring]]:
    """Certified products whose certificate ends within 30, 60 or 90 days (each in the
    first horizon it falls in), soonest first."""
    listed = {a: listed_skus(store, a) for a in accounts}
    out: dict[int, list[Expiring]] = {h: [] for h in HORIZONS}
    for product in catalog:
        certificate = product.certificate
        if certificate is None or not product.listability(today).ok:
            continue
        days = (certificate.expires - today).days
        horizon = next((h for h in HORIZONS if days <= h), None)
        if horizon is None:
            continue
        on_sale = {a: [v.sku for v in product.variants if v.sku in listed[a]] for a in accounts}
        out[horizon].append(
            Expiring(product, certificate.expires, days, {a: s for a, s in on_sale.items() if s})
        )
    for items in out.values():
        items.sort(key=lambda e: (e.expires, e.product.sku))
    return out
