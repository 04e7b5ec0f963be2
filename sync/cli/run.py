"""Engine commands: plan (dry run), sync, resync, reconcile."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sync.cli.app import Exit, app, console, err_console
from sync.cli.common import (
    AccountsOpt,
    CatalogOpt,
    ConfigOpt,
    JsonOpt,
    StateOpt,
    WaitLockOpt,
    finish,
    print_json,
    progress_bar,
    settings_from,
    user_errors,
    warn_row_errors,
)
from sync.cli.reconcile import finish_reconcile, print_observed, reconcile_via_celery
from sync.cli.watch import watch_and_sync
from sync.cli.workers import Via, ViaOpt, WaitOpt, run_via_celery
from sync.executor import RunReport
from sync.plan import AccountPlan, PlanFilter
from sync.runner import (
    Job,
    dedupe_accounts,
    open_job,
    plan_streamed,
    reconcile_accounts,
    sync_streamed,
)
from sync.settings import Settings

SkusOpt = typer.Option([], "--sku", help="Only this variant or product SKU (repeatable).")


def _plan_table(plans: list[AccountPlan]) -> Table:
    table = Table(title="Plan (dry run: nothing is sent)")
    table.add_column("account")
    kinds = ["create", "update", "relist", "price", "stock", "delist", "skip", "noop"]
    for kind in kinds:
        table.add_column(kind, justify="right")
    # Variants the account's [accounts.select] leaves out (never listed there).
    kinds.append("out_of_scope")
    table.add_column("out of scope", justify="right")
    for plan in plans:
        counts = plan.counts
        table.add_row(plan.account.name, *(str(counts[k]) for k in kinds))
    return table


@app.command()
def plan(
    catalog: Path | None = CatalogOpt,
    account: list[str] = AccountsOpt,
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
    details: bool = typer.Option(
        False,
        "--details",
        help="List every operation, skip and out-of-scope variant with its reason.",
    ),
) -> None:
    """Show what a sync would do, per account. Sends nothing, writes nothing."""
    with user_errors():
        job = open_job(settings_from(config, state_url), account, catalog=catalog, stream=True)
        assert job.stream is not None
        try:
            plans = plan_streamed(job, date.today())
        finally:
            warn_row_errors(job.stream.errors)
    if as_json:
        print_json(
            [
                {
                    "account": p.account.name,
                    "counts": p.counts,
                    "operations": [
                        {
                            "kind": op.kind.value,
                            "sku": op.sku,
                            "changed": op.changed,
                            "reason": op.reason,
                        }
                        for op in p.operations
                    ],
                    "skipped": [{"sku": op.sku, "reason": op.reason} for op in p.skips],
                    "out_of_scope": [{"sku": sku, "reason": why} for sku, why in p.out_of_scope],
                }
                for p in plans
            ]
        )
        return
    console.print(_plan_table(plans))
    if details:
        for p in plans:
            for op in [*p.operations, *p.skips]:
                why = f" — {op.reason}" if op.reason else f" ({', '.join(op.changed)})"
                console.print(f"{p.account.name} {op.kind.value:7} {op.sku}{why}")
            for sku, rule in p.out_of_scope:
                console.print(f"{p.account.name} out of scope {sku} — {rule}")


def stream_and_report(
    job: Job, flt: PlanFilter, kind: str, as_json: bool, lease_wait: float
) -> None:
    """Stream the catalog through every account (`sync.stream`) with a progress bar whose
    total grows as chunks are planned; print row errors, the outcome; exit 0 or 3."""
    assert job.stream is not None
    with progress_bar(None, enabled=not as_json) as bar:
        task = bar.add_task(kind, total=None)
        planned = 0

        def more(_account: str, count: int) -> None:
            nonlocal planned
            planned += count
            bar.update(task, total=planned)

        with user_errors():  # a catalog file that fails half-way: exit 2, runs closed
            try:
                reports = asyncio.run(
                    sync_streamed(
                        job,
                        date.today(),
                        flt,
                        kind=kind,
                        progress=lambda _a, n: bar.advance(task, n),
                        on_planned=more,
                        lease_wait=lease_wait,
                    )
                )
            finally:
                warn_row_errors(job.stream.errors)
    finish(reports, kind, as_json)


@app.command()
def sync(
    catalog: Path | None = CatalogOpt,
    account: list[str] = AccountsOpt,
    sku: list[str] = SkusOpt,
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
    via: Via = ViaOpt,
    wait: bool = WaitOpt,
    wait_lock: float = WaitLockOpt,
    watch: bool = typer.Option(
        False, "--watch", help="Sync now, then each time the catalog file changes (Ctrl-C stops)."
    ),
    watch_every: float | None = typer.Option(
        None, "--watch-every", min=0.1, help="With --watch: seconds between two looks at the file."
    ),
    watch_runs: int | None = typer.Option(None, "--watch-runs", min=1, hidden=True),
) -> None:
    """Push what changed since the last run (creates, updates, price/stock, delistings)."""
    if watch:
        if via is Via.celery or sku:
            raise typer.BadParameter(
                "--watch runs inline on the whole catalog (the workers watch by themselves)"
            )
        with user_errors():
            settings = settings_from(config, state_url)
        watch_and_sync(
            settings,
            account,
            catalog,
            as_json=as_json,
            every=watch_every or settings.schedule.watch_every_seconds or 5.0,
            debounce=settings.schedule.watch_debounce_seconds,
            lease_wait=wait_lock,
            max_runs=watch_runs,
        )
        return
    if via is Via.celery:
        flags = {"skus": sku, "lease_wait": wait_lock}
        _celery_run(account, "sync", config, state_url, catalog, wait, as_json, flags)
        return
    with user_errors():
        job = open_job(settings_from(config, state_url), account, catalog=catalog, stream=True)
    stream_and_report(job, PlanFilter(skus=frozenset(sku)), "sync", as_json, wait_lock)


@app.command()
def resync(
    account: str = typer.Option(..., "--account", "-a", help="Account to resync."),
    sku: list[str] = SkusOpt,
    failed: bool = typer.Option(False, "--failed", help="Only the listings that failed."),
    everything: bool = typer.Option(False, "--all", help="Every listing of the account."),
    catalog: Path | None = CatalogOpt,
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
    via: Via = ViaOpt,
    wait: bool = WaitOpt,
    wait_lock: float = WaitLockOpt,
) -> None:
    """Force a push regardless of hashes: one SKU, the failed ones, or everything."""
    if not (sku or failed or everything):
        raise typer.BadParameter("say what to resync: --sku SKU, --failed or --all")
    if via is Via.celery:
        flags = {"skus": sku, "failed_only": failed, "force": True, "lease_wait": wait_lock}
        _celery_run([account], "resync", config, state_url, catalog, wait, as_json, flags)
        return
    with user_errors():
        job = open_job(settings_from(config, state_url), [account], catalog=catalog, stream=True)
    flt = PlanFilter(skus=frozenset(sku), failed_only=failed, force=True)
    stream_and_report(job, flt, "resync", as_json, wait_lock)


def _celery_run(
    accounts: list[str],
    kind: str,
    config: Path | None,
    state_url: str | None,
    catalog: Path | None,
    wait: bool,
    as_json: bool,
    flags: dict[str, Any],
) -> None:
    """--via celery: the workers plan and push; they use their own state URL."""
    settings = _celery_settings(config, state_url)
    run_via_celery(
        settings,
        accounts,
        kind=kind,
        config=config,
        catalog=catalog,
        wait=wait,
        as_json=as_json,
        **flags,
    )


@app.command()
def reconcile(
    account: list[str] = AccountsOpt,
    catalog: Path | None = CatalogOpt,
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
    via: Via = ViaOpt,
    wait: bool = WaitOpt,
    wait_lock: float = WaitLockOpt,
) -> None:
    """Compare remote listings with the state; re-push hand edits; report unknown listings
    and SKUs listed more than once (`ocop-sync dedupe` removes the extra copies)."""
    if via is Via.celery:
        settings = _celery_settings(config, state_url)
        reconcile_via_celery(
            settings, account, config=config, catalog=catalog, wait=wait, as_json=as_json
        )
        return
    with user_errors():
        job = open_job(settings_from(config, state_url), account, catalog=catalog, stream=True)
        observed = asyncio.run(reconcile_accounts(job, lease_wait=wait_lock))
    if not as_json:
        print_observed(observed)
    # The repairs go through the same streamed run as `sync`, each account under its lease.
    unscanned = {r.account for r in observed if r.busy or r.error}
    scanned = [a for a in job.accounts if a.name not in unscanned]
    job.accounts = scanned
    reports: list[RunReport] = []
    if scanned:
        assert job.stream is not None
        with user_errors():
            try:
                reports = asyncio.run(
                    sync_streamed(job, date.today(), kind="reconcile", lease_wait=wait_lock)
                )
            finally:
                warn_row_errors(job.stream.errors)
    finish_reconcile(observed, reports, as_json)


@app.command()
def dedupe(
    account: str = typer.Option(..., "--account", "-a", help="Account to dedupe."),
    apply: bool = typer.Option(
        False, "--apply", help="Delist the extra copies (default: only show them)."
    ),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
    wait_lock: float = WaitLockOpt,
) -> None:
    """Show SKUs listed more than once on the marketplace; with --apply delist every copy
    but the one bound in the state (or the first listed, when none is bound)."""
    with user_errors():
        job = open_job(settings_from(config, state_url), [account], need_catalog=False)
        report = asyncio.run(dedupe_accounts(job, apply=apply, lease_wait=wait_lock))[0]
    if as_json:
        print_json(report.as_dict())
    else:
        verb = "delisted" if apply else "would delist"
        for sku, ids in sorted(report.extra.items()):
            console.print(f"{sku}: keep {report.keep[sku]}, {verb} {', '.join(ids)}")
        if not report.extra and not report.busy:
            console.print(f"{account}: no SKU is listed more than once")
        elif not apply and report.extra:
            console.print("dry run: nothing changed (add --apply to delist the extra copies)")
        for sku, remote_id, message in report.failed:
            err_console.print(f"[red]failed[/red] {sku} {remote_id}: {message}")
        if report.busy:
            err_console.print(f"[yellow]{account}: not deduped[/yellow] — {report.busy}")
    if report.failed:
        raise typer.Exit(Exit.FAILED)
    if report.busy:
        raise typer.Exit(Exit.BUSY)


def _celery_settings(config: Path | None, state_url: str | None) -> Settings:
    """The configuration a `--via celery` command sends runs with (the workers use the
    state URL of their own configuration, so `--state-url` has no meaning there)."""
    if state_url:
        raise typer.BadParameter(
            "--state-url cannot be combined with --via celery "
            "(workers use the state URL of their configuration)"
        )
    with user_errors():
        return settings_from(config)
