"""Shopee's OAuth calls (developer guide "Authorization and Authentication").

The shop owner opens the consent link (`/api/v2/shop/auth_partner`, a public call signed
over partner_id + path + timestamp, valid 5 minutes) and is sent back to our redirect with
`code` (single use, 10 minutes) and `shop_id`. `auth/token/get` trades the code for an
access token (4 hours) and a refresh token (30 days); `auth/access_token/get` trades a
refresh token — once only — for a new pair. How long the shop's consent lasts (at most
365 days) comes from `shop/get_shop_info` (`expire_time`).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from connectors.errors import AuthError, RetriableError, ThrottledError
from connectors.http import parse_retry_after
from connectors.oauth import RefreshAnswerLost, TokenGrant, Tokens, hide_tokens_in_http_logs
from connectors.shopee import api
from connectors.shopee.signing import now, public_params, shop_params
from sync.settings import Account

REFRESH_TOKEN_DAYS = 30


def partner(account: Account) -> tuple[int, str]:
    """(partner_id, partner_key) of the account's app, as AuthError when unusable."""
    try:
        return int(account.secret("partner_id")), account.secret("partner_key")
    except ValueError:
        raise AuthError("credential partner_id is not a number", account=account.name) from None
    except Exception as exc:  # ConfigError: a credential is missing
        raise AuthError(str(exc), account=account.name) from None


def with_state(redirect_uri: str, state: str) -> str:
    """The redirect URL carrying our `state` (Shopee appends code and shop_id to it)."""
    parts = urlsplit(redirect_uri)
    query = [*parse_qsl(parts.query), ("state", state)] if state else parse_qsl(parts.query)
    return urlunsplit(parts._replace(query=urlencode(query)))


class ShopeeOAuth:
    """connectors.oauth.OAuthFlow for Shopee shops."""

    single_use_refresh = True  # "each refresh token can be used once only" (Authorization)

    def __init__(self) -> None:
        hide_tokens_in_http_logs()  # get_shop_info carries the new token in its URL

    def authorize_url(self, account: Account, redirect_uri: str, state: str) -> str:
        """The consent link (valid 5 minutes: its timestamp is signed)."""
        partner_id, key = partner(account)
        params = public_params(partner_id, key, api.AUTH_PARTNER, now())
        params["redirect"] = with_state(redirect_uri, state)
        return f"{account.base_url.rstrip('/')}{api.AUTH_PARTNER}?{urlencode(params)}"

    async def exchange_code(
        self, account: Account, code: str, shop_id: str | None, http: httpx.AsyncClient
    ) -> TokenGrant:
        """`auth/token/get`, then `shop/get_shop_info` for the consent's end."""
        if not shop_id:
            raise AuthError(
                "Shopee needs the shop_id that came back with the code", account=account.name
            )
        partner_id, _ = partner(account)
        body = {"code": code, "shop_id": int(shop_id), "partner_id": partner_id}
        answer = await _public_post(account, api.TOKEN_GET, body, http)
        grant = _grant(account, answer, shop_id)
        info = await _shop_info(account, grant, http)
        expire_time = info.get("expire_time")
        if isinstance(expire_time, int) and expire_time > 0:
            end = datetime.fromtimestamp(expire_time, UTC)
            return dataclasses.replace(grant, authorization_expires_at=end)
        return grant

    async def refresh(
        self, account: Account, tokens: Tokens, http: httpx.AsyncClient
    ) -> TokenGrant:
        """`auth/access_token/get`: the refresh token is spent by this call."""
        if not tokens.shop_id:
            raise AuthError("no shop_id stored with the tokens", account=account.name)
        partner_id, _ = partner(account)
        body = {
            "refresh_token": tokens.refresh_token,
            "partner_id": partner_id,
            "shop_id": int(tokens.shop_id),
        }
        answer = await _public_post(account, api.TOKEN_REFRESH, body, http)
        return _grant(account, answer, tokens.shop_id)


def _grant(account: Account, answer: dict[str, Any], shop_id: str) -> TokenGrant:
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise AuthError("token answer carries no tokens", account=account.name)
    issued = datetime.now(UTC)
    return TokenGrant(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=issued + timedelta(seconds=int(answer.get("expire_in") or 0)),
        refresh_expires_at=issued + timedelta(days=REFRESH_TOKEN_DAYS),
        shop_id=str(answer.get("shop_id") or shop_id),
    )


async def _public_post(
    account: Account, path: str, body: dict[str, Any], http: httpx.AsyncClient
) -> dict[str, Any]:
    partner_id, key = partner(account)
    params = public_params(partner_id, key, path, now())
    try:
        response = await http.post(path, params=params, json=body)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        # Never reached Shopee: nothing was spent, trying again later is safe.
        raise RetriableError(
            f"connection failed ({type(exc).__name__})", account=account.name
        ) from None
    except httpx.TransportError as exc:
        raise RefreshAnswerLost(
            f"{path} sent, no answer ({type(exc).__name__})", account=account.name
        ) from None
    return _envelope(account, response)


async def _shop_info(
    account: Account, grant: TokenGrant, http: httpx.AsyncClient
) -> dict[str, Any]:
    partner_id, key = partner(account)
    params = shop_params(
        partner_id, key, api.SHOP_INFO, now(), grant.access_token, grant.shop_id or ""
    )
    try:
        response = await http.get(api.SHOP_INFO, params=params)
    except httpx.TransportError:
        return {}  # the consent's end is informative; the grant is good without it
    try:
        return _envelope(account, response)
    except (AuthError, RetriableError):
        return {}


def _envelope(account: Account, response: httpx.Response) -> dict[str, Any]:
    """The answer of a token call, or the taxonomy error its envelope says."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RetriableError("unreadable answer", account=account.name, status=response.status_code)
    error = str(body.get("error") or "")
    message = str(body.get("message") or error or "refused")[:300]
    kw: dict[str, Any] = {
        "account": account.name,
        "status": response.status_code,
        "code": error or None,
    }
    if response.status_code == 429 or error in api.THROTTLE_CODES:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise ThrottledError(message, retry_after=retry_after, **kw)
    if response.status_code >= 500 or error in api.SERVER_CODES:
        raise RetriableError(message, **kw)
    if error or response.status_code >= 400:
        raise AuthError(message, **kw)
    inner = body.get("response")
    return inner if isinstance(inner, dict) else body
