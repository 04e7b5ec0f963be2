"""One run lifecycle: the report every path shows, the rule that decides a run's status, and
the report rebuilt from the state (what `sync --via celery --wait` shows, counted the same
way as the inline run that recorded it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from sync.state.models import AuditRecord, RunRecord
from sync.state.store import StateStore


@dataclass
class RunReport:
    """What one account's run did.

    `done` counts successful operations per kind, "adopt" being a create answered by a
    listing the marketplace already had (bound, no create sent). `stopped` says why the
    account stopped mid-run (credentials refused, marketplace unreachable, lease lost);
    `busy` that the run never started because another run held the account."""

    account: str
    planned: dict[str, int]
    done: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (sku, message)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sku, reason)
    stopped: str | None = None
    busy: str | None = None
    run_id: int | None = None

    @property
    def skips(self) -> int:
        """Listings the plan skipped (not listable, or failing the marketplace's rules)."""
        return max(len(self.skipped), self.planned.get("skip", 0))

    def as_dict(self) -> dict[str, object]:
        """JSON view for --json output."""
        return {
            "account": self.account,
            "run_id": self.run_id,
            "planned": self.planned,
            "done": dict(self.done),
            "failed": self.failed,
            "skipped_count": self.skips,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "errors": [{"sku": s, "message": m} for s, m in self.errors],
            "skipped": [{"sku": s, "reason": r} for s, r in self.skipped],
            "stopped": self.stopped,
            "busy": self.busy,
        }


def run_status(failed: int, stopped: str | None, write_failed: bool = False) -> str:
    """The one rule for a run's status: "failed" when a listing failed, the account stopped
    or results could not be written; else "done"."""
    return "failed" if failed or stopped or write_failed else "done"


def run_outcome(store: StateStore, run_id: int) -> tuple[Counter[str], list[tuple[str, str]]]:
    """Per operation kind the listings done, and the (sku, message) that failed, from the
    audit rows of the run (the last outcome of each SKU counts: redeliveries repeat some)."""
    query = (
        select(AuditRecord.sku, AuditRecord.operation, AuditRecord.outcome, AuditRecord.message)
        .where(AuditRecord.run_id == run_id)
        .order_by(AuditRecord.id)
    )
    last: dict[str, tuple[str, str, str | None]] = {}
    with store.engine.connect() as conn:
        for sku, operation, outcome, message in conn.execute(query):
            last[sku] = (operation, outcome, message)
    done: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    for sku, (operation, outcome, message) in last.items():
        if outcome == "ok":
            done[operation] += 1
        else:
            failures.append((sku, message or ""))
    return done, failures


def run_row(store: StateStore, run_id: int) -> dict[str, Any] | None:
    """The run's row in the state store (status, planned, outcome, requests, times)."""
    table = RunRecord.__table__
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == run_id)).first()
    if row is None:
        return None
    keys = (
        "account",
        "kind",
        "status",
        "planned",
        "outcome",
        "requests",
        "started_at",
        "finished_at",
    )
    return {key: row._mapping[key] for key in keys}


def report_from_state(store: StateStore, run_id: int) -> RunReport | None:
    """The run's report as recorded: planned counts from its row, outcomes from its audit
    rows (the last per listing), requests and duration from its row."""
    row = run_row(store, run_id)
    if row is None:
        return None
    done, failures = run_outcome(store, run_id)
    report = RunReport(row["account"], dict(row["planned"] or {}), run_id=run_id)
    report.done = done
    report.failed = len(failures)
    report.errors = failures
    report.requests = int(row["requests"] or 0)
    if row["finished_at"] and row["started_at"]:
        report.seconds = (row["finished_at"] - row["started_at"]).total_seconds()
    return report
