"""The Typer application object and what every command shares (console, exit codes)."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import Any

import typer
import typer.core
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


def _value_name(option: Any, ctx: Any) -> str | None:
    """What `--help` shows after an option: nothing for a flag, its metavar, its choices,
    else its long name in capitals (`--sku SKU`), instead of Typer's `<bool>`/`<list[str]>`."""
    if option.is_flag or option.count:
        return None
    if option.metavar is not None:
        return str(option.metavar)
    described = getattr(option, "type_descriptor", None)
    if described is not None and described.is_choice and described.choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in described.choices) + "]"
    longest = max(option.opts, key=len).lstrip("-")
    return longest.upper().replace("-", "_")


# One place for every command's help (tests/cli/test_help.py reads every --help page).
if hasattr(typer.core.TyperOption, "display_type_rich"):
    typer.core.TyperOption.display_type_rich = _value_name  # type: ignore[method-assign,assignment]
    # An argument's name is already in the first column: no `<str>` beside it.
    typer.core.TyperArgument.display_type_rich = lambda argument, ctx: None  # type: ignore[method-assign,assignment]

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
    log_format: str = typer.Option(
        "text",
        "--log-format",
        envvar="OCOP_SYNC_LOG_FORMAT",
        help="Log lines on stderr as text or json (any command accepts it).",
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log lines: -v info, -vv debug."
    ),
    quiet: int = typer.Option(0, "--quiet", "-q", count=True, help="Only errors in the log."),
) -> None:
    """ocop-sync: validate catalogs, plan and push listings, inspect failures."""
    from sync.observe.logs import FORMATS, setup_logging

    if log_format not in FORMATS:
        raise typer.BadParameter(f"--log-format must be one of {', '.join(FORMATS)}")
    setup_logging(log_format, verbose - quiet)


GLOBAL_FLAGS = frozenset({"-v", "-vv", "-vvv", "--verbose", "-q", "--quiet"})


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move -v/-q/--log-format given after a command's name to the front, where the
    root callback reads them: `ocop-sync sync -v` works like `ocop-sync -v sync`."""
    front: list[str] = []
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            rest += [arg, *args]
            break
        if arg in GLOBAL_FLAGS:
            front.append(arg)
        elif arg == "--log-format":
            front += [arg, next(args, "")]
        elif arg.startswith("--log-format="):
            front.append(arg)
        else:
            rest.append(arg)
    return front + rest
