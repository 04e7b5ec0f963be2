"""The streamed sync (`sync.stream`): chunk by chunk through the real sandboxes, with the
state on SQLite and PostgreSQL, agreeing with the whole-catalog path."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog, Product
from sync.catalog_io import CatalogFileError
from sync.executor import RunReport
from sync.plan import PlanFilter
from sync.settings import Settings
from sync.state.models import RunRecord
from sync.state.store import StateStore
from sync.stream import plan_stream, stream_sync
from tests.conftest import seller_listings, seller_stats
from tests.engine.conftest import authorize_sandboxes, small_catalog
from tests.engine.helpers import TODAY, by_account, run_pass

LISTABLE_VARIANTS = 10  # small_catalog: 5 listable products x 2 variants


def stream(
    settings: Settings,
    products: Iterable[Product],
    *,
    chunk: int = 2,
    held: frozenset[str] = frozenset(),
) -> list[RunReport]:
    """Stream `products` to every account of `settings`, `chunk` products at a time."""
    store = StateStore(settings.state_url)
    try:
        return asyncio.run(
            stream_sync(
                products,
                settings.accounts,
                store,
                TODAY,
                chunk=chunk,
                held=lambda: held,
            )
        )
    finally:
        store.close()


def _state(settings: Settings) -> dict[str, dict[str, tuple[str, str | None]]]:
    """(status, remote id) of every binding, per account."""
    store = StateStore(settings.state_url)
    try:
        return {
            a.name: {sku: (b.status, b.remote_id) for sku, b in store.bindings(a.name).items()}
            for a in settings.accounts
        }
    finally:
        store.close()


def test_streamed_first_sync_lists_each_listable_variant_once_across_chunks(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    catalog = small_catalog()
    reports = by_account(stream(settings, catalog.products, chunk=3))  # 8 products: 3 chunks
    store = StateStore(settings.state_url)
    for account in settings.accounts:
        report = reports[account.name]
        assert report.failed == 0, report.errors
        assert report.done["create"] == LISTABLE_VARIANTS
        assert report.planned["create"] == LISTABLE_VARIANTS
        assert len(report.skipped) == 6
        server = sandboxes[account.marketplace]
        stats = seller_stats(server, account.name)
        assert (stats["listings"], stats["duplicates"]) == (LISTABLE_VARIANTS, 0)
        remote = {i["sku"]: str(i["id"]) for i in seller_listings(server, account.name)}
        ours = {s: b.remote_id for s, b in store.bindings(account.name).items() if b.remote_id}
        assert ours == remote
    # One run row per account for the whole stream, closed, with the planned counts.
    with store.engine.connect() as conn:
        rows = conn.execute(select(RunRecord.account, RunRecord.status, RunRecord.planned)).all()
    store.close()
    assert sorted(r.account for r in rows) == sorted(a.name for a in settings.accounts)
    assert all(r.status == "done" and r.planned["create"] == LISTABLE_VARIANTS for r in rows)

    again = stream(settings, small_catalog().products, chunk=3)
    assert all(r.requests == 0 and not r.done for r in again)


def test_stream_and_whole_catalog_path_leave_the_same_state(
    settings: Settings, tmp_path: Path
) -> None:
    run_pass(settings)  # whole-catalog path first …
    whole = _state(settings)
    # … then a stream of the same catalog changes nothing, whatever the chunk size.
    for chunk in (1, 4, 100):
        reports = stream(settings, small_catalog().products, chunk=chunk)
        assert all(r.requests == 0 for r in reports), [r.as_dict() for r in reports]
        assert _state(settings) == whole


def test_products_missing_from_a_complete_stream_are_delisted_unless_held(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    stream(settings, small_catalog().products)
    without = [p for p in small_catalog().products if p.sku not in ("BK-E1", "BK-E2")]

    # BK-E2's rows failed to load (held): only BK-E1 is withdrawn from the catalog.
    reports = by_account(stream(settings, without, held=frozenset({"BK-E2"})))
    state = _state(settings)
    for account in settings.accounts:
        assert reports[account.name].done["delist"] == 2, reports[account.name].as_dict()
        mine = state[account.name]
        assert mine["BK-E1-100G"][0] == mine["BK-E1-500G"][0] == "delisted"
        assert mine["BK-E2-100G"][0] == mine["BK-E2-500G"][0] == "listed"
        stats = seller_stats(sandboxes[account.marketplace], account.name)
        assert stats["active"] == LISTABLE_VARIANTS - 2


def _failing(products: list[Product], after: int) -> Iterator[Product]:
    yield from products[:after]
    raise CatalogFileError("catalog.csv", "cannot read: disk went away")


def test_a_catalog_failing_half_way_pushes_what_was_read_and_delists_nothing(
    settings: Settings,
) -> None:
    stream(settings, small_catalog().products)
    before = _state(settings)
    changed = small_catalog()
    for product in changed.products:
        product.variants[0].stock += 1  # every product changes …
    with pytest.raises(CatalogFileError, match="disk went away"):
        stream(settings, _failing(changed.products, after=2), chunk=2)  # … only 2 are read
    after = _state(settings)
    assert after == before  # stock pushes keep status and remote id; nothing delisted
    store = StateStore(settings.state_url)
    try:
        with store.engine.connect() as conn:
            runs = conn.execute(select(RunRecord.status, RunRecord.outcome)).all()
        for account in settings.accounts:
            stocks = {s: b.stock for s, b in store.bindings(account.name).items()}
            read = changed.products[:2]
            assert all(stocks[p.variants[0].sku] == p.variants[0].stock for p in read)
            e5 = changed.by_sku()["BK-E5"].variants[0]
            assert stocks[e5.sku] == e5.stock - 1  # not read, not pushed
    finally:
        store.close()
    assert all(status != "running" for status, _ in runs)  # every run row was closed


def test_an_empty_state_adopts_listings_the_marketplace_already_has_in_any_chunk(
    settings: Settings, sandboxes: dict[str, SandboxServer], tmp_path: Path
) -> None:
    stream(settings, small_catalog().products, chunk=100)
    # The state is lost (a new database): every listing exists remotely already, and the
    # later chunks must be adopted too, not only the first one's.
    lost = settings.model_copy(update={"state_url": f"sqlite:///{tmp_path / 'new.db'}"})
    authorize_sandboxes(lost.state_url, settings.accounts)  # OAuth shops: consent again
    reports = by_account(stream(lost, small_catalog().products, chunk=1))
    for account in settings.accounts:
        assert reports[account.name].failed == 0, reports[account.name].errors
        stats = seller_stats(sandboxes[account.marketplace], account.name)
        assert (stats["listings"], stats["duplicates"]) == (LISTABLE_VARIANTS, 0)


def test_a_sku_filter_pushes_only_that_product(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    store = StateStore(settings.state_url)
    try:
        reports = asyncio.run(
            stream_sync(
                Catalog(products=small_catalog().products).products,
                settings.accounts,
                store,
                TODAY,
                flt=PlanFilter(skus=frozenset({"BK-E3"})),
                chunk=2,
            )
        )
    finally:
        store.close()
    for report in reports:
        assert report.done["create"] == 2
    for account, mine in _state(settings).items():
        assert sorted(mine) == ["BK-E3-100G", "BK-E3-500G"], account


def test_price_changes_spread_over_chunks_still_go_out_in_one_batch(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    stream(settings, small_catalog().products)
    changed = small_catalog()
    for product in changed.products[:5]:  # BK-E1 … BK-E5, one per chunk below
        product.variants[0].price += 5000
    reports = by_account(stream(settings, changed.products, chunk=1))
    for account in settings.accounts:
        report = reports[account.name]
        assert report.done["price"] == 5, report.as_dict()
        server = sandboxes[account.marketplace]
        prices = {i["sku"]: i for i in seller_listings(server, account.name)}
        assert len(prices) == LISTABLE_VARIANTS
        if REGISTRY[account.marketplace].batch_size == 1:  # no batch call: one per listing
            assert report.requests == 5
        elif account.marketplace == "shopee":  # batches hold the models of one item only
            assert report.requests <= 2 * 5, report.as_dict()
        else:  # one batch for the five chunks (Voso logs in first)
            assert report.requests <= 2, report.as_dict()


def test_the_streamed_dry_run_plans_what_the_stream_then_does(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    stream(settings, small_catalog().products)
    changed = [p for p in small_catalog().products if p.sku not in ("BK-E1", "BK-E2")]
    changed[0].variants[0].price += 5000  # BK-E3
    store = StateStore(settings.state_url)
    try:
        plans = plan_stream(
            changed, settings.accounts, store, TODAY, chunk=2, held=lambda: frozenset({"BK-E2"})
        )
    finally:
        store.close()
    for plan in plans:
        kinds = sorted((op.kind.value, op.sku) for op in plan.operations)
        assert kinds == [
            ("delist", "BK-E1-100G"),
            ("delist", "BK-E1-500G"),
            ("price", "BK-E3-100G"),
        ]
        assert all(op.listing is None for op in plan.operations)  # payloads dropped
        assert plan.noops == LISTABLE_VARIANTS - 2 - 2 - 1  # BK-E2 held, BK-E1 gone, E3 price
    reports = by_account(stream(settings, changed, held=frozenset({"BK-E2"})))
    for plan in plans:
        done = reports[plan.account.name].done
        assert dict(done) == {"delist": 2, "price": 1}
