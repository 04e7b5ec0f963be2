"""The OAuth token store against every OAuth marketplace's sandbox (the registry's connectors
with `oauth`), on SQLite and PostgreSQL: one refresh however many callers and processes find
the token expired, the re-authorise stop when a refresh token is refused or its answer lost,
what a refresh token used behind the store's back does on each marketplace, and tokens
never in clear."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connectors.errors import AuthError
from connectors.http import HttpClient, make_http_client
from connectors.oauth import OAuthFlow, Tokens
from sync.settings import Account, ConfigError
from sync.state import StateStore
from sync.state.cipher import cipher_from_env
from sync.state.models import utcnow
from sync.state.token_provider import (
    StoredTokenProvider,
    authorize_sandbox_accounts,
    token_provider_for,
)
from sync.state.tokens import TokenStore
from tests.auth.conftest import OAuthSandbox, oauth_stats, sandbox
from tests.auth.token_worker import call_after_barrier


def provider_for(store: StateStore, account: Account) -> StoredTokenProvider:
    provider = token_provider_for(store, account)
    assert isinstance(provider, StoredTokenProvider)
    return provider


def stored(store: StateStore, account: Account) -> Tokens:
    tokens = TokenStore(store, cipher_from_env()).load(account.name)
    assert tokens is not None
    return tokens


def flow_of(oauth_sandbox: OAuthSandbox) -> OAuthFlow:
    flow = oauth_sandbox.connector.oauth
    assert flow is not None
    return flow


async def test_a_token_expiring_mid_run_is_refreshed_once_and_the_calls_go_on(
    store: StateStore, seller: Account, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    assert await authorize_sandbox_accounts(store, [seller]) == [seller.name]
    provider = provider_for(store, seller)
    client = oauth_sandbox.connector.client_factory(seller, tokens=provider)
    try:
        assert await client.find_by_sku("BEFORE") is None
        before = oauth_stats(oauth_sandbox.server)
        oauth_sandbox.expire(stored(store, seller).access_expires_at)  # expired mid-run
        found = await asyncio.gather(*(client.find_by_sku(f"X-{i}") for i in range(12)))
    finally:
        await client.aclose()
    assert found == [None] * 12
    after = oauth_stats(oauth_sandbox.server)
    assert after["refresh_calls"] - before["refresh_calls"] == 1
    assert after["refreshes"] - before["refreshes"] == 1
    assert after["expired_token_answers"] > before["expired_token_answers"]
    assert provider.refreshes == 1
    assert stored(store, seller).version == 2


async def test_a_token_due_within_the_margin_is_refreshed_before_the_call(
    store: StateStore, seller: Account, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    await authorize_sandbox_accounts(store, [seller])
    ahead = timedelta(0)
    provider = StoredTokenProvider(
        TokenStore(store, cipher_from_env()),
        seller,
        flow_of(oauth_sandbox),
        margin=timedelta(minutes=10),
        clock=lambda: utcnow() + ahead,
    )
    first = await provider.current()
    ahead = first.access_expires_at - utcnow() - timedelta(minutes=5)  # inside the margin
    before = oauth_stats(oauth_sandbox.server)["refresh_calls"]
    second = await provider.current()
    assert second.version == first.version + 1
    assert second.access_token != first.access_token
    ahead = timedelta(0)
    assert (await provider.current()).version == second.version  # not due: no refresh
    assert oauth_stats(oauth_sandbox.server)["refresh_calls"] - before == 1
    assert stored(store, seller).access_token == second.access_token  # committed before use


def test_four_processes_reaching_expiry_together_make_one_refresh(
    store: StateStore,
    state_url: str,
    seller: Account,
    oauth_sandbox: OAuthSandbox,
    secret_key: str,
) -> None:
    asyncio.run(authorize_sandbox_accounts(store, [seller]))
    server = oauth_sandbox.server
    before = oauth_stats(server)
    oauth_sandbox.expire(stored(store, seller).access_expires_at)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    results = context.Queue()
    args = (state_url, oauth_sandbox.name, seller.name, server.base_url, barrier, results)
    workers = [context.Process(target=call_after_barrier, args=args) for _ in range(4)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [outcome[:2] for outcome in outcomes] == [("ok", True)] * 4, outcomes
    assert sum(outcome[2] for outcome in outcomes) == 1  # one process refreshed
    after = oauth_stats(server)
    assert after["refresh_calls"] - before["refresh_calls"] == 1
    assert after["refresh_refused"] == before["refresh_refused"]
    assert stored(store, seller).version == 2


async def two_authorised(
    store: StateStore, oauth_sandbox: OAuthSandbox, first: str
) -> list[Account]:
    """Two fresh accounts (`first`, then another that should go on), authorised."""
    suffix = uuid.uuid4().hex[:6]
    accounts = [
        oauth_sandbox.account(f"{first}-{suffix}"),
        oauth_sandbox.account(f"other-{suffix}"),
    ]
    await authorize_sandbox_accounts(store, accounts)
    return accounts


async def one_call_each_after_expiry(
    store: StateStore, oauth_sandbox: OAuthSandbox, accounts: list[Account]
) -> tuple[list[AuthError | None], dict[str, int]]:
    """One call per account, through the engine's providers, with the sandbox clock past
    their access tokens' expiry (put back after): what each call raised (None: it went on),
    and how the OAuth figures moved meanwhile."""
    server = oauth_sandbox.server
    clock = sandbox(server, "/_sandbox/clock")["offset"]
    oauth_sandbox.expire(max(stored(store, account).access_expires_at for account in accounts))
    before = oauth_stats(server)
    outcomes: list[AuthError | None] = []
    try:
        for account in accounts:
            client = oauth_sandbox.connector.client_factory(
                account, tokens=provider_for(store, account)
            )
            try:
                assert await client.find_by_sku("ANY") is None
                outcomes.append(None)
            except AuthError as error:
                outcomes.append(error)
            finally:
                await client.aclose()
    finally:
        sandbox(server, "/_sandbox/clock", {"offset": clock})
    after = oauth_stats(server)
    return outcomes, {key: after[key] - before[key] for key in ("refresh_calls", "refresh_refused")}


async def test_a_refused_refresh_token_stops_that_account_with_the_reauthorise_command(
    store: StateStore, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    refused, other = await two_authorised(store, oauth_sandbox, "refused")
    stale = stored(store, refused)
    # The marketplace stops honouring the stored refresh token (the seller cancelled the
    # app's authorisation, the platform revoked it).
    assert sandbox(oauth_sandbox.server, "/_sandbox/revoke", {"refresh_token": stale.refresh_token})
    (stopped, going), moved = await one_call_each_after_expiry(
        store, oauth_sandbox, [refused, other]
    )
    assert stopped is not None and going is None  # the other account goes on
    assert "refused the refresh token" in str(stopped)  # an AuthError from the flow
    assert f"re-authorise with: ocop-sync auth {refused.name}" in str(stopped)
    assert stale.refresh_token not in str(stopped) and stale.access_token not in str(stopped)
    assert moved["refresh_refused"] == 1  # tried once, no loop
    assert moved["refresh_calls"] == 2  # that one and `other`'s
    assert stored(store, refused).version == 1  # nothing written
    assert stored(store, other).version == 2


async def test_a_refresh_token_used_behind_the_stores_back_is_what_the_marketplace_says(
    store: StateStore, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    """Shopee's refresh tokens work once: the stored one is then spent and the account stops.
    The others' stay valid until their own expiry: the account goes on with it."""
    flow = flow_of(oauth_sandbox)
    reused, other = await two_authorised(store, oauth_sandbox, "reused")
    # Someone refreshes with the stored refresh token behind the store's back (a restored
    # backup, a second deployment): on a single-use marketplace it is now spent.
    async with make_http_client(reused) as http:
        await flow.refresh(reused, stored(store, reused), http)
    (first, going), moved = await one_call_each_after_expiry(store, oauth_sandbox, [reused, other])
    assert going is None  # the other account goes on
    if flow.single_use_refresh:
        assert first is not None
        assert f"re-authorise with: ocop-sync auth {reused.name}" in str(first)
    else:
        assert first is None
    assert moved["refresh_calls"] == 2  # that one and `other`'s
    assert moved["refresh_refused"] == (1 if flow.single_use_refresh else 0)  # once, no loop
    assert stored(store, reused).version == (1 if flow.single_use_refresh else 2)


