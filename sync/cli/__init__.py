"""Command-line interface. Each command lives in its own module and registers on `app`."""

from __future__ import annotations

import sys

from sync.cli.app import Exit, app, err_console

# Importing the command modules registers their commands on `app`.
from sync.cli import auth, demo, feed, inspect, run, sandbox, validate, workers  # noqa: F401  isort: skip


def main() -> None:
    """Console-script entry point: run the app, never let a traceback reach the user."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # last line of defence; commands handle their own errors
        err_console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
        sys.exit(Exit.USAGE)
