"""`ocop-sync worker`, `ocop-sync beat`, and `sync|resync --via celery [--wait]`
(`reconcile --via celery` is in `sync.cli.reconcile`).

Celery is imported only inside these commands: the other commands stay fast to start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sync.cli.app import Exit, app, console, err_console
from sync.cli.common import ConfigOpt, finish, print_json, progress_bar, user_errors
from sync.engine.clients import load_config
from sync.queues import expand
from sync.settings import Settings

if TYPE_CHECKING:
    from workers.dispatch import Dispatched


class Via(StrEnum):
    """Where a sync runs."""

    inline = "inline"
    celery = "celery"


ViaOpt = typer.Option(
    Via.inline,
    "--via",
    case_sensitive=False,
    help="inline: in this process. celery: enqueue on Redis for the workers.",
)
WaitOpt = typer.Option(
    False, "--wait", help="With --via celery: follow the runs to the end and exit 0 or 3."
)


def use_config(config: Path | None) -> Settings:
    """Load settings and point the Celery app (imported next) at the same file."""
    settings = load_config(config)
    if config is not None:
        os.environ["OCOP_SYNC_CONFIG"] = str(config.resolve())
    return settings


@app.command()
def worker(
    concurrency: int = typer.Option(2, "--concurrency", min=1, help="Pool processes."),
    config: Path | None = ConfigOpt,
    name: str | None = typer.Option(None, "--name", "-n", help="Node name (default celery@host)."),
    queues: str = typer.Option(
        "ocop-plan,ocop-push",
        "--queues",
        "-Q",
        help="Queues to consume; ocop-push stands for every account's push queue.",
    ),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l", help="Log level."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve this worker's Prometheus metrics on this port."
    ),
    metrics_host: str = typer.Option(
        "127.0.0.1",
        "--metrics-host",
        help="With --metrics-port: the address to serve on (0.0.0.0 in a container).",
    ),
    liveness_file: Path | None = typer.Option(
        None,
        "--liveness-file",
        metavar="FILE",
        help="Touch FILE every 10 s while consuming (healthcheck: its age).",
    ),
) -> None:
    """Start a Celery worker (prefork pool) with the project's app."""
    with user_errors():
        settings = use_config(config)
    if metrics_port is not None:
        _serve_worker_metrics(metrics_host, metrics_port)
    from workers.app import app as celery_app

    if liveness_file is not None:
        from workers.liveness import add_liveness

        add_liveness(celery_app, liveness_file)

    argv = [
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--queues",
        expand(queues, (a.name for a in settings.accounts)),
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
    ]
    if name:
        argv += ["--hostname", name]
    celery_app.worker_main(argv)


