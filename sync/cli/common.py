"""What the engine commands share: options, clean error handling, progress, tables."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sync.catalog_io import CatalogFileError, RowError
from sync.cli.app import Exit, console, err_console
from sync.engine.clients import load_config
from sync.executor import RunReport
from sync.settings import ConfigError, Settings

ConfigOpt = typer.Option(
    None,
    "--config",
    "-c",
    envvar="OCOP_SYNC_CONFIG",
    metavar="FILE",
    help="Configuration file (TOML).",
    show_envvar=True,
)
CatalogOpt = typer.Option(
    None, "--catalog", metavar="FILE", help="Catalog file (overrides the configuration)."
)
AccountsOpt = typer.Option(
    [], "--account", "-a", metavar="NAME", help="Account name (repeatable; default all)."
)
StateOpt = typer.Option(
    None, "--state-url", metavar="URL", help="State database URL (overrides the configuration)."
)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of tables.")
WaitLockOpt = typer.Option(
    5.0,
    "--wait-lock",
    min=0.0,
    metavar="SECONDS",
    help="How long to wait for an account another run is syncing (then exit 4).",
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn configuration and catalog problems into a message and exit 2 (no traceback)."""
    try:
        yield
    except (ConfigError, CatalogFileError) as exc:
        # escape: messages carry brackets ("[accounts.credentials]", "ocop-sync[postgres]").
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(Exit.USAGE) from None
    except KeyError as exc:  # unknown marketplace or account name from the registry
        err_console.print(f"[red]error:[/red] {exc.args[0] if exc.args else exc}")
        raise typer.Exit(Exit.USAGE) from None


def settings_from(config: Path | None, state_url: str | None = None) -> Settings:
    """Load settings, applying a --state-url override."""
    return load_config(config, state_url=state_url)


def print_json(data: Any) -> None:
    """JSON to stdout (dates and paths as strings, Vietnamese kept readable)."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn_row_errors(errors: Sequence[RowError], limit: int = 20) -> None:
    """Catalog rows that did not load: printed to stderr, the good rows still go through."""
    for error in sorted(errors, key=lambda e: e.row or 0)[:limit]:
        what = "warning" if error.severity == "warning" else "skipped row"
        err_console.print(f"[yellow]{what}[/yellow] {error}")
    if len(errors) > limit:
        err_console.print(f"[yellow]… and {len(errors) - limit} more row errors[/yellow]")


def progress_bar(total: int | None, enabled: bool) -> Progress:
    """A progress bar on stderr for runs with work to do (hidden when not a terminal);
    `total` None: not known yet (a streamed run raises it as chunks are planned)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not enabled or total == 0 or not err_console.is_terminal,
    )


def reports_table(reports: list[RunReport], title: str) -> Table:
    """One row per account: what was done, failed, skipped, requests."""
    table = Table(title=title)
    for column in (
        "account",
        "created",
        "adopted",
        "updated",
        "relisted",
        "price",
        "stock",
        "delisted",
        "failed",
        "skipped",
        "noop",
        "requests",
        "seconds",
    ):
        table.add_column(column, justify="left" if column == "account" else "right")
    for r in reports:
        table.add_row(
            r.account,
            str(r.done["create"]),
            str(r.done["adopt"]),
            str(r.done["update"]),
            str(r.done["relist"]),
            str(r.done["price"]),
            str(r.done["stock"]),
            str(r.done["delist"]),
            f"[red]{r.failed}[/red]" if r.failed else "0",
            str(r.skips),
            str(r.planned.get("noop", 0)),
            str(r.requests),
            f"{r.seconds:.1f}",
        )
    return table


def print_failures(reports: list[RunReport], limit: int = 20) -> None:
    """The first failures of each account, with the marketplace's message."""
    # Messages are the marketplaces' and ours ("[account] …"): printed as text, not markup,
    # or rich would swallow whatever stands in square brackets.
    for r in reports:
        if r.busy:
            err_console.print(
                f"[yellow]{escape(r.account)}: not synced[/yellow] — {escape(r.busy)}"
            )
        if r.stopped:
            err_console.print(f"[red]{escape(r.account)}: stopped[/red] — {escape(r.stopped)}")
        for sku, message in r.errors[:limit]:
            console.print(f"[red]failed[/red] {escape(f'{r.account} {sku}: {message}')}")
        if len(r.errors) > limit:
            console.print(f"… {len(r.errors) - limit} more failures: `ocop-sync failures`")


def finish(reports: list[RunReport], kind: str, as_json: bool) -> None:
    """Print run reports; exit 3 when a listing failed or an account stopped, else 4 when
    an account was not pushed because another run held it."""
    if as_json:
        print_json([r.as_dict() for r in reports])
    else:
        console.print(reports_table(reports, title=kind.capitalize()))
        print_failures(reports)
    if any(r.failed or r.stopped for r in reports):
        raise typer.Exit(Exit.FAILED)
    if any(r.busy for r in reports):
        raise typer.Exit(Exit.BUSY)
