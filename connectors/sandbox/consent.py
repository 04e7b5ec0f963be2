"""A sandbox's consent page ("code for token" OAuth) and the seller's trip through it.

The page stands for the marketplace's: the seller logs in and agrees, here at once for any
sandbox app key, and is sent back to `redirect_uri` with a single-use code. `authorize`
is the other side: it follows that link as the seller would and trades the code for the
account's first grant through the connector's own OAuthFlow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from connectors.http import make_http_client
from connectors.oauth import OAuthFlow, TokenGrant
from connectors.sandbox.oauth_state import TokenRegistry
from sync.settings import Account


def consent_route(
    tokens: TokenRegistry, seller_of_key: Callable[[str], str | None]
) -> Callable[[Request], Any]:
    """The consent page: `client_id` (a sandbox app key, read by `seller_of_key`),
    `response_type=code` and `redirect_uri` -> a redirect with `code` and `state`."""

    async def consent(request: Request) -> Response:
        query = request.query_params
        seller = seller_of_key(query.get("client_id", ""))
        redirect = query.get("redirect_uri", "")
        if seller is None or query.get("response_type") != "code" or not redirect:
            return JSONResponse(
                {"error": "client_id, response_type=code and redirect_uri required"},
                status_code=400,
            )
        answer = {"code": tokens.new_code(seller), "state": query.get("state", "")}
        return RedirectResponse(f"{redirect}?{urlencode(answer)}", status_code=302)

    return consent


async def authorize(flow: OAuthFlow, account: Account, callback: str) -> TokenGrant:
    """The seller's consent on the sandbox, exchanged for the account's first grant."""
    async with make_http_client(account) as http:
        link = flow.authorize_url(account, callback, state="sandbox")
        answer = await http.get(link, follow_redirects=False)
        code = parse_qs(urlsplit(answer.headers.get("location", "")).query).get("code", [""])[0]
        if not code:
            raise RuntimeError(f"sandbox consent gave no code (HTTP {answer.status_code})")
        return await flow.exchange_code(account, code, None, http)


def authorizer(flow: OAuthFlow, callback: str) -> Callable[[Account], Awaitable[TokenGrant]]:
    """`SandboxKit.authorize` of a sandbox whose consent page redirects to `callback`."""

    async def authorize_on_sandbox(account: Account) -> TokenGrant:
        return await authorize(flow, account, callback)

    return authorize_on_sandbox
