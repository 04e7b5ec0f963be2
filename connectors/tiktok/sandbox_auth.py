"""The TikTok sandbox's identity side: its clock, the consent page, the auth host's token
calls, Get Authorized Shops, and the gateway checks every Open API call passes.

Sandbox identities for seller `<name>` (derived, so tests and the demo need no setup):
app_key `tts-<name>`, app_secret `tiktok-sandbox-secret-<name>`, one shop whose cipher is
`SBX_<name>`. Access tokens live 7 days and refresh tokens 365 days on the sandbox clock,
which `/_sandbox/clock` moves forward (the timestamp window stays on real time, as TikTok
checks it against its own clock). A refresh answers a new pair; the refresh token it was
asked with keeps working until its own expiry (TikTok names no single-use rule). The clock,
`/_sandbox/revoke` and the OAuth figures are every OAuth sandbox's
(connectors/sandbox/oauth_state.py).
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.sandbox.oauth_state import OAuthFigures, SandboxClock, oauth_routes
from connectors.tiktok import api
from connectors.tiktok.signing import sign, signed_body, timestamp_problem

APP_KEY_PREFIX = "tts-"
SECRET_PREFIX = "tiktok-sandbox-secret-"
CIPHER_PREFIX = "SBX_"
ACCESS_TTL = 7 * 86400.0  # TikTok's default access token lifetime
REFRESH_TTL = 365 * 86400.0
CODE_TTL = 30 * 60.0  # an auth code is good for 30 minutes, once
DEFAULT_REDIRECT = "http://127.0.0.1/ocop-sync/tiktok/callback"


def sandbox_credentials(seller: str) -> dict[str, str]:
    """The app credentials the sandbox accepts for seller `seller`."""
    return {"app_key": APP_KEY_PREFIX + seller, "app_secret": SECRET_PREFIX + seller}


def shop_id_of(seller: str) -> str:
    """The sandbox shop id of a seller (numeric, like TikTok's)."""
    return str(7_000_000_000 + int(uuid.uuid5(uuid.NAMESPACE_URL, seller).int % 10**9))


def warehouse_of(seller: str) -> str:
    """The sandbox warehouse id of a seller's shop."""
    return str(int(shop_id_of(seller)) + 1)


class Failure(Exception):
    """An answer in TikTok's envelope with a non-zero code."""

    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def envelope(data: Any = None, code: int = api.OK, message: str = "Success") -> dict[str, Any]:
    """TikTok's answer envelope."""
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id()}
    if data is not None:
        body["data"] = data
    return body


def request_id() -> str:
    """A request id shaped like TikTok's."""
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()


def failure_response(failure: Failure) -> Response:
    """The envelope of a failure."""
    return JSONResponse(envelope(code=failure.code, message=failure.message), failure.status)


@dataclass
class Grant:
    seller: str
    expires_at: float


@dataclass
class AuthState(SandboxClock):
    """Codes and tokens issued, the sandbox clock, and the OAuth figures."""

    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    figures: OAuthFigures = field(default_factory=OAuthFigures)

    def issue(self, seller: str) -> dict[str, Any]:
        """A new token pair for `seller`, as the token answer's data."""
        now = self.now()
        access, refresh = "TTP_" + secrets.token_urlsafe(24), "TTP_" + secrets.token_urlsafe(18)
        self.access[access] = Grant(seller, now + ACCESS_TTL)
        self.refresh[refresh] = Grant(seller, now + REFRESH_TTL)
        return {
            "access_token": access,
            "access_token_expire_in": int(now + ACCESS_TTL),
            "refresh_token": refresh,
            "refresh_token_expire_in": int(now + REFRESH_TTL),
            "open_id": f"open-{seller}",
            "seller_name": seller,
            "seller_base_region": "VN",
            "user_type": 0,
        }

    def revoke(self, refresh_token: str) -> bool:
        """Refuse `refresh_token` from now on (`/_sandbox/revoke`); whether it was known."""
        return self.refresh.pop(refresh_token, None) is not None


def seller_of_app_key(app_key: str) -> str:
    """The seller an app key belongs to; Failure 36009004 when it is not one of ours."""
    seller = app_key.removeprefix(APP_KEY_PREFIX)
    if not app_key.startswith(APP_KEY_PREFIX) or not seller:
        raise Failure(
            api.INVALID_CREDENTIALS, "Invalid credentials. Invalid app_key query parameter.", 401
        )
    return seller


def check_app(params: dict[str, str]) -> str:
    """The seller of the auth host's app_key + app_secret pair."""
    seller = seller_of_app_key(params.get("app_key", ""))
    if params.get("app_secret") != SECRET_PREFIX + seller:
        raise Failure(api.INVALID_CREDENTIALS, "Invalid credentials. Invalid app_secret.", 401)
    return seller


