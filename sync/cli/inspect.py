"""Read-only commands: status, failures, history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sync.cli.app import app, console
from sync.cli.common import ConfigOpt, JsonOpt, StateOpt, print_json, settings_from, user_errors
from sync.state.models import BindingStatus
from sync.state.store import StateStore

STATUSES = [s.value for s in BindingStatus]


def _store(config: Path | None, state_url: str | None) -> StateStore:
    with user_errors():
        return StateStore(settings_from(config, state_url).state_url)


@app.command()
def status(
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Per account: listed, pending, failed, delisted, skipped, last run."""
    store = _store(config, state_url)
    counts = store.status_counts(account)
    runs = store.last_runs()
    names = sorted(set(counts) | ({account} if account else set(runs)))
    rows: list[dict[str, Any]] = [
        {
            "account": name,
            **{s: counts.get(name, {}).get(s, 0) for s in STATUSES},
            "last_run": runs.get(name),
        }
        for name in names
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Status")
    table.add_column("account")
    for s in STATUSES:
        table.add_column(s, justify="right")
    table.add_column("last run")
    for row in rows:
        run = row["last_run"]
        when = "—"
        if run:
            at = run["finished_at"] or run["started_at"]
            when = f"{run['kind']} {run['status']} {at:%Y-%m-%d %H:%M}"
        table.add_row(row["account"], *(str(row[s]) for s in STATUSES), when)
    console.print(table)


@app.command()
def failures(
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Each failed listing with the marketplace's error. Requeue with `resync --failed`."""
    rows: list[dict[str, Any]] = [
        {
            "account": b.account,
            "sku": b.sku,
            "product_sku": b.product_sku,
            "remote_id": b.remote_id,
            "error_kind": b.error_kind,
            "message": b.reason,
            "attempts": b.attempts,
        }
        for b in _store(config, state_url).failures(account)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Failures ({len(rows)})")
    for column in ("account", "sku", "kind", "attempts", "message"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["account"], r["sku"], r["error_kind"] or "", str(r["attempts"]), r["message"] or ""
        )
    console.print(table)


@app.command()
def history(
    sku: str = typer.Argument(..., help="Variant SKU."),
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The audit trail of one SKU: every push, its outcome and message."""
    rows = _store(config, state_url).history(sku, account)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"History of {sku}")
    for column in ("at", "account", "operation", "changed", "outcome", "http", "ms", "message"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            f"{r['at']:%Y-%m-%d %H:%M:%S}",
            r["account"],
            r["operation"],
            ",".join(r["changed"]),
            r["outcome"],
            str(r["http_status"] or ""),
            f"{r['duration_ms']:.0f}",
            r["message"] or "",
        )
    console.print(table)
