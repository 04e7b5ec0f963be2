"""Command-line interface. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import sys

from sync.cli.app import Exit, app, err_console, hoist_global_options

# Importing the command modules registers their commands on `app`.
from sync.cli import auth, console, demo, feed, inspect, run, runs  # noqa: F401  isort: skip
from sync.cli import sandbox, template, validate, workers  # noqa: F401  isort: skip


def main() -> None:
    """Console-script entry point: run the app, never let a traceback reach the user."""
    try:
        app(args=hoist_global_options(sys.argv[1:]), prog_name="ocop-sync")
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # last line of defence; commands handle their own errors
        err_console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
        sys.exit(Exit.USAGE)
