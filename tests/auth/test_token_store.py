"""The OAuth token store against the Shopee sandbox, on SQLite and PostgreSQL: one refresh
however many callers and processes find the token expired, the re-authorise stop when a
refresh token is refused or its answer lost, and tokens never in clear."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from connectors.errors import AuthError
from connectors.http import make_http_client
from connectors.oauth import Tokens
from connectors.sandbox import SandboxServer
from connectors.shopee import CONNECTOR as SHOPEE
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
from tests.auth.conftest import oauth_stats, sandbox
from tests.auth.token_worker import call_after_barrier

HOURS_5 = 5 * 3600


def provider_for(store: StateStore, account: Account) -> StoredTokenProvider:
    provider = token_provider_for(store, account)
    assert isinstance(provider, StoredTokenProvider)
    return provider


def stored(store: StateStore, account: Account) -> Tokens:
    tokens = TokenStore(store, cipher_from_env()).load(account.name)
    assert tokens is not None
    return tokens


async def test_a_token_expiring_mid_run_is_refreshed_once_and_the_calls_go_on(
    store: StateStore, shop: Account, shopee_sandbox: SandboxServer, secret_key: str
) -> None:
    assert await authorize_sandbox_accounts(store, [shop]) == [shop.name]
    provider = provider_for(store, shop)
    client = SHOPEE.client_factory(shop, tokens=provider)
    try:
        assert await client.find_by_sku("BEFORE") is None
        before = oauth_stats(shopee_sandbox)
        sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": HOURS_5})  # expired mid-run
        found = await asyncio.gather(*(client.find_by_sku(f"X-{i}") for i in range(12)))
    finally:
        await client.aclose()
    assert found == [None] * 12
    after = oauth_stats(shopee_sandbox)
    assert after["refresh_calls"] - before["refresh_calls"] == 1
    assert after["expired_token_answers"] > before["expired_token_answers"]
    assert provider.refreshes == 1
    assert stored(store, shop).version == 2


async def test_a_token_due_within_the_margin_is_refreshed_before_the_call(
    store: StateStore, shop: Account, shopee_sandbox: SandboxServer, secret_key: str
) -> None:
    await authorize_sandbox_accounts(store, [shop])
    ahead = timedelta(0)
    provider = StoredTokenProvider(
        TokenStore(store, cipher_from_env()),
        shop,
        SHOPEE.oauth,  # type: ignore[arg-type]
        margin=timedelta(minutes=10),
        clock=lambda: utcnow() + ahead,
    )
    first = await provider.current()
    ahead = first.access_expires_at - utcnow() - timedelta(minutes=5)  # inside the margin
    before = oauth_stats(shopee_sandbox)["refresh_calls"]
    second = await provider.current()
    assert second.version == first.version + 1
    assert second.access_token != first.access_token
    ahead = timedelta(0)
    assert (await provider.current()).version == second.version  # not due: no refresh
    assert oauth_stats(shopee_sandbox)["refresh_calls"] - before == 1
    assert stored(store, shop).access_token == second.access_token  # committed before use


def test_four_processes_reaching_expiry_together_make_one_refresh(
    store: StateStore,
    state_url: str,
    shop: Account,
    shopee_sandbox: SandboxServer,
    secret_key: str,
) -> None:
    asyncio.run(authorize_sandbox_accounts(store, [shop]))
    before = oauth_stats(shopee_sandbox)
    sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": HOURS_5})
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    results = context.Queue()
    workers = [
        context.Process(
            target=call_after_barrier,
            args=(state_url, shop.name, shopee_sandbox.base_url, barrier, results),
        )
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [outcome[:2] for outcome in outcomes] == [("ok", True)] * 4, outcomes
    assert sum(outcome[2] for outcome in outcomes) == 1  # one process refreshed
    after = oauth_stats(shopee_sandbox)
    assert after["refresh_calls"] - before["refresh_calls"] == 1
    assert after["refresh_refused"] == before["refresh_refused"]
    assert stored(store, shop).version == 2


async def test_a_reused_refresh_token_stops_that_account_with_the_reauthorise_command(
    store: StateStore, shopee_sandbox: SandboxServer, secret_key: str
) -> None:
    spent = SHOPEE.sandbox_kit.account(
        "spent-shop-" + secret_key[:6].lower(), shopee_sandbox.base_url
    )
    other = SHOPEE.sandbox_kit.account(
        "other-shop-" + secret_key[:6].lower(), shopee_sandbox.base_url
    )
    await authorize_sandbox_accounts(store, [spent, other])
    # Someone refreshes with the stored refresh token behind the store's back (a restored
    # backup, a second deployment): the token in the database is now spent.
    async with make_http_client(spent) as http:
        await SHOPEE.oauth.refresh(spent, stored(store, spent), http)  # type: ignore[union-attr]
    sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": HOURS_5})
    try:
        before = oauth_stats(shopee_sandbox)
        stopped = SHOPEE.client_factory(spent, tokens=provider_for(store, spent))
        going = SHOPEE.client_factory(other, tokens=provider_for(store, other))
        try:
            with pytest.raises(AuthError) as info:
                await stopped.find_by_sku("ANY")
            assert await going.find_by_sku("ANY") is None  # the other account goes on
        finally:
            await stopped.aclose()
            await going.aclose()
    finally:
        sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": -HOURS_5})
    assert f"re-authorise with: ocop-sync auth {spent.name}" in str(info.value)
    after = oauth_stats(shopee_sandbox)
    assert after["refresh_refused"] - before["refresh_refused"] == 1  # tried once, no loop
    assert after["refresh_calls"] - before["refresh_calls"] == 2  # that one and `other`'s
    assert stored(store, spent).version == 1  # nothing written


async def test_a_refresh_whose_answer_was_lost_stops_the_account_instead_of_retrying(
    store: StateStore, shop: Account, shopee_sandbox: SandboxServer, secret_key: str
) -> None:
    await authorize_sandbox_accounts(store, [shop])
    provider = StoredTokenProvider(
        TokenStore(store, cipher_from_env()),
        shop,
        SHOPEE.oauth,  # type: ignore[arg-type]
        clock=lambda: utcnow() + timedelta(hours=4),  # due
    )
    before = oauth_stats(shopee_sandbox)
    sandbox(shopee_sandbox, "/_sandbox/config", {"fault_rate": 1.0, "faults": ["drop"]})
    try:
        with pytest.raises(AuthError) as info:
            await provider.current()
    finally:
        sandbox(shopee_sandbox, "/_sandbox/config", {"fault_rate": 0.0})
    assert "answer to a token refresh was lost" in str(info.value)
    assert f"re-authorise with: ocop-sync auth {shop.name}" in str(info.value)
    after = oauth_stats(shopee_sandbox)
    assert after["refreshes"] - before["refreshes"] == 1  # Shopee did rotate the pair...
    assert after["refresh_calls"] - before["refresh_calls"] == 1  # ...and we asked once
    assert stored(store, shop).version == 1


async def test_tokens_never_appear_in_clear_in_the_database_logs_or_reprs(
    store: StateStore,
    state_url: str,
    shop: Account,
    shopee_sandbox: SandboxServer,
    secret_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await authorize_sandbox_accounts(store, [shop])
    first = stored(store, shop)
    provider = provider_for(store, shop)
    client = SHOPEE.client_factory(shop, tokens=provider)
    try:
        sandbox(shopee_sandbox, "/_sandbox/clock", {"advance": HOURS_5})
        assert await client.find_by_sku("ANY") is None  # one refresh: a second pair
    finally:
        await client.aclose()
    second = stored(store, shop)
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
