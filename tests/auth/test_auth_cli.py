"""`ocop-sync auth` against the Shopee sandbox: the consent link, the code exchange, the
redirect caught by --listen, --status with its warning — and never a token in the output,
which `--status` also shows for every OAuth marketplace's sandbox."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from connectors.sandbox import SandboxServer
from sync.cli.app import app
from sync.settings import Account
from sync.state import StateStore
from sync.state.cipher import cipher_from_env
from sync.state.token_provider import authorize_sandbox_accounts
from sync.state.tokens import TokenStore
from tests.auth.conftest import OAuthSandbox, sandbox

runner = CliRunner()


def write_config(path: Path, state_url: str, accounts: list[Account]) -> Path:
    lines = [f'state_url = "{state_url}"']
    for account in accounts:
        creds = {k: v.get_secret_value() for k, v in account.credentials.items()}
        lines += [
            "[[accounts]]",
            f'name = "{account.name}"',
            f'marketplace = "{account.marketplace}"',
            f'base_url = "{account.base_url}"',
            "[accounts.credentials]",
            *(f'{k} = "{v}"' for k, v in creds.items()),
        ]
        if account.marketplace == "shopee":
            lines += ["[accounts.options]", f'shop_id = "{account.options["shop_id"]}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path: Path, shop: Account, secret_key: str) -> tuple[Path, str]:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    voso = shop.model_copy(update={"name": "voso-x", "marketplace": "voso", "credentials": {}})
    return write_config(tmp_path / "ocop-sync.toml", state_url, [shop, voso]), state_url


def consent(link: str, shop: Account) -> httpx.URL:
    """The shop owner opens the link and logs in as the shop: where Shopee sends them."""
    answer = httpx.get(f"{link}&shop_id={shop.options['shop_id']}", follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return httpx.URL(answer.headers["location"])


def link_in(output: str) -> str:
    return next(line for line in output.splitlines() if "/api/v2/shop/auth_partner?" in line)


def test_auth_prints_the_link_then_exchanges_the_code(
    setup: tuple[Path, str], shop: Account
) -> None:
    config, state_url = setup
    shown = runner.invoke(app, ["auth", shop.name, "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    back = consent(link_in(shown.output).strip(), shop)
    code, shop_id = back.params["code"], back.params["shop_id"]
    done = runner.invoke(
        app, ["auth", shop.name, "--code", code, "--shop-id", shop_id, "--config", str(config)]
    )
    assert done.exit_code == 0, done.output
    assert f"account {shop.name} authorised (shop {shop_id})" in done.output
    tokens = TokenStore(StateStore(state_url), cipher_from_env()).load(shop.name)
    assert tokens is not None and tokens.authorization_expires_at is not None
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in shown.output + done.output
    again = runner.invoke(
        app, ["auth", shop.name, "--code", code, "--shop-id", shop_id, "--config", str(config)]
    )
    assert again.exit_code == 3 and "Invalid code" in again.output  # a code works once


def test_status_json_shows_dates_and_warnings_never_tokens(
    setup: tuple[Path, str], shop: Account, shopee_sandbox: SandboxServer
) -> None:
    config, state_url = setup
    # The shop consented 360 days ago (sandbox clock): its authorisation ends in 5 days.
    sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": -360 * 86400})
    back = consent(link_in(runner.invoke(app, ["auth", shop.name, "-c", str(config)]).output), shop)
    args = ["auth", shop.name, "--code", back.params["code"], "--shop-id", back.params["shop_id"]]
    exchanged = runner.invoke(app, [*args, "-c", str(config)])
    sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": 360 * 86400})
    assert exchanged.exit_code == 0, exchanged.output
    result = runner.invoke(app, ["auth", "--status", "--json", "-c", str(config)])
    assert result.exit_code == 0, result.output
    tokens = TokenStore(StateStore(state_url), cipher_from_env()).load(shop.name)
    assert tokens is not None
    assert tokens.access_token not in result.output and tokens.refresh_token not in result.output
    rows = json.loads(result.stdout)
    assert [row["account"] for row in rows] == [shop.name]  # the Voso account has no OAuth
    row = rows[0]
    assert row["authorised"] and row["shop_id"] == shop.options["shop_id"]
    assert 4.5 < row["authorization_days_left"] < 5.5
    assert "run ocop-sync auth" in row["warning"]
    assert 29 < row["refresh_days_left"] <= 30
    table = runner.invoke(app, ["auth", "--status", "-c", str(config)])
    assert table.exit_code == 0 and "warning" in table.output


def test_configuration_errors_exit_2_before_any_link(
    setup: tuple[Path, str], shop: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = setup
    monkeypatch.delenv("OCOP_SYNC_SECRET_KEY")
    no_key = runner.invoke(app, ["auth", shop.name, "-c", str(config)])
    assert no_key.exit_code == 2 and "OCOP_SYNC_SECRET_KEY is not set" in no_key.output
    assert "auth_partner" not in no_key.output
    not_oauth = runner.invoke(app, ["auth", "voso-x", "-c", str(config)])
    assert not_oauth.exit_code == 2 and "does not authorise by OAuth" in not_oauth.output
    unknown = runner.invoke(app, ["auth", "nobody", "-c", str(config)])
    assert unknown.exit_code == 2


def test_listen_catches_the_redirect_and_stores_the_grant(
    setup: tuple[Path, str], shop: Account
) -> None:
    config, state_url = setup
    command = [str(Path(sys.executable).parent / "ocop-sync"), "auth", shop.name,
               "--listen", "127.0.0.1:0", "--wait", "60", "-c", str(config)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        link = ""
        while "/api/v2/shop/auth_partner?" not in link:
            link = process.stdout.readline()
            assert link, process.stderr.read() if process.stderr else ""
        back = consent(link.strip(), shop)
        assert back.host == "127.0.0.1" and back.params["state"]
        page = httpx.get(str(back))  # the browser follows the redirect to the listener
        assert page.status_code == 200
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert f"account {shop.name} authorised" in out
    tokens = TokenStore(StateStore(state_url), cipher_from_env()).load(shop.name)
    assert tokens is not None and tokens.shop_id == shop.options["shop_id"]
    assert tokens.access_token not in out + err and tokens.refresh_token not in out + err


def test_status_of_every_oauth_marketplace_shows_no_token(
    tmp_path: Path, seller: Account, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    store = StateStore(state_url)
    try:
        assert asyncio.run(authorize_sandbox_accounts(store, [seller])) == [seller.name]
        tokens = TokenStore(store, cipher_from_env()).load(seller.name)
    finally:
        store.close()
    assert tokens is not None
    config = write_config(tmp_path / "ocop-sync.toml", state_url, [seller])
    result = runner.invoke(app, ["auth", "--status", "--json", "-c", str(config)])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["account"] == seller.name and row["authorised"]
    table = runner.invoke(app, ["auth", "--status", "-c", str(config)])
    assert table.exit_code == 0 and seller.name in table.output
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in result.output + table.output
