"""Plan: catalog + mapping + state -> the next operation per listing. Hashing only, no HTTP."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from connectors.base import Connector, Listing, stable_hash
from connectors.registry import get_connector
from sync.catalog import Catalog, Listability, Product
from sync.gcpause import gc_paused
from sync.selection import left_out
from sync.settings import Account
from sync.state.index import BindingIndex
from sync.state.models import BindingStatus
from sync.state.store import Binding


class OpKind(StrEnum):
    """What to do with one listing."""

    CREATE = "create"
    UPDATE = "update"  # content changed (sends everything)
    RELIST = "relist"  # was delisted, is listable again (updates first if needed)
    PRICE = "price"  # fast path: price (and stock if it changed too)
    STOCK = "stock"  # fast path: stock only
    DELIST = "delist"
    NOOP = "noop"
    SKIP = "skip"


PUSH_KINDS = frozenset(
    {OpKind.CREATE, OpKind.UPDATE, OpKind.RELIST, OpKind.PRICE, OpKind.STOCK, OpKind.DELIST}
)

# Plain strings for the per-listing loops: an Enum member's `.value` is a descriptor call,
# and the no-op pass reads a status for every listing of every account.
_LISTED = BindingStatus.LISTED.value
_FAILED = BindingStatus.FAILED.value
_DELISTED = BindingStatus.DELISTED.value
_IN_REVIEW = BindingStatus.IN_REVIEW.value


@dataclass(slots=True)
class Operation:
    """One planned action on one listing of one account."""

    kind: OpKind
    account: str
    sku: str
    product_sku: str
    listing: Listing | None = None
    remote_id: str | None = None
    reason: str | None = None
    changed: list[str] = field(default_factory=list)
    source_hash: str | None = None
    lookup_first: bool = True  # create: look the SKU up before sending


@dataclass
class AccountPlan:
    """Every operation for one account, plus counts."""

    account: Account
    operations: list[Operation] = field(default_factory=list)  # to push (PUSH_KINDS)
    skips: list[Operation] = field(default_factory=list)
    noops: int = 0
    # (sku, source hash) of no-op listings whose binding holds an older source hash: the
    # product changed in a field no mapping uses. Recording the new hash (no request) puts
    # them back on the fast path.
    refreshes: list[tuple[str, str]] = field(default_factory=list)
    fresh_state: bool = False  # no binding has ever been pushed: scan the remote first
    # (sku, rule) of variants the account's `[accounts.select]` leaves out that it never
    # listed: nothing to send, nothing to record (sync.selection).
    out_of_scope: list[tuple[str, str]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Number of operations per kind (noop and skip included)."""
        counts = Counter(op.kind.value for op in self.operations)
        counts["skip"] = len(self.skips)
        counts["noop"] = self.noops
        return {kind.value: counts.get(kind.value, 0) for kind in OpKind} | {
            "out_of_scope": len(self.out_of_scope)
        }


@dataclass(frozen=True)
class PlanFilter:
    """Which listings a run considers and whether hashes are ignored."""

    skus: frozenset[str] = frozenset()  # variant or product SKUs; empty = all
    failed_only: bool = False
    force: bool = False  # resync: push regardless of hashes
    # Product or variant SKUs named by catalog rows that failed to load. Those products are
    # missing from the catalog because of a typo, not because they were withdrawn: their
    # listings stay as they are instead of being delisted as removed.
    held: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        """True when every listing belongs to the run (no SKU list, not only failed ones)."""
        return not self.skus and not self.failed_only

    def wants(self, product_sku: str, sku: str, binding: Binding | None) -> bool:
        """Does this listing belong to the run?"""
        if self.skus and sku not in self.skus and product_sku not in self.skus:
            return False
        if self.failed_only:
            return binding is not None and binding.status == BindingStatus.FAILED.value
        return True

    def holds(self, binding: Binding) -> bool:
        """Is this listing's product held back by a catalog row error?"""
        return binding.sku in self.held or binding.product_sku in self.held


_to_json = Product.__pydantic_serializer__.to_json


