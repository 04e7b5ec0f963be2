"""Alibaba.com seller authorisation ("code for token"), as connectors.oauth.OAuthFlow.

1. The seller opens `https://oauth.alibaba.com/authorize?response_type=code&client_id=<app
   key>&redirect_uri=…&state=…&sp=icbu` (account option `authorize_url` to change the
   host) and comes back to the redirect URI with a single-use `code`.
2. `POST <base_url>/rest/auth/token/create` with `code` trades it for an access token and
   a refresh token; `/rest/auth/token/refresh` with `refresh_token` for a new pair. Both
   are signed with their API path in front (connectors/alibaba/signing.py) and answer
   lifetimes in seconds (`expires_in`, `refresh_expires_in`).
The access token is then sent as `session` on every `/sync` call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from connectors.alibaba import api
from connectors.alibaba.envelope import TokenRefused, classify_rest
from connectors.alibaba.signing import sign, timestamp_ms
from connectors.oauth import TokenGrant, Tokens
from connectors.token_form import grant_of_lifetimes, post_token_form
from sync.settings import Account

AUTHORIZE_URL = "https://oauth.alibaba.com/authorize"


class AlibabaOAuth:
    """Alibaba.com's OAuth calls for one app (the account's `app_key` and `app_secret`)."""

    # The pages name no single-use rule: a refresh token is taken to work until its own
    # expiry (`refresh_expires_in`), like Lazada's on the same IOP gateway.
    single_use_refresh = False

    def authorize_url(self, account: Account, redirect_uri: str, state: str) -> str:
        """The consent link for the seller (`sp=icbu`: an Alibaba.com seller account)."""
        query = {
            "response_type": "code",
            "client_id": account.secret("app_key"),
            "redirect_uri": redirect_uri,
            "state": state,
            "sp": "icbu",
        }
        base = str(account.options.get("authorize_url", AUTHORIZE_URL))
        return f"{base}?{urlencode(query)}"

    async def exchange_code(
        self, account: Account, code: str, shop_id: str | None, http: httpx.AsyncClient
    ) -> TokenGrant:
        """`/auth/token/create` with the single-use code."""
        return await _token_call(account, api.TOKEN_CREATE, {"code": code}, http)

    async def refresh(
        self, account: Account, tokens: Tokens, http: httpx.AsyncClient
    ) -> TokenGrant:
        """`/auth/token/refresh` with the stored refresh token."""
        return await _token_call(
            account, api.TOKEN_REFRESH, {"refresh_token": tokens.refresh_token}, http
        )


async def _token_call(
    account: Account, path: str, params: dict[str, str], http: httpx.AsyncClient
) -> TokenGrant:
    signed = {
        "app_key": account.secret("app_key"),
        "timestamp": timestamp_ms(),
        "sign_method": api.SIGN_METHOD,
        **params,
    }
    signed["sign"] = sign(signed, account.secret("app_secret"), api_path=path)
    url = account.base_url.rstrip("/") + api.REST_PREFIX + path
    _, body = await post_token_form(
        account,
        http,
        url,
        signed,
        path=path,
        refresh=path == api.TOKEN_REFRESH,
        classify=classify_rest,
        refused=TokenRefused,
    )
    return grant_from(body, account.name)


def grant_from(body: dict[str, Any], account_name: str) -> TokenGrant:
    """A TokenGrant from a token answer (lifetimes are seconds from now)."""
    return grant_of_lifetimes(body, account_name, _identity)


def _identity(body: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    # ICBU names the seller by `user_id`; its account name and id ride along as extras.
    extra = {k: str(body[k]) for k in ("account", "account_id") if body.get(k)}
    return (str(body["user_id"]) if body.get("user_id") else None), extra


OAUTH = AlibabaOAuth()
