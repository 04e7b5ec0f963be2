"""Settled accounts (`sync.settled`, `sync.state.settled`): a streamed sync that planned
nothing leaves a mark, the next one settles the chunks it knows without loading the
account's bindings — and anything that moved since makes it plan as before. Real sandboxes,
SQLite and PostgreSQL (the triggers differ)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

import sync.stream as stream_module
from connectors.sandbox import SandboxServer
from sync.catalog import Product
from sync.executor import RunReport
from sync.plan import PlanFilter
from sync.settings import Settings
from sync.state.models import BindingRecord, SettledRecord
from sync.state.store import StateStore
from sync.stream import plan_stream, stream_sync
from tests.conftest import seller_listings
from tests.engine.conftest import small_catalog
from tests.engine.helpers import TODAY, by_account

LISTABLE_VARIANTS = 10  # small_catalog: 5 listable products x 2 variants
CHUNK = 3  # small_catalog's 8 products: chunks E1–E3, E4 E5 OLD, NEW NOIMG


def _stream(
    settings: Settings,
    products: Sequence[Product],
    *,
    today: Any = TODAY,
    chunk: int = CHUNK,
    flt: PlanFilter | None = None,
    on_planned: Callable[[str, int], None] | None = None,
) -> dict[str, RunReport]:
    store = StateStore(settings.state_url)
    try:
        return by_account(
            asyncio.run(
                stream_sync(
                    products,
                    settings.accounts,
                    store,
                    today,
                    chunk=chunk,
                    flt=flt,
                    on_planned=on_planned,
                )
            )
        )
    finally:
        store.close()


@pytest.fixture
def index_loads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each account's binding index is loaded (the real load, counted)."""
    loads: Counter[str] = Counter()
    real = stream_module._streaming_index

    def counting(store: StateStore, account: Any) -> Any:
        loads[account.name] += 1
        return real(store, account)

    monkeypatch.setattr(stream_module, "_streaming_index", counting)
    return loads


def _marks(settings: Settings) -> dict[str, int | None]:
    """Per account with a row: how many chunks its confirmed mark holds (None: pending)."""
    store = StateStore(settings.state_url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(SettledRecord.account, SettledRecord.chunks)).all()
    finally:
        store.close()
    return {account: None if chunks is None else len(chunks) for account, chunks in rows}


def _write(settings: Settings, statement: Any) -> None:
    store = StateStore(settings.state_url)
    try:
        with store.engine.begin() as conn:
            conn.execute(statement)
    finally:
        store.close()


def _bindings(settings: Settings) -> dict[str, dict[str, tuple[Any, ...]]]:
    store = StateStore(settings.state_url)
    try:
        return {
            a.name: {
                sku: (b.status, b.remote_id, b.source_hash, b.price, b.stock, b.reason)
                for sku, b in store.bindings(a.name).items()
            }
            for a in settings.accounts
        }
    finally:
        store.close()


def _settled(settings: Settings, index_loads: Counter[str]) -> dict[str, RunReport]:
    """Run 1 lists everything, run 2 finds nothing and leaves the marks; run 2's reports,
    with the index loads forgotten."""
    _stream(settings, small_catalog().products)
    assert _marks(settings) == {}  # run 1 wrote bindings: no mark survives it
    quiet = _stream(settings, small_catalog().products)
    names = [a.name for a in settings.accounts]
    assert _marks(settings) == dict.fromkeys(names, 3)
    index_loads.clear()
    return quiet


def test_a_run_after_a_quiet_run_settles_every_chunk_and_reports_the_same(
    settings: Settings, index_loads: Counter[str]
) -> None:
    quiet = _settled(settings, index_loads)
    before = _bindings(settings)
    again = _stream(settings, small_catalog().products)
    assert index_loads == Counter()  # not one account loaded its bindings
    for name, report in again.items():
        assert report.requests == 0 and not report.done and report.failed == 0
        assert report.planned == quiet[name].planned, name
        assert report.planned["noop"] == LISTABLE_VARIANTS
        assert sorted(report.skipped) == sorted(quiet[name].skipped)
        assert len(report.skipped) == 6
    # Nothing was written, not even the skipped rows: the marks are still there.
    assert _bindings(settings) == before
    assert set(_marks(settings).values()) == {3}