def product_hash(product: Product) -> str:
    """Hash of everything in a canonical product: of the file rows it was read from and its
    slug when it remembers them (`Product.source_digest`, ~1 µs), else of pydantic's JSON
    of it (deterministic, ~13 µs). Either way a changed product gets another hash; the
    same product read from a file or built in memory gets two different ones (the next
    sync maps it once more, and sends nothing if its listing did not change)."""
    source = product.source_digest()
    if source is None:
        return hashlib.blake2b(_to_json(product), digest_size=16).hexdigest()
    return hashlib.blake2b(source + (product.slug or "").encode(), digest_size=16).hexdigest()


class ProductFacts(NamedTuple):
    """What planning needs of a product whatever the account: computed once per run."""

    phash: str
    listability: Listability
    skus: tuple[str, ...]  # its variants' SKUs

    @classmethod
    def of(cls, product: Product, today: date) -> ProductFacts:
        """Hash the product and judge whether it may be listed `today`."""
        skus = tuple([v.sku for v in product.variants])
        return cls(product_hash(product), product.listability(today), skus)


class ChunkKeys(NamedTuple):
    """A streamed chunk's variant SKUs in order and, for each, the product hash that an
    unchanged listed binding holds (in a `BindingIndex` loaded with the account's
    fingerprint as suffix); "" for a product that may not be listed (never stored). Shared
    by every account: a chunk with nothing changed is settled by one C-level comparison."""

    skus: list[str]
    hashes: list[str]

    @classmethod
    def of(cls, facts: Sequence[ProductFacts]) -> ChunkKeys:
        """The keys of these products' facts, in order."""
        skus = [sku for f in facts for sku in f.skus]
        hashes = [f.phash if f.listability.ok else "" for f in facts for _ in f.skus]
        return cls(skus, hashes)


def product_facts(products: Sequence[Product], today: date) -> list[ProductFacts]:
    """The facts of each product, in order (the GC paused: they create no cycles)."""
    with gc_paused():
        return [ProductFacts.of(p, today) for p in products]


def account_fingerprint(account: Account) -> str:
    """Hash of the account settings that change what its listings look like (its options
    but those its connector names as connection settings)."""
    settings = account.model_dump(
        mode="json",
        include={"marketplace", "categories", "default_category", "price", "stock", "options"},
    )
    leave_out = get_connector(account.marketplace).connection_options
    settings["options"] = {k: v for k, v in settings["options"].items() if k not in leave_out}
    return stable_hash(settings)


