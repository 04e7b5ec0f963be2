"""StateStore: SQLite by default, PostgreSQL by URL. Bulk reads, group-committed writes."""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Engine,
    bindparam,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from sync.gcpause import gc_paused
from sync.state.drivers import open_engine
from sync.state.models import (
    AuditRecord,
    BindingRecord,
    BindingStatus,
    RunRecord,
    Timestamp,
    utcnow,
)

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision. A store already there is opened without Alembic, whose
# import (~9 MB, ~0.2 s) every command and Celery pool process paid for an upgrade that had
# nothing to do. A test checks it is Alembic's head, so a new migration cannot forget it.
SCHEMA_HEAD = "0006"

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(slots=True)
class Binding:
    """A binding row as plain data (cheap to load by the hundred thousand: slots keep
    600k of them at ~40% of the memory and build them faster)."""

    account: str
    sku: str
    product_sku: str
    remote_id: str | None = None
    status: str = BindingStatus.PENDING.value
    reason: str | None = None
    error_kind: str | None = None
    content_hash: str | None = None
    source_hash: str | None = None
    price: str | None = None
    stock: int | None = None
    create_attempted: bool = False
    attempts: int = 0
    deliveries: int = 0
    synced_at: datetime | None = None


@dataclass
class PushResult:
    """What one operation did, ready to be recorded (binding + audit row)."""

    account: str
    sku: str
    product_sku: str
    operation: str
    ok: bool
    status: str
    remote_id: str | None = None
    content_hash: str | None = None
    source_hash: str | None = None
    price: str | None = None
    stock: int | None = None
    message: str | None = None
    error_kind: str | None = None
    http_status: int | None = None
    duration_ms: float = 0.0
    changed: list[str] = field(default_factory=list)


_BINDING_FIELDS = [f for f in Binding.__dataclass_fields__]
# Columns of a successful result's row in `record`, and those a success leaves as they were.
_OK_COLUMNS = (
    "account",
    "sku",
    "product_sku",
    "status",
    "reason",
    "error_kind",
    "updated_at",
    "created_at",
    "create_attempted",
    "deliveries",
    "remote_id",
    "content_hash",
    "source_hash",
    "price",
    "stock",
    "attempts",
    "synced_at",
)
_KEEP_ON_SUCCESS = ("account", "sku", "created_at", "create_attempted", "deliveries")
# The parameters of the ok upsert compiled for `_DriverRows` (the table's column order).
_OK_ROW = (
    "account",
    "sku",
    "product_sku",
    "remote_id",
    "status",
    "reason",
    "error_kind",
    "content_hash",
    "source_hash",
    "price",
    "stock",
    "create_attempted",
    "attempts",
    "deliveries",
    "created_at",
    "updated_at",
    "synced_at",
)
_AUDIT_COLUMNS = (
    "at",
    "run_id",
    "account",
    "sku",
    "operation",
    "changed",
    "outcome",
    "http_status",
    "duration_ms",
    "message",
)
# Columns whose values `_DriverRows` converts (a group's one `now`, a flag, a JSON list, a
# float);
# every other column must need no conversion on the dialect, or `record` keeps Core's way.
_STAMPS = frozenset({"updated_at", "created_at", "synced_at", "at"})
_CONVERTED = _STAMPS | {"create_attempted", "changed", "duration_ms"}


@dataclass(frozen=True)
class _DriverRows:
    """`record`'s successful rows as the DB driver takes them: the two statements compiled
    once (positional parameters in `_OK_ROW` / `_AUDIT_COLUMNS` order) and the few
    conversions the dialect needs, so rows go to `executemany` as tuples.

    SQLAlchemy's executemany with dicts checks and converts every value of every row
    (~19–20 µs a result); tuples built here cost ~11–12 µs (measured in one process).
    """

    ok_sql: str
    audit_sql: str
    stamp: Callable[[Any], Any]  # a datetime as the driver takes it
    flag: Callable[[Any], Any]
    changed: Callable[[Any], Any]  # the audit row's JSON list
    duration: Callable[[Any], Any]