def test_a_changed_product_goes_out_although_its_neighbours_are_settled(
    settings: Settings, sandboxes: dict[str, SandboxServer], index_loads: Counter[str]
) -> None:
    _settled(settings, index_loads)
    changed = small_catalog()
    changed.products[3].variants[0].price += 5000  # BK-E4, in the second chunk
    reports = _stream(settings, changed.products)
    for account in settings.accounts:
        report = reports[account.name]
        assert dict(report.done) == {"price": 1}, report.as_dict()
        assert index_loads[account.name] == 1  # from the second chunk on
        listing = {
            i["sku"]: i for i in seller_listings(sandboxes[account.marketplace], account.name)
        }
        assert len(listing) == LISTABLE_VARIANTS
    assert _marks(settings) == {}  # that run wrote prices: the next one plans again


def test_products_dropped_from_the_end_are_delisted_although_every_chunk_left_matches(
    settings: Settings, index_loads: Counter[str]
) -> None:
    # Chunks of two: E1 E2 | E3 E4 | E5 OLD | NEW NOIMG.
    _stream(settings, small_catalog().products, chunk=2)
    _stream(settings, small_catalog().products, chunk=2)
    index_loads.clear()
    shorter = small_catalog().products[:4]  # E1–E4: two chunks, both as the mark has them
    reports = _stream(settings, shorter, chunk=2)
    for account in settings.accounts:
        assert dict(reports[account.name].done) == {"delist": 2}, reports[account.name].as_dict()
        assert index_loads[account.name] == 1  # for the removals only
    state = _bindings(settings)
    for mine in state.values():
        assert mine["BK-E5-100G"][0] == mine["BK-E5-500G"][0] == "delisted"


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda account: (
                update(BindingRecord)
                .where(BindingRecord.account == account, BindingRecord.sku == "BK-E2-100G")
                .values(status="failed", reason="hand-edited")
            ),
            id="update",
        ),
        pytest.param(
            lambda account: delete(BindingRecord).where(
                BindingRecord.account == account, BindingRecord.sku == "BK-E2-100G"
            ),
            id="delete",
        ),
    ],
)
def test_any_write_to_an_account_s_bindings_unsettles_that_account_alone(
    settings: Settings,
    sandboxes: dict[str, SandboxServer],
    index_loads: Counter[str],
    write: Callable[[str], Any],
) -> None:
    _settled(settings, index_loads)
    target = settings.accounts[0]
    _write(settings, write(target.name))  # by hand, in SQL: the triggers see it all the same
    marks = _marks(settings)
    assert target.name not in marks
    assert all(marks[a.name] == 3 for a in settings.accounts[1:])

    reports = _stream(settings, small_catalog().products)
    assert index_loads == Counter({target.name: 1})
    report = reports[target.name]
    assert sum(report.done.values()) == 1, report.as_dict()  # the retry, or the lookup
    assert _bindings(settings)[target.name]["BK-E2-100G"][0] == "listed"
    assert all(not reports[a.name].done for a in settings.accounts[1:])
    stats = {i["sku"] for i in seller_listings(sandboxes[target.marketplace], target.name)}
    assert len(stats) == LISTABLE_VARIANTS


def test_a_new_binding_unsettles_its_account(settings: Settings, index_loads: Counter[str]) -> None:
    _settled(settings, index_loads)
    target = settings.accounts[-1]
    store = StateStore(settings.state_url)
    try:
        store.record_skips(target.name, [("BK-X-1", "BK-X", "written by another path")])
    finally:
        store.close()
    assert target.name not in _marks(settings)


def test_a_binding_written_while_the_run_goes_keeps_it_from_leaving_a_mark(
    settings: Settings, index_loads: Counter[str]
) -> None:
    _settled(settings, index_loads)
    target = settings.accounts[1]
    written: list[str] = []

    def meddle(account: str, _: int) -> None:
        # Another path writes a binding of the account while this run is under way.
        if account == target.name and not written:
            written.append(account)
            _write(
                settings,
                update(BindingRecord)
                .where(BindingRecord.account == account, BindingRecord.sku == "BK-E5-100G")
                .values(reason="touched"),
            )

    _stream(settings, small_catalog().products, on_planned=meddle)
    assert written == [target.name]
    marks = _marks(settings)
    assert target.name not in marks
    assert all(marks[a.name] == 3 for a in settings.accounts if a is not target)


