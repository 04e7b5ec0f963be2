"""`ocop-sync reconcile`'s output, and its `--via celery` path: the scans and the repairs
run on the workers, and the report printed is the inline one (the same tables, the same
JSON, the same exit codes)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from sync.cli.app import Exit, console, err_console
from sync.cli.common import print_failures, print_json, reports_table, user_errors
from sync.executor import RunReport
from sync.reconcile import ReconcileReport
from sync.settings import Settings


def print_observed(observed: Sequence[ReconcileReport]) -> None:
    """The scan's table, busy accounts, then the first unknown and duplicated SKUs."""
    table = Table(title="Reconcile")
    columns = ("account", "remote", "missing", "edited", "inactive", "unknown", "duplicated")
    for column in columns:
        table.add_column(column, justify="left" if column == "account" else "right")
    for r in observed:
        table.add_row(
            r.account,
            str(r.remote_total),
            str(len(r.missing)),
            str(len(r.edited)),
            str(len(r.inactive)),
            str(len(r.unknown)),
            str(len(r.duplicates)),
        )
    console.print(table)
    for r in observed:
        if r.busy:
            err_console.print(f"[yellow]{r.account}: not reconciled[/yellow] — {r.busy}")
        if r.error:
            # escape: the marketplace's message starts with "[account]", not rich markup
            err_console.print(f"[red]{r.account}: not reconciled[/red] — {escape(r.error)}")
        for sku in r.unknown[:20]:
            console.print(
                f"[yellow]unknown[/yellow] {r.account} {sku}: not in our state (left alone)"
            )
        for sku, ids in sorted(r.duplicates.items())[:20]:
            console.print(
                f"[red]duplicated[/red] {r.account} {sku}: {len(ids)} listings "
                f"({', '.join(ids)}); `ocop-sync dedupe --account {r.account}`"
            )


def finish_reconcile(
    observed: Sequence[ReconcileReport],
    reports: Sequence[RunReport],
    as_json: bool,
    failed: bool = False,
) -> None:
    """Print the repair runs (the scans are printed already, except in JSON); exit 3 when
    a listing failed, an account stopped, a scan met a marketplace error or `failed`, 4
    when an account was busy."""
    if as_json:
        print_json(
            {"observed": [r.as_dict() for r in observed], "runs": [r.as_dict() for r in reports]}
        )
    elif reports:
        console.print(reports_table(list(reports), title="Reconcile"))
        print_failures(list(reports))
    if failed or any(r.error for r in observed) or any(r.failed or r.stopped for r in reports):
        raise typer.Exit(Exit.FAILED)
    if any(r.busy for r in observed) or any(r.busy for r in reports):
        raise typer.Exit(Exit.BUSY)


def reconcile_via_celery(
    settings: Settings,
    accounts: Sequence[str],
    *,
    config: Path | None,
    catalog: Path | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Each account's scan and repair run on the workers (each under the account's lease,
    waiting while another run holds it); the scans are reported when they are over, and
    with `wait` the repair runs are followed to their end like `sync --via celery --wait`."""
    from sync.cli.workers import follow_runs, print_answer, use_config
    from sync.runner import select_accounts

    with user_errors():
        names = [a.name for a in select_accounts(settings, accounts)]
        use_config(config)
    from workers.dispatch import NoWorker, reconcile_on_workers, run_reports

    def waiting(account: str) -> None:  # on stderr, also with --json
        err_console.print(
            f"[yellow]{account}: waiting[/yellow] — another run holds the account; "
            "the workers reconcile it when that run is over"
        )

    try:
        done = reconcile_on_workers(
            settings, names, catalog=str(catalog.resolve()) if catalog else None, waiting=waiting
        )
    except NoWorker as exc:
        err_console.print(f"[yellow]queued[/yellow] {exc}")
        raise typer.Exit(Exit.FAILED) from None
    observed = [ReconcileReport.from_dict(o) for o in done.observed]
    if not as_json:
        print_observed(observed)
    dispatched = done.dispatched
    # The worker could not read the catalog file: no repair was planned (exit 2, as inline).
    unreadable = [a for a in dispatched.answers if a.get("status") == "catalog unreadable"]
    if as_json:
        for answer in unreadable:
            err_console.print(f"{answer.get('account')}: not planned — {answer.get('error')}")
    if not wait:
        if as_json:
            print_json(
                {
                    "observed": [r.as_dict() for r in observed],
                    "queued": dispatched.answers,
                }
            )
        else:
            for answer in dispatched.answers:
                print_answer(answer, as_json)
        if unreadable:
            raise typer.Exit(Exit.USAGE)
        if any(r.error for r in observed):
            raise typer.Exit(Exit.FAILED)
        if any(r.busy for r in observed):
            raise typer.Exit(Exit.BUSY)
        return
    if not as_json:
        for answer in unreadable:
            print_answer(answer, as_json)
    lost = follow_runs(settings, dispatched, "reconcile via celery", as_json)
    reports = run_reports(settings, dispatched)
    if unreadable:
        with contextlib.suppress(typer.Exit):  # the runs that did go are still reported
            finish_reconcile(observed, reports, as_json, failed=bool(lost))
        raise typer.Exit(Exit.USAGE)
    finish_reconcile(observed, reports, as_json, failed=bool(lost))
