"""`ocop-sync auth`: authorise an OAuth account (Shopee…), or show where authorisations stand.

    ocop-sync auth ACCOUNT                      print the consent link for the shop owner
    ocop-sync auth ACCOUNT --code C --shop-id S exchange the code the redirect carried
    ocop-sync auth ACCOUNT --listen HOST:PORT   catch the redirect here and exchange it
    ocop-sync auth --status [--json]            expiries and days left, per account
    ocop-sync auth --rekey                      re-encrypt stored tokens under the first key

Tokens are stored encrypted (OCOP_SYNC_SECRET_KEY) and never printed.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import typer
from rich.table import Table

from connectors.errors import MarketplaceError
from connectors.http import make_http_client
from connectors.oauth import OAuthFlow, TokenGrant
from connectors.registry import get_connector
from sync.cli.app import Exit, app, console, err_console
from sync.cli.common import ConfigOpt, JsonOpt, StateOpt, print_json, settings_from, user_errors
from sync.settings import Account, ConfigError, Settings
from sync.state.cipher import cipher_from_env
from sync.state.models import utcnow
from sync.state.store import StateStore
from sync.state.tokens import TokenStatus, TokenStore

WARN_DAYS = 7
DEFAULT_REDIRECT = "https://open.shopee.com"  # any page: the owner copies code and shop_id


@app.command()
def auth(
    account: str | None = typer.Argument(None, help="The OAuth account to authorise."),
    code: str | None = typer.Option(None, "--code", help="The code the redirect carried."),
    shop_id: str | None = typer.Option(None, "--shop-id", help="The shop_id beside the code."),
    listen: str | None = typer.Option(
        None, "--listen", metavar="HOST:PORT", help="Catch the redirect on this address."
    ),
    redirect: str | None = typer.Option(
        None, "--redirect", help="Where the marketplace sends the owner back (default: ours)."
    ),
    wait: float = typer.Option(600.0, "--wait", help="Seconds --listen waits for the owner."),
    status: bool = typer.Option(False, "--status", help="Expiries and days left per account."),
    rekey: bool = typer.Option(False, "--rekey", help="Re-encrypt tokens under the first key."),
    config: Path | None = ConfigOpt,
    state_url: str | None = StateOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Authorise an OAuth account, or show where the authorisations stand (--status)."""
    with user_errors():
        settings = settings_from(config, state_url)
        store = StateStore(settings.state_url)
        if status:
            _status(settings, store, as_json)
            return
        if rekey:
            count = TokenStore(store, cipher_from_env()).rekey()
            console.print(f"re-encrypted the tokens of {count} account(s) under the first key")
            return
        if account is None:
            raise ConfigError("name the account to authorise (or use --status)")
        target = settings.account(account)
        flow = get_connector(target.marketplace).oauth
        if flow is None:
            raise ConfigError(
                f"account {target.name} ({target.marketplace}) does not authorise by OAuth"
            )
        tokens = TokenStore(store, cipher_from_env())  # no key: exit 2 before any link
        if code is not None:
            _exchange(tokens, target, flow, code, shop_id)
        elif listen is not None:
            _listen(tokens, target, flow, listen, redirect, wait)
        else:
            link = flow.authorize_url(target, redirect or DEFAULT_REDIRECT, "")
            console.print(f"Open this link as the shop owner of {target.name} (valid 5 minutes):")
            console.print(link, soft_wrap=True)
            console.print(f"then run: ocop-sync auth {target.name} --code CODE --shop-id SHOP_ID")


def _exchange(
    tokens: TokenStore, account: Account, flow: OAuthFlow, code: str, shop_id: str | None
) -> None:
    async def run() -> TokenGrant:
        async with make_http_client(account) as http:
            return await flow.exchange_code(account, code, shop_id, http)

    try:
        grant = asyncio.run(run())
    except MarketplaceError as refused:
        err_console.print(f"[red]error:[/red] {refused}")
        raise typer.Exit(Exit.FAILED) from None
    saved = tokens.save(account.name, account.marketplace, grant)
    until = saved.authorization_expires_at
    console.print(
        f"account {account.name} authorised (shop {saved.shop_id}); access token until "
        f"{saved.access_expires_at:%Y-%m-%d %H:%M} UTC"
        + (f", authorisation until {until:%Y-%m-%d}" if until else "")
    )