async def test_a_refresh_whose_answer_was_lost_stops_the_account_instead_of_retrying(
    store: StateStore, seller: Account, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    await authorize_sandbox_accounts(store, [seller])
    due = stored(store, seller).access_expires_at
    provider = StoredTokenProvider(
        TokenStore(store, cipher_from_env()),
        seller,
        flow_of(oauth_sandbox),
        clock=lambda: due,  # due
    )
    server = oauth_sandbox.server
    before = oauth_stats(server)
    sandbox(server, "/_sandbox/config", {"fault_rate": 1.0, "faults": ["drop"]})
    try:
        with pytest.raises(AuthError) as info:
            await provider.current()
    finally:
        sandbox(server, "/_sandbox/config", {"fault_rate": 0.0})
    assert "answer to a token refresh was lost" in str(info.value)
    assert f"re-authorise with: ocop-sync auth {seller.name}" in str(info.value)
    after = oauth_stats(server)
    assert after["refreshes"] - before["refreshes"] == 1  # the marketplace did refresh...
    assert after["refresh_calls"] - before["refresh_calls"] == 1  # ...and we asked once
    assert stored(store, seller).version == 1


async def test_a_refusal_that_no_token_fixes_stops_the_account_without_a_refresh(
    store: StateStore, seller: Account, oauth_sandbox: OAuthSandbox, secret_key: str
) -> None:
    await authorize_sandbox_accounts(store, [seller])
    _, secret = oauth_sandbox.connector.credentials  # the app's id, then its secret
    wrong = seller.model_copy(
        update={"credentials": {**seller.credentials, secret: SecretStr("WrOnG-secret")}}
    )
    before = oauth_stats(oauth_sandbox.server)
    client = oauth_sandbox.connector.client_factory(wrong, tokens=provider_for(store, wrong))
    assert isinstance(client, HttpClient)  # it counts the requests it sends
    try:
        with pytest.raises(AuthError):
            await client.find_by_sku("ANY")
    finally:
        await client.aclose()
    assert client.requests_sent == 1  # not retried, not refreshed
    assert oauth_stats(oauth_sandbox.server)["refresh_calls"] == before["refresh_calls"]
    assert stored(store, seller).version == 1


async def test_tokens_never_appear_in_clear_in_the_database_logs_or_reprs(
    store: StateStore,
    state_url: str,
    seller: Account,
    oauth_sandbox: OAuthSandbox,
    secret_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await authorize_sandbox_accounts(store, [seller])
    first = stored(store, seller)
    provider = provider_for(store, seller)
    client = oauth_sandbox.connector.client_factory(seller, tokens=provider)
    try:
        oauth_sandbox.expire(first.access_expires_at)
        assert await client.find_by_sku("ANY") is None  # one refresh: a second pair
    finally:
        await client.aclose()
    second = stored(store, seller)
    secrets = {first.access_token, first.refresh_token, second.access_token, second.refresh_token}
    assert len(secrets) == 4
    raw = _database_bytes(store, state_url)
    shown = [caplog.text, repr(provider), repr(first), repr(second), repr(store), str(second)]
    for secret in secrets:
        assert secret.encode() not in raw
        assert all(secret not in text for text in shown)
    assert b"oauth_tokens" in raw or store.engine.dialect.name == "sqlite"


def _database_bytes(store: StateStore, state_url: str) -> bytes:
    """Everything the database holds: the SQLite files, or a pg_dump of the database."""
    if store.engine.dialect.name == "sqlite":
        path = Path(state_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return subprocess.run(
        ["pg_dump", "--no-owner", state_url], check=True, capture_output=True, timeout=60
    ).stdout


async def test_configuration_errors_name_the_fix(
    store: StateStore, shop: Account, monkeypatch: pytest.MonkeyPatch, secret_key: str
) -> None:
    with pytest.raises(
        ConfigError, match=f"account {shop.name} is not authorised: run ocop-sync auth {shop.name}"
    ):
        token_provider_for(store, shop)
    voso = shop.model_copy(update={"marketplace": "voso"})
    assert token_provider_for(store, voso) is None
    await authorize_sandbox_accounts(store, [shop])
    monkeypatch.delenv("OCOP_SYNC_SECRET_KEY")
    with pytest.raises(ConfigError, match="OCOP_SYNC_SECRET_KEY is not set"):
        token_provider_for(store, shop)
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", "not-a-key")
    with pytest.raises(ConfigError) as info:
        token_provider_for(store, shop)
    assert "not-a-key" not in str(info.value)
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        TokenStore(store, cipher_from_env()).load(shop.name)


async def test_keys_rotate_new_first_then_rekey_then_drop_the_old(
    store: StateStore, shop: Account, monkeypatch: pytest.MonkeyPatch, secret_key: str
) -> None:
    await authorize_sandbox_accounts(store, [shop])
    tokens = stored(store, shop)
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", f"{new},{secret_key}")
    assert TokenStore(store, cipher_from_env()).rekey() == 1
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", new)
    assert stored(store, shop).access_token == tokens.access_token
    monkeypatch.setenv("OCOP_SYNC_SECRET_KEY", secret_key)
    with pytest.raises(ConfigError):
        stored(store, shop)