def _serve_worker_metrics(host: str, port: int) -> None:
    """Every pool process counts into files of one directory (prometheus_client's
    multiprocess mode, chosen before it is imported); this main process serves their sum."""
    import atexit
    import shutil
    import tempfile

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # A directory of this worker's own, removed when it exits: a second worker on the
        # machine serves only its own figures, and a restart starts from zero (counters).
        own = tempfile.mkdtemp(prefix="ocop-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own
        main = os.getpid()

        def remove() -> None:
            if os.getpid() == main:  # a forked pool process may run atexit handlers too
                shutil.rmtree(own, ignore_errors=True)

        atexit.register(remove)
    from prometheus_client import start_http_server

    from sync.observe.metrics import install, process_registry

    install()  # the pool processes forked from here inherit the hooks
    start_http_server(port, addr=host, registry=process_registry())
    err_console.print(f"worker metrics on http://{host}:{port}/metrics")


@app.command()
def beat(
    config: Path | None = ConfigOpt,
    schedule_file: Path = typer.Option(
        Path("celerybeat-schedule"), "--schedule-file", help="Where beat keeps its last runs."
    ),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l", help="Log level."),
    check: bool = typer.Option(
        False, "--check", help="Exit 0 if an active beat sent a heartbeat lately (healthcheck)."
    ),
) -> None:
    """Start Celery beat (incremental sync every N minutes, nightly reconcile).

    Run exactly one; a second one stands by (Redis lock) until the first stops.
    """
    with user_errors():
        settings = use_config(config)
    if check:
        from workers.beat import beat_alive

        age = beat_alive(settings.redis_url)
        if age is None:
            err_console.print("no active beat heartbeat")
            raise typer.Exit(1)
        console.print(f"beat alive ({age:.1f}s ago)")
        return
    from workers.app import app as celery_app

    celery_app.start(["beat", "--loglevel", loglevel, "--schedule", str(schedule_file)])


def run_via_celery(
    settings: Settings,
    accounts: Sequence[str],
    *,
    kind: str,
    config: Path | None,
    skus: Sequence[str] = (),
    failed_only: bool = False,
    force: bool = False,
    catalog: Path | None = None,
    wait: bool = False,
    as_json: bool = False,
    lease_wait: float = 0.0,
) -> None:
    """Enqueue one run per account on Redis; with `wait`, follow them and exit like inline.
    An account held by a scan is waited for up to `lease_wait` seconds by its worker."""
    from sync.runner import select_accounts

    with user_errors():
        names = [a.name for a in select_accounts(settings, accounts)]
        use_config(config)
    from workers.dispatch import NoWorker, enqueue_runs, run_reports

    try:
        dispatched = enqueue_runs(
            names,
            kind=kind,
            skus=skus,
            failed_only=failed_only,
            force=force,
            catalog=str(catalog.resolve()) if catalog else None,
            lease_wait=lease_wait,
            patient=wait,
            notice=lambda message: err_console.print(f"[yellow]waiting[/yellow] {message}"),
        )
    except NoWorker as exc:
        err_console.print(f"[yellow]queued[/yellow] {exc}")
        raise typer.Exit(Exit.FAILED) from None
    if not as_json or not wait:
        for answer in dispatched.answers:
            print_answer(answer, as_json)
    # The worker could not read the catalog file: nothing was planned (exit 2, as inline).
    unreadable = [a for a in dispatched.answers if a.get("status") == "catalog unreadable"]
    if not wait:
        if as_json:
            print_json(dispatched.answers)
        if unreadable:
            raise typer.Exit(Exit.USAGE)
        return
    lost = follow_runs(settings, dispatched, f"{kind} via celery", as_json)
    if as_json:
        for answer in unreadable:
            err_console.print(f"{answer.get('account')}: not planned — {answer.get('error')}")
    if unreadable:
        with contextlib.suppress(typer.Exit):  # the runs that did go are still reported
            finish(run_reports(settings, dispatched), kind, as_json)
        raise typer.Exit(Exit.USAGE)
    finish(run_reports(settings, dispatched), kind, as_json)
    if lost:
        raise typer.Exit(Exit.FAILED)


def follow_runs(settings: Settings, dispatched: Dispatched, label: str, as_json: bool) -> list[int]:
    """Follow the dispatched runs to their end with a progress bar; the runs whose record
    Redis lost (each said once on stderr)."""
    from workers.dispatch import wait_for_runs

    total = sum(int(a.get("operations") or 0) for a in dispatched.answers)
    with progress_bar(max(total, 1), enabled=not as_json) as bar:
        task = bar.add_task(label, total=total or None)
        lost = wait_for_runs(
            settings,
            dispatched.run_ids,
            progress=lambda done, planned: bar.update(task, completed=done, total=planned),
        )
    for run_id in lost:
        err_console.print(
            f"[red]run {run_id}: its record vanished from Redis[/red] (Redis lost its data?); "
            "the next sync re-plans whatever it did not finish"
        )
    return lost


def print_answer(answer: dict[str, object], as_json: bool) -> None:
    if as_json:
        return
    account, run_id, status = answer.get("account"), answer.get("run_id"), answer.get("status")
    if status == "already running":
        console.print(f"{account}: already running (run {run_id})")
    elif status == "queued":
        console.print(f"{account}: queued — {answer.get('note')}")
    elif status == "catalog unreadable":
        err_console.print(f"[red]{account}: not planned[/red] — {answer.get('error')}")
    else:
        console.print(
            f"{account}: run {run_id} queued — {answer.get('operations', 0)} operations "
            f"in {answer.get('batches', 0)} batches"
        )
