"""`ocop-sync serve`: the web console and /metrics (sync/console)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from sync.cli.app import Exit, app, console, err_console
from sync.cli.common import ConfigOpt, StateOpt, settings_from, user_errors

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command()
def serve(
    host: str | None = typer.Option(None, "--host", help="Address (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default 8700)."),
    via: str = typer.Option(
        "inline",
        "--via",
        help="Where Resync runs: inline (a thread of this process) or celery (the workers).",
    ),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    hash_password: bool = typer.Option(
        False, "--hash-password", help="Read a password, print its hash for [console] and exit."
    ),
) -> None:
    """The operator console in the browser (Vietnamese, or English) and /metrics."""
    if hash_password:
        from sync.console.auth import hash_password as make_hash

        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        console.print(make_hash(secret))
        return
    if via not in ("inline", "celery"):
        raise typer.BadParameter("--via must be inline or celery")
    with user_errors():
        settings = settings_from(config, state_url)
        if config is not None:  # the workers' app reads the same file (--via celery)
            os.environ["OCOP_SYNC_CONFIG"] = str(config.resolve())
    address = host or settings.console.host
    if address not in LOOPBACK:
        err_console.print(
            f"[yellow]warning:[/yellow] listening on {address}: put it behind HTTPS "
            "(a reverse proxy) so passwords and session cookies never cross a network in clear"
        )
    import uvicorn

    from sync.console.app import create_app

    with user_errors():
        web = create_app(settings, resync_via=via)
    if not web.state.console.auth.configured:
        err_console.print(
            "[yellow]warning:[/yellow] nobody can log in: add [[console.operators]] "
            "(hash with `ocop-sync serve --hash-password`) or OCOP_SYNC_CONSOLE__ADMIN_TOKEN"
        )
    chosen = port or settings.console.port
    err_console.print(f"console on http://{address}:{chosen}/ (metrics on /metrics)")
    try:
        uvicorn.run(web, host=address, port=chosen, log_config=None, access_log=False)
    except OSError as error:
        err_console.print(f"[red]error:[/red] cannot listen on {address}:{chosen}: {error}")
        raise typer.Exit(Exit.USAGE) from None
