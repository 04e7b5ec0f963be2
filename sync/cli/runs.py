"""`ocop-sync runs`: past and running runs; `ocop-sync runs follow N` re-attaches to one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sync.cli.app import Exit, app, console, err_console
from sync.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateOpt,
    finish,
    print_json,
    progress_bar,
    settings_from,
    user_errors,
)
from sync.console import queries
from sync.engine.runs import report_from_state, run_outcome
from sync.localtime import duration, local_time
from sync.state.store import StateStore

runs_app = typer.Typer(help="Past and running runs.", no_args_is_help=False)
app.add_typer(runs_app, name="runs")


@runs_app.callback(invoke_without_command=True)
def runs(
    ctx: typer.Context,
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many, newest first."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The newest runs: kind, status, start, length, done, failed, requests."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        settings = settings_from(config, state_url)
        store = StateStore(settings.state_url)
    try:
        rows = queries.runs(store, account, limit=limit)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("nothing found")
        return
    zone = settings.schedule.timezone
    table = Table(title=f"Runs (times {zone})", min_width=60)
    for column in ("#", "account", "kind", "status", "started", "length", "done", "fail"):
        table.add_column(column, justify="right" if column in ("#", "done", "fail") else "left")
    for r in rows:
        status = f"[red]{r['status']}[/red]" if r["status"] == "failed" else r["status"]
        table.add_row(
            str(r["id"]),
            r["account"],
            r["kind"],
            status,
            local_time(r["started_at"], zone)[5:],  # MM-DD HH:MM +07: fits 80 columns
            duration(r["seconds"]),
            str(sum(r["done"].values())),
            str(r["failed"]),
        )
    console.print(table)


@runs_app.command()
def follow(
    run_id: int = typer.Argument(..., help="Run id (from `ocop-sync runs`)."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
    poll: float = typer.Option(0.5, "--poll", min=0.05, help="Seconds between looks."),
) -> None:
    """Re-attach to a run (inline or on Celery): progress until it ends, then its report;
    exit 0, or 3 when some listings failed."""
    with user_errors():
        store = StateStore(settings_from(config, state_url).state_url)
    try:
        row = queries.run_detail(store, run_id)
        if row is None:
            err_console.print(f"[red]error:[/red] no run {run_id}")
            raise typer.Exit(Exit.USAGE)
        with progress_bar(None, enabled=not as_json) as bar:
            task = bar.add_task(f"run {run_id} ({row['account']})", total=None)
            while _progress(store, run_id, bar, task):
                time.sleep(poll)
        report = report_from_state(store, run_id)
    finally:
        store.close()
    assert report is not None
    finish([report], row["kind"], as_json)


def _progress(store: StateStore, run_id: int, bar: Any, task: Any) -> bool:
    """Update the bar from the run's audit rows; False once the run is finished."""
    detail = queries.run_detail(store, run_id)
    assert detail is not None
    done, failures = run_outcome(store, run_id)
    planned = sum(v for k, v in detail["planned"].items() if k not in ("skip", "noop"))
    bar.update(task, completed=sum(done.values()) + len(failures), total=planned or None)
    return bool(detail["live"])
