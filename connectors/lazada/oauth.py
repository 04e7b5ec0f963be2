"""Lazada seller authorisation ("code for token"), as connectors.oauth.OAuthFlow.

Public facts (Lazada "Seller authorization introduction"): the shop owner opens
`https://auth.lazada.com/oauth/authorize?response_type=code&force_auth=true&redirect_uri=…
&client_id=<app key>` and comes back to the redirect URI with `code`; `/auth/token/create`
trades the code for an access token and a refresh token, `/auth/token/refresh` trades the
refresh token for a new pair. Both are signed calls (no access token) on the auth host
`https://auth.lazada.com/rest`, for every country. Test apps' tokens last 7 days (refresh
14), live apps' 30 days (refresh 180); the answer says which in `expires_in` and
`refresh_expires_in` (seconds).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from connectors.errors import AuthError, MarketplaceError, RetriableError
from connectors.http import parse_retry_after
from connectors.lazada import api
from connectors.lazada.envelope import TokenRefused, classify_body
from connectors.lazada.signing import SIGN_METHOD, sign, timestamp_ms
from connectors.oauth import RefreshAnswerLost, TokenGrant, Tokens
from sync.settings import Account

AUTH_URL = "https://auth.lazada.com/rest"


def auth_url(account: Account) -> str:
    """The account's auth gateway (option `auth_url`; Lazada's one host by default)."""
    return str(account.options.get("auth_url", AUTH_URL)).rstrip("/")


class LazadaOAuth:
    """Lazada's OAuth calls for one app (the account's `app_key` and `app_secret`)."""

    def authorize_url(self, account: Account, redirect_uri: str, state: str) -> str:
        """The consent link for the shop owner (`force_auth` starts a fresh session)."""
        query = {
            "response_type": "code",
            "force_auth": "true",
            "redirect_uri": redirect_uri,
            "client_id": account.secret("app_key"),
            "state": state,
        }
        base = auth_url(account).removesuffix("/rest")
        return f"{base}{api.AUTHORIZE_PATH}?{urlencode(query)}"

    async def exchange_code(
        self, account: Account, code: str, shop_id: str | None, http: httpx.AsyncClient
    ) -> TokenGrant:
        """`/auth/token/create` with the single-use code."""
        return await self._token_call(account, api.TOKEN_CREATE, {"code": code}, http)

    async def refresh(
        self, account: Account, tokens: Tokens, http: httpx.AsyncClient
    ) -> TokenGrant:
        """`/auth/token/refresh` with the stored refresh token."""
        return await self._token_call(
            account, api.TOKEN_REFRESH, {"refresh_token": tokens.refresh_token}, http
        )

    async def _token_call(
        self, account: Account, path: str, params: dict[str, str], http: httpx.AsyncClient
    ) -> TokenGrant:
        signed = {
            "app_key": account.secret("app_key"),
            "timestamp": timestamp_ms(),
            "sign_method": SIGN_METHOD,
            **params,
        }
        signed["sign"] = sign(path, signed, account.secret("app_secret"))
        try:
            response = await http.post(auth_url(account) + path, data=signed)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RetriableError(  # nothing was sent: safe to try again
                f"token call {path} failed ({type(exc).__name__})", account=account.name
            ) from None
        except httpx.HTTPError as exc:
            if path == api.TOKEN_REFRESH:
                # Sent, unanswered: Lazada may have rotated the pair already.
                raise RefreshAnswerLost(
                    f"token refresh unanswered ({type(exc).__name__})", account=account.name
                ) from None
            raise RetriableError(
                f"token call {path} failed ({type(exc).__name__})", account=account.name
            ) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        error = classify_body(
            body,
            account=account.name,
            status=response.status_code if response.status_code != 200 else None,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        if isinstance(error, TokenRefused):
            error = AuthError(error.message, account=account.name, code=error.code)
        if error is not None:
            raise error
        if response.status_code >= 500:
            raise RetriableError(
                f"token call {path} answered HTTP {response.status_code}",
                account=account.name,
                status=response.status_code,
            )
        return grant_from(body, account.name)


def grant_from(body: dict[str, Any], account_name: str) -> TokenGrant:
    """A TokenGrant from a token answer (expiry counted from now, Lazada gives durations)."""
    now = datetime.now(UTC)
    try:
        access, refresh = str(body["access_token"]), str(body["refresh_token"])
        expires_in = int(body["expires_in"])
        refresh_in = body.get("refresh_expires_in")
    except (KeyError, TypeError, ValueError):
        raise MarketplaceError(
            "token answer without access_token, refresh_token or expires_in", account=account_name
        ) from None
    users = body.get("country_user_info") or []
    first = users[0] if users and isinstance(users[0], dict) else {}
    extra = {k: str(v) for k, v in (("country", body.get("country")),) if v}
    return TokenGrant(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=now + timedelta(seconds=expires_in),
        refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        seller_id=str(first["seller_id"]) if first.get("seller_id") else None,
        extra=extra,
    )


OAUTH = LazadaOAuth()