async def check_call(request: Request, state: AuthState, shop_call: bool = True) -> str:
    """The seller of an authentic Open API call, as TikTok's gateway checks it."""
    query = dict(request.query_params)
    seller = seller_of_app_key(query.get("app_key", ""))
    if not query.get("sign"):
        raise Failure(
            api.INVALID_CREDENTIALS,
            "Missing credentials. The request does not include a required signature in the query.",
            401,
        )
    problem = timestamp_problem(query.get("timestamp", ""), time.time())
    if problem:
        raise Failure(api.INVALID_CREDENTIALS, f"Invalid timestamp. {problem}.", 401)
    body = signed_body(request.headers.get("content-type", ""), await request.body())
    if sign(request.url.path, query, body, SECRET_PREFIX + seller) != query["sign"]:
        raise Failure(
            api.INVALID_SIGN, "Invalid credentials. The sign query parameter is invalid.", 401
        )
    grant = state.access.get(request.headers.get(api.ACCESS_HEADER, ""))
    if grant is None or grant.seller != seller:
        raise Failure(
            api.INVALID_CREDENTIALS,
            "Invalid credentials. The x-tts-access-token header is invalid.",
            401,
        )
    if grant.expires_at <= state.now():
        state.figures.count("expired_token_answers")
        raise Failure(
            api.TOKEN_EXPIRED,
            "Expired credentials. The x-tts-access-token header has expired.",
            401,
        )
    cipher = query.get("shop_cipher")
    if not shop_call:
        if cipher:
            raise Failure(
                api.INVALID_CREDENTIALS,
                "Unexpected identifier. The shop_cipher query parameter is not required "
                "for this request.",
            )
        return seller
    if not cipher:
        raise Failure(
            api.MISSING_SHOP_CIPHER,
            "Missing identifier. The shop_cipher query parameter is required to identify "
            "the target shop.",
        )
    if cipher != CIPHER_PREFIX + seller:
        raise Failure(
            api.INVALID_TOKEN_OR_CIPHER,
            "Invalid query or header. The associated shop does not match the shop_cipher.",
            401,
        )
    return seller


def auth_routes(state: AuthState) -> list[BaseRoute]:
    """The consent page, the auth host, the shops call, and the sandbox's clock and
    revocation."""

    async def authorize(request: Request) -> Response:
        # The consent page: the sandbox's shop owner always agrees, and TikTok redirects to
        # the app's registered URL with a code (our sandbox takes it from `redirect_uri`).
        try:
            seller = seller_of_app_key(request.query_params.get("service_id", ""))
        except Failure as failure:
            return failure_response(failure)
        code = "TTP_" + secrets.token_urlsafe(16)
        state.codes[code] = Grant(seller, state.now() + CODE_TTL)
        redirect = request.query_params.get("redirect_uri", DEFAULT_REDIRECT)
        query = urlencode({"code": code, "state": request.query_params.get("state", "")})
        return RedirectResponse(f"{redirect}?{query}", status_code=302)

    async def token_get(request: Request) -> Response:
        params = dict(request.query_params)
        try:
            seller = check_app(params)
            grant = state.codes.pop(params.get("auth_code", ""), None)
            if (
                params.get("grant_type") != "authorized_code"
                or grant is None
                or grant.seller != seller
                or grant.expires_at <= state.now()
            ):
                raise Failure(api.INVALID_AUTH_CODE, "Invalid auth code.")
        except Failure as failure:
            return failure_response(failure)
        state.figures.count("token_get")
        return JSONResponse(envelope(state.issue(seller), message="success"))

    async def token_refresh(request: Request) -> Response:
        params = dict(request.query_params)
        try:
            seller = check_app(params)
        except Failure as failure:
            return failure_response(failure)
        state.figures.count("refresh_calls")
        grant = state.refresh.get(params.get("refresh_token", ""))
        if (
            params.get("grant_type") != "refresh_token"
            or grant is None
            or grant.seller != seller
            or grant.expires_at <= state.now()
        ):
            state.figures.count("refresh_refused")
            return failure_response(
                Failure(
                    api.INVALID_CREDENTIALS,
                    "Invalid credentials. The refresh_token is invalid or expired.",
                    401,
                )
            )
        state.figures.count("refreshes", seller)
        return JSONResponse(envelope(state.issue(seller), message="success"))

    async def shops(request: Request) -> Response:
        try:
            seller = await check_call(request, state, shop_call=False)
        except Failure as failure:
            return failure_response(failure)
        shop = {
            "id": shop_id_of(seller),
            "name": f"OCOP {seller}",
            "region": "VN",
            "seller_type": "LOCAL",
            "cipher": CIPHER_PREFIX + seller,
            "code": f"VNSBX{seller[:8].upper()}",
        }
        return JSONResponse(envelope({"shops": [shop]}))

    return [
        Route("/open/authorize", authorize, methods=["GET"]),
        Route(api.TOKEN_GET, token_get, methods=["GET"]),
        Route(api.TOKEN_REFRESH, token_refresh, methods=["GET"]),
        Route(api.AUTHORIZED_SHOPS, shops, methods=["GET"]),
        *oauth_routes(state, state.revoke),
    ]