def _driver_rows(dialect: Dialect, ok_stmt: Any) -> _DriverRows | None:
    """The statements and conversions of `_DriverRows`, or None when the dialect's form
    does not match what it assumes (named parameters, a column needing a conversion it
    does not make): `record` then executes through SQLAlchemy Core as before."""
    ok = ok_stmt.compile(dialect=dialect, column_keys=list(_OK_COLUMNS))
    audit_stmt = insert(AuditRecord)
    audit = audit_stmt.compile(dialect=dialect, column_keys=list(_AUDIT_COLUMNS))
    if not (ok.positional and audit.positional):
        return None
    if tuple(ok.positiontup or ()) != _OK_ROW:
        return None
    if tuple(audit.positiontup or ()) != _AUDIT_COLUMNS:
        return None
    processors: dict[str, Callable[[Any], Any]] = {}
    for table, keys in (
        (BindingRecord.__table__, _OK_COLUMNS),
        (AuditRecord.__table__, _AUDIT_COLUMNS),
    ):
        for key in keys:
            if key in _STAMPS and not isinstance(table.c[key].type, Timestamp):
                return None  # one conversion serves every stamp column
            processor = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None and key not in _CONVERTED:
                return None
            processors[key] = processor or _same
    return _DriverRows(
        ok_sql=str(ok),
        audit_sql=str(audit),
        stamp=processors["updated_at"],
        flag=processors["create_attempted"],
        changed=processors["changed"],
        duration=processors["duration_ms"],
    )


