"""TikTok Shop OAuth (Authorization overview, authorization-overview-202407).

1. The shop owner opens `services.tiktokshop.com/open/authorize?service_id=…&state=…`
   and TikTok redirects to the app's registered URL with `code` (single use, 30 minutes).
2. `GET auth.tiktok-shops.com/api/v2/token/get?app_key&app_secret&auth_code&grant_type=
   authorized_code` answers an access token (7 days) and a refresh token, with their
   expiry as Unix timestamps.
3. `GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type=refresh_token`
   answers a new pair.
Shop calls also need the shop's `shop_cipher`, read once from Get Authorized Shops after
the code exchange and kept in the grant (`extra["shop_cipher"]`). Our sandbox serves the
auth host and the consent page on its own base URL (account options `auth_base_url`,
`authorize_url`).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from connectors.errors import AuthError, RetriableError
from connectors.oauth import RefreshAnswerLost, TokenGrant, Tokens, reauthorise
from connectors.tiktok import api, envelope
from connectors.tiktok.signing import sign, timestamp
from sync.settings import Account


class TikTokOAuth:
    """TikTok Shop's OAuthFlow."""

    # A refresh token carries its own expiry (`refresh_token_expire_in`) and works until
    # then; the authorization overview names no single-use rule.
    single_use_refresh = False

    def authorize_url(self, account: Account, redirect_uri: str, state: str) -> str:
        """The consent link; TikTok redirects to the app's registered URL, not `redirect_uri`."""
        base = str(account.options.get("authorize_url", api.AUTHORIZE_URL))
        service_id = account.options.get("service_id") or account.secret("app_key")
        return f"{base}?{urlencode({'service_id': service_id, 'state': state})}"

    async def exchange_code(
        self, account: Account, code: str, shop_id: str | None, http: httpx.AsyncClient
    ) -> TokenGrant:
        """Code -> tokens, then the authorised shop's id and cipher."""
        data = await _auth_get(
            account,
            http,
            api.TOKEN_GET,
            {"auth_code": code, "grant_type": "authorized_code"},
        )
        grant = _grant(data)
        shop = await _authorized_shop(account, grant.access_token, shop_id, http)
        return dataclasses.replace(
            grant,
            shop_id=str(shop["id"]),
            extra={"shop_cipher": str(shop["cipher"]), "shop_name": str(shop.get("name", ""))},
        )

    async def refresh(
        self, account: Account, tokens: Tokens, http: httpx.AsyncClient
    ) -> TokenGrant:
        """Refresh token -> a new pair; the shop and its cipher stay what they were."""
        data = await _auth_get(
            account,
            http,
            api.TOKEN_REFRESH,
            {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"},
        )
        grant = _grant(data)
        return dataclasses.replace(
            grant,
            authorization_expires_at=tokens.authorization_expires_at,
            shop_id=tokens.shop_id,
            seller_id=grant.seller_id or tokens.seller_id,
            extra=dict(tokens.extra),
        )


def auth_base_url(account: Account) -> str:
    """Where the token calls go: TikTok's auth host, or the sandbox's base URL."""
    return str(account.options.get("auth_base_url", api.AUTH_HOST)).rstrip("/")


async def _auth_get(
    account: Account, http: httpx.AsyncClient, path: str, params: dict[str, str]
) -> dict[str, Any]:
    query = {
        "app_key": account.secret("app_key"),
        "app_secret": account.secret("app_secret"),
        **params,
    }
    return await _send(
        account, http, http.build_request("GET", auth_base_url(account) + path, params=query)
    )


async def _authorized_shop(
    account: Account, access_token: str, shop_id: str | None, http: httpx.AsyncClient
) -> dict[str, Any]:
    query = {"app_key": account.secret("app_key"), "timestamp": timestamp()}
    query["sign"] = sign(api.AUTHORIZED_SHOPS, query, "", account.secret("app_secret"))
    url = account.base_url.rstrip("/") + api.AUTHORIZED_SHOPS
    request = http.build_request(
        "GET", url, params=query, headers={api.ACCESS_HEADER: access_token}
    )
    shops = (await _send(account, http, request)).get("shops") or []
    wanted = shop_id or account.options.get("shop_id")
    chosen = [s for s in shops if wanted is None or str(s.get("id")) == str(wanted)]
    if len(chosen) != 1:
        ids = ", ".join(str(s.get("id")) for s in shops) or "none"
        raise AuthError(
            f"the authorisation covers shops {ids}: set options.shop_id to the one to sync",
            account=account.name,
        )
    return chosen[0]


async def _send(
    account: Account, http: httpx.AsyncClient, request: httpx.Request
) -> dict[str, Any]:
    try:
        response = await http.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        # Nothing reached TikTok: the code or refresh token is unspent, a retry is safe.
        # (The URL carries the app secret: the error names its kind only.)
        raise RetriableError(
            f"auth call failed ({type(exc).__name__})", account=account.name
        ) from None
    except httpx.TransportError as exc:
        raise RefreshAnswerLost(
            f"auth call sent, answer lost ({type(exc).__name__})", account=account.name
        ) from None
    error = envelope.classify(response, account.name)
    if isinstance(error, AuthError):
        raise reauthorise(account.name, f"TikTok refused the authorisation: {error.message}")
    if error is not None:
        raise error
    data = (envelope.body_of(response) or {}).get("data")
    return data if isinstance(data, dict) else {}


def _grant(data: dict[str, Any]) -> TokenGrant:
    try:
        return TokenGrant(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            access_expires_at=_at(data["access_token_expire_in"]),
            refresh_expires_at=_at(data["refresh_token_expire_in"])
            if data.get("refresh_token_expire_in")
            else None,
            seller_id=str(data["open_id"]) if data.get("open_id") else None,
        )
    except (KeyError, TypeError, ValueError):
        raise RetriableError("token answer without tokens") from None


def _at(unix: object) -> datetime:
    # TikTok's `*_expire_in` fields are Unix timestamps of the expiry, not durations.
    return datetime.fromtimestamp(int(str(unix)), UTC)
