"""The Typer application object and what every command shares (console, exit codes)."""

from __future__ import annotations

import sys
from enum import IntEnum

import typer
from rich.console import Console

from sync import __version__


class Exit(IntEnum):
    """Process exit codes shared by every command."""

    OK = 0
    INVALID = 1  # validate: some rows are invalid
    USAGE = 2  # usage or configuration error, unreadable input
    FAILED = 3  # sync: some listings failed, or an account stopped (refused, unreachable)
    BUSY = 4  # sync: an account was not pushed because another run holds it (its lease)


# Piped output (CI logs, `| less`) gets wide tables instead of rich's 80-column default.
_PIPED_WIDTH = None if sys.stdout.isatty() else 160
console = Console(highlight=False, width=_PIPED_WIDTH)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)

app = typer.Typer(
    name="ocop-sync",
    help="Keep OCOP product catalogs in step with marketplace listings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"ocop-sync {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """ocop-sync: validate catalogs, plan and push listings, inspect failures."""