def _same(value: Any) -> Any:
    return value


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (status, the CLI) run while a sync writes; NORMAL is durable across
    # process crashes (only an OS crash can lose the last commits).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def alembic_config(url: str) -> Any:
    """Alembic's configuration for this project's migrations on the database at `url`
    (imports Alembic: call it only when migrating)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class StateStore:
    """Bindings, audit trail and runs, behind one small API."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = normalise_url(url)
        self.engine: Engine = open_engine(self.url)  # ConfigError names a missing driver
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._ok_stmt: Any = None
        self._failed_stmt: Any = None
        self._intent_stmt: Any = None
        self._driver_rows: _DriverRows | bool | None = False  # False: not yet known
        # See `call`: SQLite is written from the event loop itself, a server from a thread.
        self.writes_in_loop = self.engine.dialect.name == "sqlite"
        if migrate:
            self.migrate()

    async def call(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one of this store's methods from async code without stalling on a server.

        PostgreSQL: in a thread, because most of a write is waiting on the server (the GIL
        is released while waiting). SQLite: directly, because a write is Python work
        (SQLAlchemy building parameters) plus a commit that does not fsync in WAL/NORMAL —
        a thread gains no parallelism under the GIL and the contention cost more than the
        write: the inline executor spent 1 726 µs of CPU per create with the writes in a
        thread and 1 300 µs with them here (Postmart creates, both ways in one run).
        """
        if self.writes_in_loop:
            return method(*args, **kwargs)
        return await asyncio.to_thread(method, *args, **kwargs)

    # -- schema -----------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision, one process at a time (two
        commands started together on a new database would both create its tables)."""
        if self.schema_revision() == SCHEMA_HEAD:
            return
        from alembic import command

        config = alembic_config(self.url)
        with self._migration_lock(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(74470001)")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def schema_revision(self) -> str | None:
        """The database's Alembic revision; None for a database never migrated."""
        try:
            with self.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError:  # no such table yet
            return None

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        # SQLite runs DDL outside the driver's implicit transactions: a lock file beside
        # the database serialises the migrating processes instead.
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    # -- bindings ---------------------------------------------------------------------------
    def bindings(self, account: str, skus: Iterable[str] | None = None) -> dict[str, Binding]:
        """Every binding of an account (or only those of `skus`), keyed by SKU."""
        columns = [getattr(BindingRecord, name) for name in _BINDING_FIELDS]
        query = select(*columns).where(BindingRecord.account == account)
        if skus is not None:
            query = query.where(BindingRecord.sku.in_(list(skus)))
        with self.engine.connect() as conn, gc_paused():
            # Positional access: a Row's attribute lookup cost a third of this load.
            return {row[1]: Binding(*row) for row in conn.execute(query)}

    def binding(self, account: str, sku: str) -> Binding | None:
        """One binding, or None."""
        columns = [getattr(BindingRecord, name) for name in _BINDING_FIELDS]
        query = select(*columns).where(BindingRecord.account == account, BindingRecord.sku == sku)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
            return Binding(*row) if row else None

    def _insert(self, conn: Connection | Engine) -> Any:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(BindingRecord)

    # The two upserts of `record` are built once per store: building `excluded` (a proxy
    # for every column) took ~45% of a one-result commit, and the Celery workers commit
    # one result at a time.
    def _ok_upsert(self, conn: Connection | Engine) -> Any:
        if self._ok_stmt is None:
            stmt = self._insert(conn)
            set_ = {c: stmt.excluded[c] for c in _OK_COLUMNS if c not in _KEEP_ON_SUCCESS}
            self._ok_stmt = stmt.on_conflict_do_update(index_elements=["account", "sku"], set_=set_)
        return self._ok_stmt

    def _failed_upsert(self, conn: Connection) -> Any:
        if self._failed_stmt is None:
            stmt = self._insert(conn)
            set_ = {
                "status": stmt.excluded.status,
                "reason": stmt.excluded.reason,
                "error_kind": stmt.excluded.error_kind,
                "updated_at": stmt.excluded.updated_at,
                "attempts": BindingRecord.attempts + 1,
                # A remote id learnt during a failed operation is kept, never dropped.
                "remote_id": func.coalesce(stmt.excluded.remote_id, BindingRecord.remote_id),
            }
            self._failed_stmt = stmt.on_conflict_do_update(
                index_elements=["account", "sku"], set_=set_
            )
        return self._failed_stmt

    def mark_create_attempted(self, account: str, items: Iterable[tuple[str, str]]) -> None:
        """Record, before sending, that creates for these (sku, product_sku) are in flight.

        After a crash the next run sees the flag and looks the SKU up before creating.
        """
        now = utcnow()
        rows = [
            {
                "account": account,
                "sku": sku,
                "product_sku": product_sku,
                "status": BindingStatus.PENDING.value,
                "create_attempted": True,
                "attempts": 0,
                "deliveries": 0,
                "created_at": now,
                "updated_at": now,
            }
            for sku, product_sku in items
        ]
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(self._intent_upsert(conn), rows)

    def _intent_upsert(self, conn: Connection) -> Any:
        if self._intent_stmt is None:
            stmt = self._insert(conn)
            self._intent_stmt = stmt.on_conflict_do_update(
                index_elements=["account", "sku"],
                set_={"create_attempted": True, "updated_at": stmt.excluded.updated_at},
            )
        return self._intent_stmt

    def record(self, results: Sequence[PushResult], run_id: int | None = None) -> None:
        """Persist results in one transaction: bindings upserted, one audit row each."""
        if not results:
            return
        now = utcnow()
        # Nearly always all successes; None: this dialect writes through Core (_driver_rows).
        fast = self._driver_form()
        if fast is not None and all(r.ok for r in results):
            with self.engine.begin() as conn:
                self._record_ok(conn, fast, results, run_id, now)
            return
        ok_rows, failed_rows, audit_rows = [], [], []
        for r in results:
            audit_rows.append(
                {
                    "at": now,
                    "run_id": run_id,
                    "account": r.account,
                    "sku": r.sku,
                    "operation": r.operation,
                    "changed": r.changed,
                    "outcome": "ok" if r.ok else "failed",
                    "http_status": r.http_status,
                    "duration_ms": r.duration_ms,
                    "message": r.message,
                }
            )
            base = {
                "account": r.account,
                "sku": r.sku,
                "product_sku": r.product_sku,
                "status": r.status,
                "reason": r.message,
                "error_kind": r.error_kind,
                "updated_at": now,
                "created_at": now,
                "create_attempted": r.operation == "create",
                "deliveries": 0,
            }
            if r.ok:
                base.update(
                    remote_id=r.remote_id,
                    content_hash=r.content_hash,
                    source_hash=r.source_hash,
                    price=r.price,
                    stock=r.stock,
                    attempts=0,
                    synced_at=now,
                )
                ok_rows.append(base)
            else:
                base.update(attempts=1, remote_id=r.remote_id)
                failed_rows.append(base)
        with self.engine.begin() as conn:
            if ok_rows:
                conn.execute(self._ok_upsert(conn), ok_rows)
            if failed_rows:
                conn.execute(self._failed_upsert(conn), failed_rows)
            conn.execute(insert(AuditRecord), audit_rows)

    def _driver_form(self) -> _DriverRows | None:
        if self._driver_rows is False:
            self._driver_rows = _driver_rows(self.engine.dialect, self._ok_upsert(self.engine))
        return self._driver_rows if isinstance(self._driver_rows, _DriverRows) else None

    @staticmethod
    def _record_ok(
        conn: Connection,
        fast: _DriverRows,
        results: Sequence[PushResult],
        run_id: int | None,
        now: datetime,
    ) -> None:
        """`record` of successes only, the same rows as the Core path, written as tuples."""
        stamp, yes, no = fast.stamp(now), fast.flag(True), fast.flag(False)
        changed, duration = fast.changed, fast.duration
        # A group holds few distinct field lists (every create's is the same): each is
        # encoded once a group, not once a row.
        texts: dict[tuple[str, ...], Any] = {}
        # In _OK_ROW order.
        ok_rows = [
            (
                r.account,
                r.sku,
                r.product_sku,
                r.remote_id,
                r.status,
                r.message,
                r.error_kind,
                r.content_hash,
                r.source_hash,
                r.price,
                r.stock,
                yes if r.operation == "create" else no,
                0,
                0,
                stamp,
                stamp,
                stamp,
            )
            for r in results
        ]
        audit_rows = []
        for r in results:
            key = tuple(r.changed)
            text = texts.get(key)
            if text is None:
                text = texts[key] = changed(r.changed)
            # In _AUDIT_COLUMNS order.
            audit_rows.append(
                (
                    stamp,
                    run_id,
                    r.account,
                    r.sku,
                    r.operation,
                    text,
                    "ok",
                    r.http_status,
                    duration(r.duration_ms),
                    r.message,
                )
            )
        conn.exec_driver_sql(fast.ok_sql, ok_rows)
        conn.exec_driver_sql(fast.audit_sql, audit_rows)

    def refresh_sources(self, account: str, items: Sequence[tuple[str, str]]) -> None:
        """Record new source hashes (sku, hash) of listed bindings whose listing did not
        change (see `AccountPlan.refreshes`); no audit row: nothing was sent."""
        if not items:
            return
        stmt = (
            update(BindingRecord)
            .where(
                BindingRecord.account == account,
                BindingRecord.sku == bindparam("b_sku"),
                BindingRecord.status == BindingStatus.LISTED.value,
            )
            .values(source_hash=bindparam("b_source"))
        )
        with self.engine.begin() as conn:
            conn.execute(stmt, [{"b_sku": sku, "b_source": source} for sku, source in items])

    def record_skips(self, account: str, skips: Sequence[tuple[str, str, str]]) -> None:
        """Mark (sku, product_sku, reason) as skipped unless they are live on the marketplace."""
        if not skips:
            return
        now = utcnow()
        rows = [
            {
                "account": account,
                "sku": sku,
                "product_sku": product_sku,
                "status": BindingStatus.SKIPPED.value,
                "reason": reason,
                "create_attempted": False,
                "attempts": 0,
                "deliveries": 0,
                "created_at": now,
                "updated_at": now,
            }
            for sku, product_sku, reason in skips
        ]
        with self.engine.begin() as conn:
            stmt = self._insert(conn)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["account", "sku"],
                    set_={
                        "reason": stmt.excluded.reason,
                        "updated_at": now,
                        "status": stmt.excluded.status,
                    },
                    # executemany cannot expand IN lists: spell the statuses out. A row
                    # already skipped for the same reason is left alone: rewriting it would
                    # change nothing but would unsettle the account (sync.state.settled).
                    where=or_(
                        (BindingRecord.status == BindingStatus.SKIPPED.value)
                        & BindingRecord.reason.is_distinct_from(stmt.excluded.reason),
                        BindingRecord.status == BindingStatus.PENDING.value,
                        BindingRecord.status == BindingStatus.FAILED.value,
                    )
                    & BindingRecord.remote_id.is_(None),
                ),
                rows,
            )

    def apply_observations(self, account: str, observed: dict[str, dict[str, Any]]) -> None:
        """Overwrite binding fields with what reconcile saw on the marketplace."""
        if not observed:
            return
        now = utcnow()
        with self.engine.begin() as conn:
            for sku, values in observed.items():
                conn.execute(
                    update(BindingRecord)
                    .where(BindingRecord.account == account, BindingRecord.sku == sku)
                    .values(**values, updated_at=now)
                )

    def add_deliveries(self, account: str, items: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Count one more delivery of these (sku, product_sku)'s task; return the new counts
        (poison guard). A listing never pushed yet gets its pending row here: a create's
        deliveries count before its claim is taken."""
        if not items:
            return {}
        skus = [sku for sku, _ in items]
        now = utcnow()
        rows = [
            {
                "account": account,
                "sku": sku,
                "product_sku": product_sku,
                "status": BindingStatus.PENDING.value,
                "create_attempted": False,
                "attempts": 0,
                "deliveries": 1,
                "created_at": now,
                "updated_at": now,
            }
            for sku, product_sku in items
        ]
        with self.engine.begin() as conn:
            stmt = self._insert(conn)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["account", "sku"],
                    set_={"deliveries": BindingRecord.deliveries + 1},
                ),
                rows,
            )
            counts = conn.execute(
                select(BindingRecord.sku, BindingRecord.deliveries).where(
                    BindingRecord.account == account, BindingRecord.sku.in_(skus)
                )
            )
            return {sku: n for sku, n in counts}

    def reset_deliveries(self, account: str, skus: Sequence[str]) -> None:
        """Forget delivery counts once a batch has finished."""
        with self.engine.begin() as conn:
            conn.execute(
                update(BindingRecord)
                .where(BindingRecord.account == account, BindingRecord.sku.in_(skus))
                .values(deliveries=0)
            )

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, account: str, kind: str, trigger: str, planned: dict[str, int]) -> int:
        """Open a run row; returns its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(RunRecord).values(
                    account=account,
                    kind=kind,
                    trigger=trigger,
                    status="running",
                    started_at=utcnow(),
                    planned=planned,
                    outcome={},
                    requests=0,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(
        self,
        run_id: int,
        outcome: dict[str, int],
        requests: int,
        status: str,
        *,
        planned: dict[str, int] | None = None,
    ) -> None:
        """Close a run with its outcome counts (and its planned counts, when they were only
        known as it went: a streamed run plans chunk by chunk)."""
        values: dict[str, Any] = {
            "finished_at": utcnow(),
            "outcome": outcome,
            "requests": requests,
            "status": status,
        }
        if planned is not None:
            values["planned"] = planned
        with self.engine.begin() as conn:
            conn.execute(update(RunRecord).where(RunRecord.id == run_id).values(**values))

    def last_runs(self) -> dict[str, dict[str, Any]]:
        """The newest run of each account."""
        newest = (
            select(RunRecord.account, func.max(RunRecord.id).label("id"))
            .group_by(RunRecord.account)
            .subquery()
        )
        query = select(RunRecord).join(newest, RunRecord.id == newest.c.id)
        with self.engine.connect() as conn:
            return {
                row.account: {
                    "kind": row.kind,
                    "status": row.status,
                    "started_at": row.started_at,
                    "finished_at": row.finished_at,
                    "outcome": row.outcome,
                    "requests": row.requests,
                }
                for row in conn.execute(query)
            }

    # -- reads for the CLI ------------------------------------------------------------------
    def status_counts(self, account: str | None = None) -> dict[str, dict[str, int]]:
        """Per account: number of bindings in each status."""
        query = select(BindingRecord.account, BindingRecord.status, func.count()).group_by(
            BindingRecord.account, BindingRecord.status
        )
        if account:
            query = query.where(BindingRecord.account == account)
        counts: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for acc, status, n in conn.execute(query):
                counts.setdefault(acc, {})[status] = n
        return counts

    def failures(self, account: str | None = None) -> list[Binding]:
        """Failed bindings with their last error, oldest first."""
        columns = [getattr(BindingRecord, name) for name in _BINDING_FIELDS]
        query = select(*columns).where(BindingRecord.status == BindingStatus.FAILED.value)
        if account:
            query = query.where(BindingRecord.account == account)
        with self.engine.connect() as conn:
            return [Binding(*row) for row in conn.execute(query.order_by(BindingRecord.updated_at))]

    def history(self, sku: str, account: str | None = None) -> list[dict[str, Any]]:
        """The audit trail of one SKU (every account unless one is given), oldest first."""
        query = select(AuditRecord).where(AuditRecord.sku == sku)
        if account:
            query = query.where(AuditRecord.account == account)
        with self.engine.connect() as conn:
            return [
                {
                    c: getattr(row, c)
                    for c in (
                        "at",
                        "account",
                        "operation",
                        "changed",
                        "outcome",
                        "http_status",
                        "duration_ms",
                        "message",
                    )
                }
                for row in conn.execute(query.order_by(AuditRecord.id))
            ]

    def prune_audit(self, retention_days: int) -> int:
        """Delete audit rows older than the retention; returns how many."""
        cutoff = utcnow() - timedelta(days=retention_days)
        with self.engine.begin() as conn:
            return conn.execute(delete(AuditRecord).where(AuditRecord.at < cutoff)).rowcount