def plan_account(
    catalog: Catalog | Sequence[Product],
    account: Account,
    connector: Connector,
    bindings: Mapping[str, Binding] | BindingIndex,
    today: date,
    *,
    flt: PlanFilter | None = None,
    facts: Sequence[ProductFacts] | None = None,
    removals: bool = True,
    keys: ChunkKeys | None = None,
) -> AccountPlan:
    """The operations that bring one account in line with the catalog.

    `bindings` is the account's state: a `BindingIndex` (narrow columns first, whole rows
    only for what the fast path cannot settle) or plain bindings keyed by SKU. `facts`,
    one per catalog product in order, are shared by the accounts of one run (`plan_all`):
    they do not depend on the account. `removals` off: the catalog is one chunk of a
    streamed run, so bindings it lacks are not removed products (`delist_removed` runs once
    the whole catalog was seen). `keys` (of the same products' facts) lets a chunk in
    which nothing changed be settled at once.
    """
    flt = flt or PlanFilter()
    index = bindings if isinstance(bindings, BindingIndex) else BindingIndex.of(bindings)
    fp = account_fingerprint(account)
    products = products_of(catalog)
    if flt.skus:
        products = [p for p in products if _touches(p, flt.skus)]
    if facts is None or flt.skus:
        facts = product_facts(products, today)
    assert len(facts) == len(products), "facts must follow the catalog's products"
    plan = AccountPlan(account, fresh_state=index.fresh)
    sources = index.sources
    quick = flt.everything and not flt.force  # the fast path may settle whole products
    bare = index.suffix == fp  # the index holds product hashes alone (see BindingIndex.load)
    # Every listing of the chunk listed with its product's current hash: a no-op chunk
    # (the common case of a frequent sync) costs one lookup per SKU, in C. Only for an
    # account that takes every variant: one that leaves some out plans them one by one.
    if (
        quick
        and bare
        and keys is not None
        and not removals
        and account.select.everything
        and list(map(sources.get, keys.skus)) == keys.hashes
    ):
        plan.noops = len(keys.skus)
        return plan
    # Those needing their whole bindings, with the variants the account leaves out.
    slow: list[tuple[Product, str, Listability, dict[str, str]]] = []
    present = 0  # catalog SKUs that have a binding (to find those removed from the catalog)
    with gc_paused():
        for product, (phash, listable, skus) in zip(products, facts, strict=True):
            # What the listings are built from: the product's hash and the account's
            # fingerprint side by side (64 hex digits), not a hash of them: this runs once
            # per product per account (300k times at 100k × 3) and the concatenation costs
            # a tenth of hashing again. A state written with the older hashed form leaves
            # the fast path once; those listings plan as no-ops, and recording their
            # `refreshes` brings them back.
            source = phash + fp
            scope = left_out(account.select, product)
            if quick and listable.ok and not scope:
                # Fast path: nothing about the product or the account changed since every
                # one of its listings was last pushed. (It reads only `facts` and the
                # index: touching 100k product objects again per account was slower.)
                want = phash if bare else source
                for sku in skus:
                    if sources.get(sku) != want:
                        break
                else:
                    plan.noops += len(skus)
                    present += len(skus)
                    continue
            present += sum(1 for sku in skus if sku in sources)
            slow.append((product, source, listable, scope))
        rows = index.rows([v.sku for product, *_ in slow for v in product.variants])
        for product, source, listable, scope in slow:
            _plan_product(
                plan, product, account, connector, rows, today, flt, source, listable, scope
            )
    if removals and present < len(index):
        # Some bindings have no product in the catalog any more (or, with a SKU filter,
        # were not looked at): delist the live ones the run asks for.
        in_catalog = {v.sku for product in products_of(catalog) for v in product.variants}
        gone = [sku for sku in sources if sku not in in_catalog]
        delist_removed(plan, index.rows(gone).values(), flt)
    return plan


def delist_removed(plan: AccountPlan, gone: Iterable[Binding], flt: PlanFilter) -> None:
    """Delist the live listings among `gone` (bindings whose SKU the catalog no longer has)
    that the run asks for, except those held back by a catalog row error."""
    for binding in gone:
        wanted = flt.wants(binding.product_sku, binding.sku, binding)
        if wanted and _is_live(binding) and not flt.holds(binding):
            plan.operations.append(_delist(plan.account, binding, "removed from the catalog"))


def products_of(catalog: Catalog | Sequence[Product]) -> Sequence[Product]:
    """The products of a catalog, or the products themselves (a streamed chunk)."""
    return catalog.products if isinstance(catalog, Catalog) else catalog


def _touches(product: Product, skus: frozenset[str]) -> bool:
    return product.sku in skus or any(v.sku in skus for v in product.variants)


def _is_live(binding: Binding | None) -> bool:
    return bool(binding and binding.remote_id and binding.status in (_LISTED, _FAILED, _IN_REVIEW))


def _take_down(plan: AccountPlan, binding: Binding | None, reason: str) -> bool:
    """Delist a live listing, or count an already delisted one as a no-op; False when
    there is no listing to take down."""
    if binding is not None and _is_live(binding):
        plan.operations.append(_delist(plan.account, binding, reason))
        return True
    if binding is not None and binding.status == _DELISTED:
        plan.noops += 1
        return True
    return False


def _delist(account: Account, binding: Binding, reason: str) -> Operation:
    return Operation(
        OpKind.DELIST,
        account.name,
        binding.sku,
        binding.product_sku,
        remote_id=binding.remote_id,
        reason=reason,
        changed=["status"],
    )


