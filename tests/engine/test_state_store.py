"""The state store on both SQLite and PostgreSQL (a fresh database each test)."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from sync.state.store import PushResult, StateStore


def _ok(sku: str, op: str = "create", remote_id: str = "r1", price: str = "85000") -> PushResult:
    return PushResult(
        account="acc",
        sku=sku,
        product_sku="P",
        operation=op,
        ok=True,
        status="listed",
        remote_id=remote_id,
        content_hash="c1",
        source_hash="s1",
        price=price,
        stock=4,
        changed=["content", "price", "stock"],
    )


def _fail(sku: str, message: str = "Tên sản phẩm quá dài") -> PushResult:
    return PushResult(
        account="acc",
        sku=sku,
        product_sku="P",
        operation="update",
        ok=False,
        status="failed",
        message=message,
        error_kind="ItemRejected",
        http_status=400,
    )


def test_migrations_create_the_schema_and_are_idempotent(state_url: str) -> None:
    StateStore(state_url).close()
    store = StateStore(state_url)  # second upgrade is a no-op
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"bindings", "audit", "runs", "alembic_version"} <= tables


def test_a_recorded_push_becomes_the_binding_with_an_audit_row(state_url: str) -> None:
    store = StateStore(state_url)
    store.record([_ok("A-1")], run_id=None)
    binding = store.binding("acc", "A-1")
    assert binding is not None
    assert (binding.remote_id, binding.status, binding.price, binding.stock) == (
        "r1",
        "listed",
        "85000",
        4,
    )
    assert binding.synced_at is not None
    history = store.history("A-1")
    assert [(h["operation"], h["outcome"]) for h in history] == [("create", "ok")]


def test_a_failure_keeps_what_was_pushed_and_counts_attempts(state_url: str) -> None:
    store = StateStore(state_url)
    store.record([_ok("A-1")])
    store.record([_fail("A-1")])
    store.record([_fail("A-1", "Giá không hợp lệ")])
    binding = store.binding("acc", "A-1")
    assert binding is not None
    assert (binding.status, binding.attempts, binding.reason) == ("failed", 2, "Giá không hợp lệ")
    assert (binding.remote_id, binding.content_hash, binding.price) == ("r1", "c1", "85000")
    assert [f.sku for f in store.failures("acc")] == ["A-1"]
    store.record([_ok("A-1", op="update", price="90000")])
    binding = store.binding("acc", "A-1")
    assert binding is not None and (binding.status, binding.attempts, binding.price) == (
        "listed",
        0,
        "90000",
    )
    assert store.failures() == []


def test_create_intent_is_remembered_before_any_answer(state_url: str) -> None:
    store = StateStore(state_url)
    store.mark_create_attempted("acc", [("A-1", "P"), ("A-2", "P")])
    bindings = store.bindings("acc")
    assert {s: (b.create_attempted, b.remote_id, b.status) for s, b in bindings.items()} == {
        "A-1": (True, None, "pending"),
        "A-2": (True, None, "pending"),
    }
    store.record([_ok("A-1")])
    assert store.bindings("acc")["A-1"].create_attempted


def test_skips_never_hide_a_live_listing(state_url: str) -> None:
    store = StateStore(state_url)
    store.record([_ok("LIVE")])
    store.record_skips("acc", [("LIVE", "P", "no image"), ("NEW", "P", "no image")])
    bindings = store.bindings("acc")
    assert bindings["LIVE"].status == "listed"
    assert (bindings["NEW"].status, bindings["NEW"].reason) == ("skipped", "no image")


def test_status_counts_runs_and_delivery_counters(state_url: str) -> None:
    store = StateStore(state_url)
    store.record([_ok("A-1"), _ok("A-2", remote_id="r2"), _fail("A-3")])
    run = store.start_run("acc", "sync", "cli", {"create": 3})
    store.finish_run(run, {"create": 2, "failed": 1}, requests=5, status="failed")
    assert store.status_counts() == {"acc": {"listed": 2, "failed": 1}}
    last = store.last_runs()["acc"]
    assert (last["status"], last["requests"], last["outcome"]) == (
        "failed",
        5,
        {"create": 2, "failed": 1},
    )
    assert store.add_deliveries("acc", [("A-1", "A"), ("A-3", "A")]) == {"A-1": 1, "A-3": 1}
    assert store.add_deliveries("acc", [("A-1", "A")]) == {"A-1": 2}
    store.reset_deliveries("acc", ["A-1"])
    assert store.bindings("acc")["A-1"].deliveries == 0
    # A create never pushed yet is counted too: its pending row starts here.
    assert store.add_deliveries("acc", [("NEW-1", "NEW")]) == {"NEW-1": 1}
    fresh = store.binding("acc", "NEW-1")
    assert fresh is not None and fresh.status == "pending" and not fresh.create_attempted


def test_a_second_connection_sees_committed_results_at_once(state_url: str) -> None:
    writer, reader = StateStore(state_url), StateStore(state_url)
    writer.record([_ok("A-1")])
    assert reader.binding("acc", "A-1") is not None


def test_audit_retention_prunes_old_rows_only(state_url: str) -> None:
    store = StateStore(state_url)
    store.record([_ok("A-1")])
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit SET at = :old"), {"old": "2020-01-01 00:00:00+00:00"})
    store.record([_ok("A-2", remote_id="r2")])
    assert store.prune_audit(retention_days=90) == 1
    assert [h["operation"] for h in store.history("A-2")] == ["create"]
    assert store.history("A-1") == []


def test_schema_head_is_alembics_head_and_a_store_at_it_opens_without_alembic(
    state_url: str,
) -> None:
    """`SCHEMA_HEAD` names the newest migration (a new one must move it), and opening a store
    already at it neither upgrades nor imports Alembic (a fresh interpreter, as a command)."""
    from alembic.script import ScriptDirectory

    from sync.state.store import SCHEMA_HEAD, alembic_config

    config = alembic_config(state_url)
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD
    store = StateStore(state_url)
    assert store.schema_revision() == SCHEMA_HEAD
    store.close()
    script = (
        "import sys\n"
        "from sync.state.store import StateStore\n"
        f"StateStore({state_url!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_a_store_behind_the_head_is_upgraded(state_url: str) -> None:
    """A database left at an older revision is brought to the head when opened."""
    from alembic import command

    from sync.state.store import SCHEMA_HEAD, alembic_config

    store = StateStore(state_url)
    config = alembic_config(store.url)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert store.schema_revision() == "0005"
    assert "settled" not in sa.inspect(store.engine).get_table_names()
    store.close()
    store = StateStore(state_url)
    try:
        assert store.schema_revision() == SCHEMA_HEAD
        assert "settled" in sa.inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_the_migrations_build_exactly_the_schema_the_models_declare(state_url: str) -> None:
    """Alembic's own comparison finds nothing to add, drop or change (indexes included)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sync.state.models import Base

    store = StateStore(state_url)
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("bindings")}
            assert "ix_bindings_fast_path" in indexes
    finally:
        store.close()
