"""The engine's TokenProvider: current tokens for one account, refreshed once when due.

`token_provider_for(store, account)` is what the engine calls where it builds a client:
None for marketplaces without OAuth, a `StoredTokenProvider` for the others. A provider
keeps the pair it last saw in memory, refreshes it `margin` before it expires (account
option `token_refresh_margin`, seconds, default 600) and once more when the marketplace
answers that it has expired (`refreshed(stale)`). The exchange itself runs in a worker
thread with its own event loop, under TokenStore.refresh_locked: on SQLite the lock is the
database's write lock, and a write from this process's event loop that waits for it must
not also be what the refresh needs to finish.

A refresh the marketplace refuses, or one whose answer was lost, stops the account with
"re-authorise with: ocop-sync auth <account>" — the refresh token is never sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.errors import AuthError, RetriableError
from connectors.http import make_http_client
from connectors.oauth import OAuthFlow, RefreshAnswerLost, TokenGrant, TokenProvider, Tokens
from connectors.oauth import reauthorise as reauthorise_error
from connectors.registry import get_connector
from sync.settings import Account, ConfigError
from sync.state.cipher import TokenCipher, cipher_from_env
from sync.state.models import utcnow
from sync.state.tokens import TokenStore

log = logging.getLogger("ocop_sync.tokens")

MARGIN_OPTION = "token_refresh_margin"  # account.options key, seconds
DEFAULT_MARGIN = 600.0
SANDBOX_CONSENTS = 3  # attempts at a sandbox's consent and code exchange (demo, tests)


def refresh_margin(account: Account) -> timedelta:
    """How long before the access token expires a provider refreshes it."""
    raw = account.options.get(MARGIN_OPTION, DEFAULT_MARGIN)
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"account {account.name}: {MARGIN_OPTION} must be seconds") from None
    if seconds < 0:
        raise ConfigError(f"account {account.name}: {MARGIN_OPTION} cannot be negative")
    return timedelta(seconds=seconds)


def not_authorised(account: str) -> ConfigError:
    """The configuration error of an OAuth account with no stored grant."""
    return ConfigError(f"account {account} is not authorised: run ocop-sync auth {account}")


class StoredTokenProvider:
    """connectors.oauth.TokenProvider over the state database's TokenStore."""

    def __init__(
        self,
        tokens: TokenStore,
        account: Account,
        flow: OAuthFlow,
        *,
        margin: timedelta | None = None,
        http_factory: Callable[[Account], httpx.AsyncClient] = make_http_client,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = tokens
        self.account = account
        self.flow = flow
        self.margin = refresh_margin(account) if margin is None else margin
        self.http_factory = http_factory
        self.clock = clock
        self.refreshes = 0  # refreshes this provider made itself (not those it took over)
        self._tokens: Tokens | None = None
        self._lock = asyncio.Lock()  # one reload/refresh at a time within this process

    def __repr__(self) -> str:
        return f"StoredTokenProvider(account={self.account.name!r}, tokens=<hidden>)"

    def _due(self, tokens: Tokens) -> bool:
        return tokens.access_expires_at - self.margin <= self.clock()

    async def current(self) -> Tokens:
        """The pair to sign the next call with; refreshed first when it expires soon."""
        tokens = self._tokens
        if tokens is not None and not self._due(tokens):
            return tokens
        async with self._lock:
            tokens = self._tokens
            if tokens is None or self._due(tokens):
                tokens = await asyncio.to_thread(self.store.load, self.account.name)
                if tokens is None:
                    raise reauthorise_error(self.account.name, "no stored authorisation")
                if self._due(tokens):
                    tokens = await self._refresh(tokens.version)
                self._tokens = tokens
            return tokens

    async def refreshed(self, stale: Tokens) -> Tokens:
        """The pair after the marketplace refused `stale` as expired: refreshed at most once
        across every process; a caller that lost the race gets the winner's pair."""
        async with self._lock:
            if self._tokens is not None and self._tokens.version > stale.version:
                return self._tokens
            self._tokens = await self._refresh(stale.version)
            return self._tokens

    async def _refresh(self, seen_version: int) -> Tokens:
        return await asyncio.to_thread(self._refresh_in_thread, seen_version)

    def _refresh_in_thread(self, seen_version: int) -> Tokens:
        name = self.account.name
        try:
            tokens, refreshed = self.store.refresh_locked(name, seen_version, self._exchange)
        except LookupError:
            raise reauthorise_error(name, "no stored authorisation") from None
        if refreshed:
            self.refreshes += 1
        return tokens

    def _exchange(self, tokens: Tokens) -> TokenGrant:
        """The marketplace call, made with the row locked (see TokenStore.refresh_locked)."""
        name = self.account.name
        now = self.clock()
        ended = tokens.authorization_expires_at
        if ended is not None and ended <= now:
            raise reauthorise_error(name, f"the shop's authorisation ended on {ended:%Y-%m-%d}")
        if tokens.refresh_expires_at is not None and tokens.refresh_expires_at <= now:
            raise reauthorise_error(
                name, f"the refresh token expired on {tokens.refresh_expires_at:%Y-%m-%d}"
            )

        async def call() -> TokenGrant:
            async with self.http_factory(self.account) as http:
                return await self.flow.refresh(self.account, tokens, http)

        try:
            return asyncio.run(call())
        except RefreshAnswerLost:
            raise reauthorise_error(
                name, "the answer to a token refresh was lost, so the refresh token may be spent"
            ) from None
        except AuthError as refused:
            raise reauthorise_error(
                name, f"the marketplace refused the refresh token ({refused.message})"
            ) from None


def oauth_flow(account: Account) -> OAuthFlow | None:
    """The account's marketplace OAuth flow, None when it authorises otherwise."""
    return get_connector(account.marketplace).oauth


def token_provider_for(
    store: Any, account: Account, *, cipher: TokenCipher | None = None
) -> TokenProvider | None:
    """The TokenProvider to build `account`'s client with (`tokens=`), or None.

    None for marketplaces without OAuth. ConfigError (exit 2) when the account is OAuth and
    OCOP_SYNC_SECRET_KEY is missing, or when it has never been authorised. `store` is a
    StateStore (or its engine).
    """
    flow = oauth_flow(account)
    if flow is None:
        return None
    tokens = TokenStore(store, cipher or cipher_from_env())
    if not tokens.has(account.name):
        raise not_authorised(account.name)
    return StoredTokenProvider(tokens, account, flow)


async def authorize_sandbox_accounts(
    store: Any, accounts: Sequence[Account], *, cipher: TokenCipher | None = None
) -> list[str]:
    """Authorise every OAuth account on its sandbox (SandboxKit.authorize) and store the
    grant; the names authorised. For the demo and tests, never for a real marketplace."""
    done: list[str] = []
    for account in accounts:
        connector = get_connector(account.marketplace)
        if connector.oauth is None or connector.sandbox_kit.authorize is None:
            continue
        tokens = TokenStore(store, cipher or cipher_from_env())
        for attempt in range(SANDBOX_CONSENTS):
            try:
                grant = await connector.sandbox_kit.authorize(account)
                break
            except RetriableError:
                # A sandbox on a loaded machine answering past the account's timeout: a new
                # consent gives a new code (the first may be spent), nothing else to undo.
                if attempt == SANDBOX_CONSENTS - 1:
                    raise
        await asyncio.to_thread(tokens.save, account.name, account.marketplace, grant)
        done.append(account.name)
    return done