def _listen(
    tokens: TokenStore,
    account: Account,
    flow: OAuthFlow,
    address: str,
    redirect: str | None,
    wait: float,
) -> None:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen wants HOST:PORT, not {address!r}")
    state = secrets.token_urlsafe(16)  # the answer must come from the link we printed
    caught: dict[str, str] = {}
    done = threading.Event()

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            ok = query.get("state") == state and "code" in query
            if ok:
                caught.update(query)
                done.set()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            text = "ocop-sync: authorised, you can close this page." if ok else "unexpected"
            self.wfile.write(text.encode())

        def log_message(self, *args: Any) -> None:  # the query holds the code: never log it
            return

    try:
        server = HTTPServer((host, int(port)), Callback)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {address}: {exc.strerror}") from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        back = redirect or f"http://{host}:{server.server_port}/callback"
        console.print(f"Open this link as the shop owner of {account.name} (valid 5 minutes):")
        console.print(flow.authorize_url(account, back, state), soft_wrap=True)
        console.print(f"waiting for the redirect on {back} …")
        if not done.wait(wait):
            err_console.print(f"[red]error:[/red] no redirect came back within {wait:g} s")
            raise typer.Exit(Exit.FAILED)
    finally:
        server.shutdown()
        server.server_close()
    _exchange(tokens, account, flow, caught["code"], caught.get("shop_id") or None)


def _days(until: datetime | None, now: datetime) -> float | None:
    return None if until is None else round((until - now).total_seconds() / 86400, 1)


def _status(settings: Settings, store: StateStore, as_json: bool) -> None:
    now = utcnow()
    stored = {row.account: row for row in TokenStore(store, None).statuses()}
    oauth = [a.name for a in settings.accounts if get_connector(a.marketplace).oauth is not None]
    rows = [_status_row(name, stored.get(name), now) for name in sorted(set(oauth) | set(stored))]
    for row in rows:
        if row["warning"]:
            err_console.print(f"[yellow]warning:[/yellow] {row['account']}: {row['warning']}")
    if as_json:
        print_json(rows)
        return
    table = Table(title="OAuth authorisations")
    for column in ("account", "shop", "access until", "refresh until", "authorised until", "days"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["account"],
            row["shop_id"] or "—",
            _short(row["access_expires_at"]),
            _short(row["refresh_expires_at"]),
            _short(row["authorization_expires_at"]),
            "—"
            if row["authorization_days_left"] is None
            else f"{row['authorization_days_left']:g}",
        )
    console.print(table)


def _status_row(name: str, row: TokenStatus | None, now: datetime) -> dict[str, Any]:
    if row is None:
        return {
            "account": name, "authorised": False, "shop_id": None, "access_expires_at": None,
            "refresh_expires_at": None, "authorization_expires_at": None,
            "authorization_days_left": None, "refresh_days_left": None, "version": None,
            "warning": f"not authorised: run ocop-sync auth {name}",
        }  # fmt: skip
    auth_left = _days(row.authorization_expires_at, now)
    refresh_left = _days(row.refresh_expires_at, now)
    warning = None
    if auth_left is not None and auth_left <= WARN_DAYS:
        warning = f"the authorisation ends in {auth_left:g} days: run ocop-sync auth {name}"
    elif refresh_left is not None and refresh_left <= WARN_DAYS:
        warning = f"the refresh token expires in {refresh_left:g} days unless a sync refreshes it"
    return {
        "account": name,
        "authorised": True,
        "marketplace": row.marketplace,
        "shop_id": row.shop_id,
        "access_expires_at": row.access_expires_at.isoformat(),
        "refresh_expires_at": row.refresh_expires_at.isoformat()
        if row.refresh_expires_at
        else None,
        "authorization_expires_at": (
            row.authorization_expires_at.isoformat() if row.authorization_expires_at else None
        ),
        "authorization_days_left": auth_left,
        "refresh_days_left": refresh_left,
        "version": row.version,
        "warning": warning,
    }


def _short(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "—"
