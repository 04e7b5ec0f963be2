"""The plan's two-step view of the state: narrow columns for the fast path, whole rows only
for what it cannot settle. Real SQLite and PostgreSQL stores; no HTTP (planning sends none)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.base import Connector
from connectors.registry import REGISTRY, get_connector
from sync.catalog import Catalog
from sync.operations import succeeded
from sync.plan import AccountPlan, OpKind, PlanFilter, plan_account
from sync.settings import Account
from sync.state.index import BindingIndex
from sync.state.models import BindingStatus
from sync.state.store import StateStore
from tests.engine.conftest import small_catalog
from tests.engine.helpers import TODAY
from tests.factories import make_product, product_data

MARKETPLACE = "postmart"
NAME = "index-postmart"


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    """A migrated store on SQLite, then on a fresh PostgreSQL database."""
    store = StateStore(state_url)
    yield store
    store.close()


@pytest.fixture
def account() -> Account:
    """A valid Postmart account (planning never calls it)."""
    return REGISTRY[MARKETPLACE].sandbox_kit.account(NAME, "http://127.0.0.1:9")


def _plan(
    catalog: Catalog, account: Account, store: StateStore, flt: PlanFilter | None = None
) -> tuple[AccountPlan, BindingIndex]:
    index = BindingIndex.load(store, account.name)
    connector: Connector = get_connector(account.marketplace)
    return plan_account(catalog, account, connector, index, TODAY, flt=flt), index


def _push_all(plan: AccountPlan, store: StateStore) -> None:
    """Record every planned operation as done, as the executor would after a clean run."""
    store.record(
        [
            succeeded(
                op,
                op.remote_id or f"r-{op.sku}",
                BindingStatus.DELISTED if op.kind is OpKind.DELIST else BindingStatus.LISTED,
            )
            for op in plan.operations
        ]
    )


def _catalog() -> Catalog:
    """15 listable products (30 listings) and the three unlistable ones (6 SKUs)."""
    extra = [make_product(f"BK-F{i}") for i in range(1, 11)]
    return Catalog(products=[*small_catalog().products, *extra])


LISTED = 30


def _synced(account: Account, store: StateStore) -> Catalog:
    catalog = _catalog()
    plan, _ = _plan(catalog, account, store)
    _push_all(plan, store)
    store.record_skips(
        account.name, [(op.sku, op.product_sku, op.reason or "") for op in plan.skips]
    )
    return catalog


def test_a_fresh_account_plans_creates_and_reports_fresh_state(
    account: Account, store: StateStore
) -> None:
    plan, index = _plan(_catalog(), account, store)
    assert index.fresh and len(index) == 0
    assert plan.fresh_state
    assert plan.counts["create"] == LISTED and plan.counts["skip"] == 6


def test_noop_pass_is_settled_from_the_narrow_columns_alone(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    plan, index = _plan(catalog, account, store)
    assert not plan.operations and plan.noops == LISTED
    assert not plan.refreshes
    assert not index.fresh and len(index) == LISTED + 6  # listed + skipped bindings
    # Whole rows were loaded only for the three unlistable products' six SKUs.
    assert index.loaded == 6


def test_a_changed_product_loads_its_rows_and_plans_only_its_listings(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    first = catalog.products[0]
    variant = first.variants[0].model_copy(update={"price": first.variants[0].price + 1000})
    changed = first.model_copy(update={"variants": [variant, *first.variants[1:]]})
    catalog = Catalog(products=[changed, *catalog.products[1:]])
    plan, index = _plan(catalog, account, store)
    assert [(op.kind, op.sku) for op in plan.operations] == [(OpKind.PRICE, variant.sku)]
    assert plan.noops == LISTED - 1
    assert index.loaded == 6 + len(first.variants)


def test_a_product_removed_from_the_catalog_is_delisted(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    gone = catalog.products[1]
    catalog = Catalog(products=[p for p in catalog.products if p.sku != gone.sku])
    plan, _ = _plan(catalog, account, store)
    delists = sorted(op.sku for op in plan.operations if op.kind is OpKind.DELIST)
    assert delists == sorted(v.sku for v in gone.variants)
    assert all(op.reason == "removed from the catalog" for op in plan.operations)


def test_a_sku_filter_delists_only_the_asked_removed_listing(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    gone = catalog.products[1:3]
    catalog = Catalog(products=[p for p in catalog.products if p not in gone])
    asked = gone[0].variants[0].sku
    plan, _ = _plan(catalog, account, store, PlanFilter(skus=frozenset({asked})))
    assert [(op.kind, op.sku) for op in plan.operations] == [(OpKind.DELIST, asked)]


def test_a_field_no_mapping_uses_is_refreshed_then_back_on_the_fast_path(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    first = catalog.products[0]
    # A product field Postmart's listing does not carry: the listings stay the same.
    edited = first.model_copy(update={"name_en": "Renamed for Alibaba only"})
    catalog = Catalog(products=[edited, *catalog.products[1:]])
    plan, index = _plan(catalog, account, store)
    assert not plan.operations and plan.noops == LISTED
    assert sorted(sku for sku, _ in plan.refreshes) == sorted(v.sku for v in first.variants)
    store.refresh_sources(account.name, plan.refreshes)
    again, index = _plan(catalog, account, store)
    assert not again.operations and not again.refreshes
    assert index.loaded == 6  # the edited product is settled by the fast path again


def test_an_index_over_loaded_bindings_plans_like_one_loaded_from_the_store(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    extra = Catalog.model_validate({"products": [product_data("BK-E9")]})
    catalog = Catalog(products=[*catalog.products, *extra.products])
    connector = get_connector(account.marketplace)
    from_store, _ = _plan(catalog, account, store)
    from_rows = plan_account(catalog, account, connector, store.bindings(account.name), TODAY)
    assert [(o.kind, o.sku) for o in from_rows.operations] == [
        (o.kind, o.sku) for o in from_store.operations
    ]
    assert from_rows.counts == from_store.counts
    assert from_store.counts["create"] == 2


def test_a_forced_resync_loads_every_row_in_one_scan_and_updates_everything(
    account: Account, store: StateStore
) -> None:
    catalog = _synced(account, store)
    plan, index = _plan(catalog, account, store, PlanFilter(force=True))
    assert plan.counts["update"] == LISTED and plan.noops == 0
    assert index.loaded == len(index)  # past SCAN_SHARE: the whole table, not IN lists


def test_a_chunk_compares_product_hashes_alone_and_still_sees_each_change(
    store: StateStore, account: Account
) -> None:
    """Loaded with the account's fingerprint as suffix, the index holds product hashes; a
    chunk with nothing changed is settled at once, and one changed product in it (or an
    index without the suffix, or a source hash of another account's settings) still plans."""
    from sync.plan import ChunkKeys, account_fingerprint, product_facts, product_hash

    catalog = small_catalog()
    first, _ = _plan(catalog, account, store)
    _push_all(first, store)
    fp = account_fingerprint(account)
    index = BindingIndex.load(store, account.name, suffix=fp)
    listed = {sku: h for sku, h in index.sources.items() if h is not None}
    assert listed and all(len(h) == 32 for h in listed.values())
    by_sku = {v.sku: product_hash(p) for p in catalog.products for v in p.variants}
    assert all(by_sku[sku] == h for sku, h in listed.items())

    connector = get_connector(account.marketplace)
    listable = [p for p in catalog.products if p.listability(TODAY).ok]
    facts = product_facts(listable, TODAY)
    keys = ChunkKeys.of(facts)
    quiet = plan_account(
        listable, account, connector, index, TODAY, facts=facts, removals=False, keys=keys
    )
    assert quiet.noops == len(keys.skus) and not quiet.operations

    changed = [p.model_copy(deep=True) for p in listable]
    changed[1].variants[0].price += 5000
    facts = product_facts(changed, TODAY)
    keys = ChunkKeys.of(facts)
    plan = plan_account(
        changed, account, connector, index, TODAY, facts=facts, removals=False, keys=keys
    )
    assert [(op.kind, op.sku) for op in plan.operations] == [
        (OpKind.PRICE, changed[1].variants[0].sku)
    ]
    other = account.model_copy(update={"default_category": "other-category"})
    moved = plan_account(
        listable,
        other,
        connector,
        index,
        TODAY,
        facts=product_facts(listable, TODAY),
        removals=False,
        keys=ChunkKeys.of(product_facts(listable, TODAY)),
    )
    # Another fingerprint: no shortcut; every listing is mapped and compared again (here the
    # listings come out the same, so they are no-ops whose new source hash gets recorded).
    assert len(moved.refreshes) + len(moved.operations) == len(keys.skus)


@pytest.mark.parametrize("marketplace", ["alibaba", "tiktok"])
def test_a_connection_option_leaves_the_fingerprint_a_listing_option_changes_it(
    marketplace: str,
) -> None:
    """Moving the OAuth consent page (a connection setting) keeps every stored source hash
    valid; an option that shapes the listings does not."""
    from sync.plan import account_fingerprint

    connector = get_connector(marketplace)
    account = connector.sandbox_kit.account("fp-shop", "http://127.0.0.1:9")
    base = account_fingerprint(account)
    for option in sorted(connector.connection_options):
        moved = {**account.options, option: "https://elsewhere.example/consent"}
        assert account_fingerprint(account.model_copy(update={"options": moved})) == base
    shaped = {**account.options, "package_dimensions_cm": [11, 12, 13], "unit": "Bag"}
    assert account_fingerprint(account.model_copy(update={"options": shaped})) != base
    assert connector.connection_options  # these two marketplaces have some