def _plan_product(
    plan: AccountPlan,
    product: Product,
    account: Account,
    connector: Connector,
    bindings: dict[str, Binding],
    today: date,
    flt: PlanFilter,
    source: str,
    listable: Listability,
    scope: dict[str, str],
) -> None:
    if flt.everything:
        wanted = [(v.sku, bindings.get(v.sku)) for v in product.variants]
    else:
        wanted = [
            (v.sku, b)
            for v in product.variants
            if flt.wants(product.sku, v.sku, b := bindings.get(v.sku))
        ]
        if not wanted:
            return
    # Out of this account's selection (sync.selection): delisted here only, never created.
    for sku, binding in wanted if scope else ():
        if sku in scope and not _take_down(plan, binding, f"out of scope: {scope[sku]}"):
            plan.out_of_scope.append((sku, scope[sku]))
    if scope and not (wanted := [(sku, b) for sku, b in wanted if sku not in scope]):
        return
    if not listable.ok:
        reason = listable.reason or "not listable"
        for sku, binding in wanted:
            if not _take_down(plan, binding, reason):
                plan.skips.append(
                    Operation(OpKind.SKIP, account.name, sku, product.sku, reason=reason)
                )
        return
    # Fast path: nothing about the product or the account changed since the last push.
    if not flt.force:
        for _, b in wanted:
            if b is None or b.status != _LISTED or b.source_hash != source:
                break
        else:
            plan.noops += len(wanted)
            return
    wanted_skus = {sku for sku, _ in wanted}
    for listing in connector.mapping.map_product(product, account, today):
        if listing.sku in wanted_skus:
            plan_listing(plan, listing, bindings.get(listing.sku), source, flt.force)


def plan_listing(
    plan: AccountPlan, listing: Listing, binding: Binding | None, source: str, force: bool
) -> None:
    """Compare one mapped listing with its binding and add the operation it needs."""
    account = plan.account.name
    op = Operation(
        OpKind.NOOP, account, listing.sku, listing.product_sku, listing=listing, source_hash=source
    )
    if not listing.ok:
        op.kind = OpKind.SKIP
        op.reason = "; ".join(
            f"{i.field}: {i.message}" for i in listing.issues if i.severity == "error"
        )
        plan.skips.append(op)
        return
    if listing.stock == 0 and plan.account.stock.at_zero == "delist":
        # Sold out here: down now, relisted once stock returns (a delisted binding relists).
        if not _take_down(plan, binding, "out of stock (stock.at_zero)"):
            op.kind, op.reason = OpKind.SKIP, "out of stock (stock.at_zero = delist)"
            plan.skips.append(op)
        return
    if binding is None or not binding.remote_id:
        op.kind = OpKind.CREATE
        op.changed = ["content", "price", "stock"]
        op.lookup_first = binding is not None and binding.create_attempted
        plan.operations.append(op)
        return
    op.remote_id = binding.remote_id
    content = force or binding.content_hash != listing.content_hash
    price = binding.price != str(listing.price)
    stock = binding.stock != listing.stock
    op.changed = [
        name for name, flag in (("content", content), ("price", price), ("stock", stock)) if flag
    ]
    if binding.status == _IN_REVIEW and not content:
        # A marketplace takes price and stock only for a listing on sale: they go out once
        # the review is over (no source hash refresh, so the next run plans them again).
        plan.noops += 1
        return
    if binding.status == _DELISTED:
        op.kind = OpKind.RELIST
        op.changed.append("status")
    elif content or binding.status == _FAILED:
        op.kind = OpKind.UPDATE
        op.changed = op.changed or ["content"]
    elif price:
        op.kind = OpKind.PRICE
    elif stock:
        op.kind = OpKind.STOCK
    else:
        plan.noops += 1
        if binding.source_hash != source:
            plan.refreshes.append((listing.sku, source))
        return
    plan.operations.append(op)


def plan_all(
    catalog: Catalog | Sequence[Product],
    accounts: Iterable[tuple[Account, Connector, Mapping[str, Binding] | BindingIndex]],
    today: date,
    flt: PlanFilter | None = None,
) -> list[AccountPlan]:
    """Plans for several accounts, hashing each product (and judging its listability) once."""
    flt = flt or PlanFilter()
    facts = None if flt.skus else product_facts(products_of(catalog), today)
    return [
        plan_account(catalog, account, connector, bindings, today, flt=flt, facts=facts)
        for account, connector, bindings in accounts
    ]
