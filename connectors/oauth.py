"""OAuth for marketplaces whose shops authorise us (Shopee, Lazada, TikTok Shop, Alibaba.com).

The split: a connector knows its marketplace's OAuth calls (`OAuthFlow`: the authorisation
link, code -> tokens, refresh -> tokens). The engine owns where tokens live (the state
database, encrypted), the lock that makes one refresh out of many, and hands each client a
`TokenProvider` for its account. Connectors never import the state store.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import httpx

from connectors.errors import AuthError, MarketplaceError
from sync.settings import ConfigError

if TYPE_CHECKING:
    from sync.settings import Account


@dataclass(frozen=True, repr=False)
class TokenGrant:
    """What a marketplace answered to a code exchange or a refresh.

    `repr` hides the tokens so a grant in a traceback or a log line shows no secret.
    """

    access_token: str
    refresh_token: str
    access_expires_at: datetime  # timezone-aware
    refresh_expires_at: datetime | None = None
    authorization_expires_at: datetime | None = None  # when the shop's consent itself ends
    shop_id: str | None = None
    seller_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # e.g. TikTok's shop_cipher

    def __repr__(self) -> str:
        return (
            f"TokenGrant(access_expires_at={self.access_expires_at.isoformat()}, "
            f"shop_id={self.shop_id!r}, seller_id={self.seller_id!r}, tokens=<hidden>)"
        )

    def keeping(self, before: TokenGrant) -> TokenGrant:
        """This answer, with what it leaves out kept from `before` (a refresh answer often
        omits what does not change: Shopee's carries no authorisation end)."""
        return TokenGrant(
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            access_expires_at=self.access_expires_at,
            refresh_expires_at=self.refresh_expires_at or before.refresh_expires_at,
            authorization_expires_at=self.authorization_expires_at
            or before.authorization_expires_at,
            shop_id=self.shop_id or before.shop_id,
            seller_id=self.seller_id or before.seller_id,
            extra={**before.extra, **self.extra},
        )


@dataclass(frozen=True, repr=False)
class Tokens(TokenGrant):
    """A grant as stored: `version` grows by one with each refresh (compare-and-swap)."""

    version: int = 0

    def __repr__(self) -> str:
        return f"Tokens(version={self.version}, {TokenGrant.__repr__(self)[11:]}"

    @classmethod
    def of(cls, grant: TokenGrant, version: int) -> Tokens:
        """`grant` as stored at `version` (its `extra` copied, not shared)."""
        fields = {f.name: getattr(grant, f.name) for f in dataclasses.fields(TokenGrant)}
        return cls(**{**fields, "extra": dict(grant.extra)}, version=version)


_IN_URL = re.compile(r"\b(access_token|refresh_token|code|session)=[^&\s\"']+")


class HideTokensInUrls(logging.Filter):
    """Masks tokens in the query strings that log lines quote (httpx logs every request's
    URL at INFO, and Shopee and Lazada carry the access token in the query, Alibaba.com as
    `session`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message or "code=" in message or "session=" in message:
            record.msg, record.args = _IN_URL.sub(r"\1=<hidden>", message), ()
        return True


def hide_tokens_in_http_logs() -> None:
    """Install HideTokensInUrls on httpx's logger (once; OAuth clients call it)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, HideTokensInUrls) for f in logger.filters):
        logger.addFilter(HideTokensInUrls())


class RefreshAnswerLost(MarketplaceError):
    """A refresh was sent and its answer never came back (timeout, dropped connection).

    The marketplace may have rotated the tokens, and where a refresh token works once (Shopee)
    the one we hold may be spent: sending it again is not safe, so the account needs a new
    authorisation rather than a retry.
    """


def reauthorise(account: str, why: str) -> AuthError:
    """The one error that stops an OAuth account: `why`, then the command that fixes it."""
    return AuthError(f"{why}; re-authorise with: ocop-sync auth {account}", account=account)


class OAuthFlow(Protocol):
    """A marketplace's OAuth calls. Each raises connectors.errors on failure.

    `single_use_refresh` is the marketplace's documented rule: True where a refresh spends
    the refresh token it was sent with (Shopee), False where that token stays valid until
    its own expiry. The engine never relies on the second: it refreshes once across every
    process and never sends again a refresh whose answer was lost.
    """

    single_use_refresh: bool

    def authorize_url(self, account: Account, redirect_uri: str, state: str) -> str:
        """The link a shop owner opens to authorise this account."""
        ...

    async def exchange_code(
        self, account: Account, code: str, shop_id: str | None, http: httpx.AsyncClient
    ) -> TokenGrant:
        """Trade an authorisation code (single use) for tokens."""
        ...

    async def refresh(
        self, account: Account, tokens: Tokens, http: httpx.AsyncClient
    ) -> TokenGrant:
        """Trade the refresh token for a new pair (on Shopee the old one is then spent).

        Raises AuthError when the marketplace refuses the refresh token, RetriableError when
        it answered that it could not do it now (nothing spent), RefreshAnswerLost when the
        request went out and no answer came back.
        """
        ...


@dataclass
class _Attempt:
    tokens: Tokens
    refused: bool = False


class RefusedTokens:
    """Which pair each attempt of a client was signed with, and whether the marketplace
    refused it as invalid or expired — so `refresh_auth` refreshes exactly that pair.

    Kept per asyncio task: an HttpClient's `prepare`, `classify` and `refresh_auth` of one
    attempt run in the task that sends it, so concurrent calls never see each other's.
    """

    def __init__(self, name: str) -> None:
        self._attempt: ContextVar[_Attempt | None] = ContextVar(name, default=None)

    def signing_with(self, tokens: Tokens) -> None:
        """`prepare`: this attempt is signed with `tokens`."""
        self._attempt.set(_Attempt(tokens))

    def refused(self) -> None:
        """`classify`: the marketplace refused this attempt's access token."""
        attempt = self._attempt.get()
        if attempt is not None:
            attempt.refused = True

    async def refresh(self, provider: TokenProvider) -> bool:
        """`refresh_auth`: the provider's pair after the refused one (shared by every caller
        refused with it); False when the attempt's token was not what was refused (a
        signature or app key refusal: no token fixes it)."""
        attempt = self._attempt.get()
        if attempt is None or not attempt.refused:
            return False
        await provider.refreshed(attempt.tokens)
        return True


def provider_or_fix(account: Account, tokens: TokenProvider | None, needs: str) -> TokenProvider:
    """An OAuth client's `tokens=`, or the ConfigError naming the fix when it was built
    without them (`needs`: what the marketplace needs, e.g. "the shop's authorisation").
    Also keeps tokens out of httpx's log lines, which quote every URL."""
    if tokens is None:
        raise ConfigError(f"account {account.name}: {needs} (run ocop-sync auth {account.name})")
    hide_tokens_in_http_logs()
    return tokens


class TokenProvider(Protocol):
    """The engine's side, handed to an OAuth client: current tokens, refreshed when due."""

    async def current(self) -> Tokens:
        """Tokens to sign the next call with; refreshed first when they expire soon."""
        ...

    async def refreshed(self, stale: Tokens) -> Tokens:
        """Tokens after the marketplace refused `stale` as expired: refreshed at most once
        across every process (a caller that lost the race gets the winner's pair)."""
        ...
