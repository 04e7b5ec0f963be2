"""Read-only commands: status, failures, history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sync.cli.app import app, console
from sync.cli.common import ConfigOpt, JsonOpt, StateOpt, print_json, settings_from, user_errors
from sync.console.queries import failure_groups
from sync.localtime import local_time
from sync.state.models import BindingStatus
from sync.state.settled import settled_since
from sync.state.store import StateStore

STATUSES = [s.value for s in BindingStatus]
# Short headers: the table fits an 80-column terminal.
SHORT = {"pending": "pend.", "in_review": "review", "delisted": "delist.", "skipped": "skip."}


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
    """Per account: listed, pending, failed, delisted, skipped, last run, and since when it
    is settled (its last sync found nothing to do and no listing changed since)."""
    store = _store(config, state_url)
    counts = store.status_counts(account)
    runs = store.last_runs()
    settled = settled_since(store)
    names = sorted(set(counts) | ({account} if account else set(runs)))
    rows: list[dict[str, Any]] = [
        {
            "account": name,
            **{s: counts.get(name, {}).get(s, 0) for s in STATUSES},
            "last_run": runs.get(name),
            "settled_since": settled.get(name),
        }
        for name in names
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("nothing found")
        return
    zone = settings_from(config, state_url).schedule.timezone
    table = Table(title="Status")
    table.add_column("account")
    for s in STATUSES:
        table.add_column(SHORT.get(s, s), justify="right")
    table.add_column("last run")
    table.add_column("settled since")
    for row in rows:
        run = row["last_run"]
        when = "—"
        if run:
            at = run["finished_at"] or run["started_at"]
            when = f"{run['kind']} {run['status']} {local_time(at, zone)[5:]}"
        since = row["settled_since"]
        quiet = local_time(since, zone)[5:] if since else "—"
        table.add_row(row["account"], *(str(row[s]) for s in STATUSES), when, quiet)
    console.print(table)


@app.command()
def failures(
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    every: bool = typer.Option(False, "--all", help="Every failed listing, not groups."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Failed listings grouped by the marketplace's message (--all: one row each).
    Requeue with `resync --failed`."""
    store = _store(config, state_url)
    if every or as_json:
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
            for b in store.failures(account)
        ]
        if as_json and every:
            print_json(rows)
            return
    groups = failure_groups(store, account)
    if as_json:
        print_json(
            [
                {
                    "account": g.account,
                    "message": g.message,
                    "error_kinds": sorted(g.kinds),
                    "count": len(g.skus),
                    "skus": g.skus,
                }
                for g in groups
            ]
        )
        return
    if not groups:
        console.print("nothing found")
        return
    if every:
        table = Table(title=f"Failures ({len(rows)})")
        for column in ("account", "sku", "tries", "message"):
            table.add_column(column, justify="right" if column == "tries" else "left")
        for r in rows:
            table.add_row(r["account"], r["sku"], str(r["attempts"]), r["message"] or "")
        console.print(table)
        return
    table = Table(title=f"Failures by message ({sum(len(g.skus) for g in groups)} listings)")
    for column in ("account", "count", "message", "first SKUs"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for g in groups:
        more = f" +{len(g.skus) - 3}" if len(g.skus) > 3 else ""
        table.add_row(g.account, str(len(g.skus)), g.message, ", ".join(g.skus[:3]) + more)
    console.print(table)
    console.print("every listing: `ocop-sync failures --all`; requeue: `ocop-sync resync --failed`")


@app.command()
def history(
    sku: str = typer.Argument(..., help="Variant SKU."),
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The audit trail of one SKU: every push, its outcome and message."""
    with user_errors():
        zone = settings_from(config, state_url).schedule.timezone
    rows = _store(config, state_url).history(sku, account)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("nothing found")
        return
    table = Table(title=f"History of {sku} (times {zone})")
    for column in ("at", "account", "op", "outcome", "http", "ms", "changed / message"):
        table.add_column(column, justify="right" if column in ("http", "ms") else "left")
    for r in rows:
        table.add_row(
            local_time(r["at"], zone, seconds=True)[5:],
            r["account"],
            r["operation"],
            r["outcome"],
            str(r["http_status"] or "—"),
            f"{r['duration_ms']:.0f}",
            r["message"] or ",".join(r["changed"]),
        )
    console.print(table)