def test_a_mark_holds_for_its_day_its_chunk_size_and_whole_catalog_runs_only(
    settings: Settings, index_loads: Counter[str]
) -> None:
    _settled(settings, index_loads)
    names = {a.name for a in settings.accounts}
    everyone_once = Counter(dict.fromkeys(names, 1))
    _stream(settings, small_catalog().products, today=TODAY + timedelta(days=1))
    assert index_loads == everyone_once  # another day: listability may have changed
    index_loads.clear()
    _stream(settings, small_catalog().products, chunk=2)
    assert index_loads == everyone_once  # other chunks
    index_loads.clear()
    _stream(settings, small_catalog().products, flt=PlanFilter(skus=frozenset({"BK-E1"})))
    assert index_loads == everyone_once  # a SKU filter neither reads nor leaves a mark
    assert set(_marks(settings).values()) == {4}  # the chunk-of-two mark is still there
    index_loads.clear()
    _stream(settings, small_catalog().products, chunk=2)
    assert index_loads == Counter()


def test_the_dry_run_settles_from_the_marks_and_leaves_them_as_they_were(
    settings: Settings, index_loads: Counter[str]
) -> None:
    _settled(settings, index_loads)
    changed = small_catalog()
    changed.products[4].variants[1].price += 1000  # BK-E5-500G, in the second chunk
    store = StateStore(settings.state_url)
    try:
        same = plan_stream(small_catalog().products, settings.accounts, store, TODAY, chunk=CHUNK)
        assert index_loads == Counter()
        other = plan_stream(changed.products, settings.accounts, store, TODAY, chunk=CHUNK)
    finally:
        store.close()
    for plan in same:
        assert plan.operations == [] and plan.noops == LISTABLE_VARIANTS
        assert len(plan.skips) == 6
    for plan in other:
        assert [(op.kind.value, op.sku) for op in plan.operations] == [("price", "BK-E5-500G")]
        assert plan.noops == LISTABLE_VARIANTS - 1
    assert index_loads == Counter(dict.fromkeys((a.name for a in settings.accounts), 1))
    assert set(_marks(settings).values()) == {3}


def test_without_its_triggers_the_state_neither_reads_nor_keeps_marks(
    settings: Settings, index_loads: Counter[str]
) -> None:
    _settled(settings, index_loads)
    # A later migration that rebuilt the table would drop them silently.
    on = "" if settings.state_url.startswith("sqlite") else " ON bindings"
    _write(settings, text(f"DROP TRIGGER bindings_unsettle_delete{on}"))
    reports = _stream(settings, small_catalog().products)
    assert index_loads == Counter(dict.fromkeys((a.name for a in settings.accounts), 1))
    assert all(r.requests == 0 and not r.done for r in reports.values())
    assert _marks(settings) == {}  # the old ones are gone, and no new one was left


def test_status_shows_since_when_each_account_is_settled(
    settings: Settings, index_loads: Counter[str], tmp_path: Any
) -> None:
    import json

    from typer.testing import CliRunner

    from sync.cli import app

    def status() -> dict[str, Any]:
        args = ["status", "--json", "--state-url", settings.state_url]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        return {row["account"]: row["settled_since"] for row in json.loads(result.output)}

    assert status() == {}  # nothing synced yet
    _settled(settings, index_loads)  # run 1 lists everything, run 2 finds nothing
    quiet = status()
    assert set(quiet) == {a.name for a in settings.accounts} and None not in quiet.values()
    target = settings.accounts[0]
    _write(settings, delete(BindingRecord).where(BindingRecord.account == target.name))
    after = status()
    assert after[target.name] is None
    assert {k: v for k, v in after.items() if k != target.name} == {
        k: v for k, v in quiet.items() if k != target.name
    }
    table = CliRunner().invoke(app, ["status", "--state-url", settings.state_url])
    assert table.exit_code == 0 and "settled since" in table.output
