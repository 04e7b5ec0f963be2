"""What the console pages read from the state database (bindings, audit, runs, leases,
token expiries). Read-only: every write goes through the engine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from sync.engine.runs import report_from_state, run_row
from sync.localtime import aware
from sync.settings import Schedule
from sync.state.models import AuditRecord, BindingStatus, RunRecord, utcnow
from sync.state.store import StateStore
from sync.state.tokens import TokenStatus, TokenStore

STATUSES = [s.value for s in BindingStatus]


def status_counts(store: StateStore, accounts: list[str]) -> dict[str, dict[str, int]]:
    """Per account the number of listings in each status (every status present, zeros too)."""
    counts = store.status_counts()
    return {a: {s: counts.get(a, {}).get(s, 0) for s in STATUSES} for a in accounts}


def adopted_counts(store: StateStore) -> dict[str, int]:
    """Per account the listings found on the marketplace and bound instead of created."""
    query = (
        select(AuditRecord.account, func.count(func.distinct(AuditRecord.sku)))
        .where(AuditRecord.operation == "adopt", AuditRecord.outcome == "ok")
        .group_by(AuditRecord.account)
    )
    with store.engine.connect() as conn:
        return {account: n for account, n in conn.execute(query)}


def runs(
    store: StateStore, account: str | None = None, *, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest runs first (of one account, or in one status)."""
    query = select(RunRecord).order_by(RunRecord.id.desc()).limit(limit)
    if account:
        query = query.where(RunRecord.account == account)
    if status:
        query = query.where(RunRecord.status == status)
    with store.engine.connect() as conn:
        return [run_dict(row) for row in conn.execute(query)]


def run_dict(row: Any) -> dict[str, Any]:
    """A runs row as the pages and `ocop-sync runs --json` show it."""
    started, finished = aware(row.started_at), row.finished_at and aware(row.finished_at)
    outcome = dict(row.outcome or {})
    return {
        "id": row.id,
        "account": row.account,
        "kind": row.kind,
        "trigger": row.trigger,
        "status": row.status,
        "started_at": started,
        "finished_at": finished,
        "seconds": ((finished or utcnow()) - started).total_seconds(),
        "planned": dict(row.planned or {}),
        "done": {k: v for k, v in outcome.items() if k != "failed"},
        "failed": int(outcome.get("failed", 0)),
        "requests": row.requests,
    }


def run_detail(store: StateStore, run_id: int) -> dict[str, Any] | None:
    """One run: its row, what it did per kind from its audit rows (also while it runs),
    its failures, and the throttle answers recorded against it."""
    row = run_row(store, run_id)
    if row is None:
        return None
    with store.engine.connect() as conn:
        record = conn.execute(select(RunRecord).where(RunRecord.id == run_id)).one()
        throttled = conn.execute(
            select(func.count()).where(AuditRecord.run_id == run_id, AuditRecord.http_status == 429)
        ).scalar_one()
    report = report_from_state(store, run_id)
    assert report is not None
    detail = run_dict(record)
    detail.update(
        done=dict(report.done),
        failed=report.failed,
        errors=report.errors,
        throttled=throttled,
        live=record.finished_at is None,
    )
    return detail


@dataclass
class FailureGroup:
    """Failed listings of one account that share the marketplace's message."""

    account: str
    message: str
    kinds: set[str] = field(default_factory=set)
    skus: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def key(self) -> str:
        """A short stable id of the group (for links and the resync form)."""
        return group_key(self.account, self.message)


def group_key(account: str, message: str) -> str:
    """The id of the failure group of (account, message)."""
    return hashlib.sha256(f"{account}\n{message}".encode()).hexdigest()[:16]


def failure_groups(store: StateStore, account: str | None = None) -> list[FailureGroup]:
    """Failed listings grouped by account and message, the largest group first."""
    groups: dict[tuple[str, str], FailureGroup] = {}
    for b in store.failures(account):
        message = b.reason or "(no message)"
        group = groups.setdefault((b.account, message), FailureGroup(b.account, message))
        group.skus.append(b.sku)
        group.attempts += b.attempts
        if b.error_kind:
            group.kinds.add(b.error_kind)
    return sorted(groups.values(), key=lambda g: (-len(g.skus), g.account, g.message))


def listing(store: StateStore, account: str, sku: str) -> dict[str, Any] | None:
    """One binding and its audit history (oldest first)."""
    binding = store.binding(account, sku)
    if binding is None:
        return None
    return {"binding": binding, "history": store.history(sku, account)}


def token_statuses(store: StateStore) -> list[TokenStatus]:
    """Expiry dates of every OAuth account's grant (never a token: no key needed)."""
    return TokenStore(store.engine, None).statuses()


def running_runs(store: StateStore) -> list[dict[str, Any]]:
    """Runs not finished yet, newest first."""
    return runs(store, status="running", limit=100)


def next_runs(store: StateStore, schedule: Schedule) -> dict[str, datetime | None]:
    """When beat starts the next incremental sync (the last beat run + the interval; None
    when beat never ran) and the next nightly reconcile."""
    with store.engine.connect() as conn:
        last = conn.execute(
            select(func.max(RunRecord.started_at)).where(
                and_(RunRecord.trigger == "beat", RunRecord.kind == "sync")
            )
        ).scalar_one()
    every = timedelta(minutes=schedule.sync_every_minutes)
    now = utcnow()
    sync_at = None
    if last is not None:
        sync_at = aware(last) + every
        while sync_at < now:
            sync_at += every
    zone = ZoneInfo(schedule.timezone)
    hour, minute = (int(p) for p in schedule.reconcile_at.split(":"))
    local_now = now.astimezone(zone)
    reconcile = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if reconcile <= local_now:
        reconcile += timedelta(days=1)
    return {"sync": sync_at, "reconcile": reconcile}
