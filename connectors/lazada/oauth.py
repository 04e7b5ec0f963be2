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

from typing import Any
from urllib.parse import urlencode

import httpx

from connectors.errors import RetriableError
from connectors.lazada import api
from connectors.lazada.envelope import TokenRefused, classify_body
from connectors.lazada.signing import SIGN_METHOD, sign, timestamp_ms
from connectors.oauth import TokenGrant, Tokens
from connectors.token_form import grant_of_lifetimes, post_token_form
from sync.settings import Account

AUTH_URL = "https://auth.lazada.com/rest"


def auth_url(account: Account) -> str:
    """The account's auth gateway (option `auth_url`; Lazada's one host by default)."""
    return str(account.options.get("auth_url", AUTH_URL)).rstrip("/")


class LazadaOAuth:
    """Lazada's OAuth calls for one app (the account's `app_key` and `app_secret`)."""

    # Lazada's pages give a refresh token its own lifetime (`refresh_expires_in`) and no
    # single-use rule: it works until it expires.
    single_use_refresh = False

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
        response, body = await post_token_form(
            account,
            http,
            auth_url(account) + path,
            signed,
            path=path,
            refresh=path == api.TOKEN_REFRESH,
            classify=classify_body,
            refused=TokenRefused,
        )
        if response.status_code >= 500:
            raise RetriableError(
                f"token call {path} answered HTTP {response.status_code}",
                account=account.name,
                status=response.status_code,
            )
        return grant_from(body, account.name)


def grant_from(body: dict[str, Any], account_name: str) -> TokenGrant:
    """A TokenGrant from a token answer (expiry counted from now, Lazada gives durations)."""
    return grant_of_lifetimes(body, account_name, _identity)


def _identity(body: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    # The seller id sits in the first `country_user_info` entry; the country rides along.
    users = body.get("country_user_info") or []
    first = users[0] if users and isinstance(users[0], dict) else {}
    extra = {k: str(v) for k, v in (("country", body.get("country")),) if v}
    return (str(first["seller_id"]) if first.get("seller_id") else None), extra


OAUTH = LazadaOAuth()
