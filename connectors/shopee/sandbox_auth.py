"""Shopee sandbox, authorisation side: partners, signatures, codes and tokens on a clock.

Sandbox credentials are derived from the account name (`sandbox_credentials`), so the
server needs no registration: it recomputes a partner's key from its id. Tokens expire on
the sandbox clock (real time plus an offset tests move with POST /_sandbox/clock); the
timestamp window of signatures uses real time, as the client signs with it. The clock, the
revocation route and the OAuth figures are every OAuth sandbox's
(connectors/sandbox/oauth_state.py).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.sandbox.oauth_state import OAuthFigures, SandboxClock, oauth_routes
from connectors.shopee import api
from connectors.shopee.signing import (
    TIMESTAMP_WINDOW,
    public_base_string,
    shop_base_string,
    sign,
)

CODE_TTL = 600  # seconds an authorisation code is valid
REFRESH_TTL = 30 * 86400
AUTHORIZATION_DAYS = 365
OLD_ACCESS_GRACE = 300  # an access token stays valid 5 minutes after its refresh


def sandbox_partner_key(partner_id: int) -> str:
    """The partner key the sandbox expects for `partner_id` (sandbox only)."""
    return hashlib.sha256(f"shopee-sandbox-partner:{partner_id}".encode()).hexdigest()


def sandbox_credentials(name: str) -> tuple[int, str, int]:
    """(partner_id, partner_key, shop_id) of sandbox account `name`."""
    partner_id = 1_000_000 + zlib.crc32(name.encode()) % 9_000_000
    shop_id = 10_000_000 + zlib.crc32(f"{name}:shop".encode()) % 90_000_000
    return partner_id, sandbox_partner_key(partner_id), shop_id


class SignatureError(Exception):
    """A request the sandbox refuses before looking at it: (error code, message)."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Grant:
    """One shop's live tokens on the sandbox."""

    shop_id: int
    partner_id: int
    access_expires: float
    refresh_expires: float


@dataclass
class AuthState(SandboxClock):
    """Everything the sandbox knows about authorisations, on its clock (thread-safe)."""

    token_ttl: float = 4 * 3600.0
    codes: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    spent: set[str] = field(default_factory=set)
    shop_names: dict[int, str] = field(default_factory=dict)
    authorized_until: dict[int, float] = field(default_factory=dict)
    figures: OAuthFigures = field(default_factory=OAuthFigures)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- signatures -------------------------------------------------------------------------
    @staticmethod
    def check_public(path: str, query: dict[str, str]) -> int:
        """Verify a public call's signature and timestamp; its partner id."""
        partner_id, timestamp = _partner_and_time(query)
        base = public_base_string(partner_id, path, timestamp)
        if query.get("sign") != sign(sandbox_partner_key(partner_id), base):
            raise SignatureError("error_sign", "Wrong sign.")
        return partner_id

    def check_shop(self, path: str, query: dict[str, str]) -> int:
        """Verify a shop call (signature, timestamp, token); the shop id."""
        partner_id, timestamp = _partner_and_time(query)
        token = query.get("access_token", "")
        try:
            shop_id = int(query.get("shop_id", ""))
        except ValueError:
            raise SignatureError("error_param", "shop_id is required", 400) from None
        base = shop_base_string(partner_id, path, timestamp, token, shop_id)
        if query.get("sign") != sign(sandbox_partner_key(partner_id), base):
            raise SignatureError("error_sign", "Wrong sign.")
        with self.lock:
            grant = self.access.get(token)
        if grant is None or grant.shop_id != shop_id or grant.partner_id != partner_id:
            raise SignatureError("invalid_acceess_token", "Invalid access_token.")
        if grant.access_expires <= self.now():
            self.figures.count("expired_token_answers")
            raise SignatureError("invalid_acceess_token", "Invalid access_token.")
        return shop_id

    # -- codes and tokens -------------------------------------------------------------------
    def issue_code(self, partner_id: int, shop_id: int, name: str | None = None) -> str:
        """A single-use authorisation code, as the consent page redirects with."""
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = (partner_id, shop_id, self.now() + CODE_TTL)
            if name:
                self.shop_names[shop_id] = name
            self.authorized_until[shop_id] = self.now() + AUTHORIZATION_DAYS * 86400
        return code

    def exchange(self, partner_id: int, code: str, shop_id: int) -> dict[str, Any]:
        """auth/token/get."""
        with self.lock:
            entry = self.codes.pop(code, None)
            if entry is None or entry[2] <= self.now() or entry[:2] != (partner_id, shop_id):
                raise SignatureError("error_auth", "Invalid code", 403)
            self.figures.count("token_get")
            return self._issue(partner_id, shop_id)

    def renew(self, partner_id: int, refresh_token: str, shop_id: int) -> dict[str, Any]:
        """auth/access_token/get: each refresh token works once."""
        with self.lock:
            self.figures.count("refresh_calls")
            grant = self.refresh.get(refresh_token)
            if refresh_token in self.spent or grant is None:
                self.figures.count("refresh_refused")
                raise SignatureError("error_auth", "Invalid refresh_token.", 403)
            if grant.shop_id != shop_id or grant.partner_id != partner_id:
                self.figures.count("refresh_refused")
                raise SignatureError("error_auth", "Invalid refresh_token.", 403)
            if grant.refresh_expires <= self.now():
                self.figures.count("refresh_refused")
                raise SignatureError("error_auth", "Refresh token expired.", 403)
            del self.refresh[refresh_token]
            self.spent.add(refresh_token)
            # The old access tokens of this shop stay usable for a short grace.
            for old in self.access.values():
                if old.shop_id == shop_id:
                    old.access_expires = min(old.access_expires, self.now() + OLD_ACCESS_GRACE)
            self.figures.count("refreshes", str(shop_id))
            return self._issue(partner_id, shop_id) | {"shop_id": shop_id}

    def revoke(self, refresh_token: str) -> bool:
        """Refuse `refresh_token` from now on (`/_sandbox/revoke`); whether it was known."""
        with self.lock:
            return self.refresh.pop(refresh_token, None) is not None

    def _issue(self, partner_id: int, shop_id: int) -> dict[str, Any]:
        now = self.now()
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        grant = Grant(shop_id, partner_id, now + self.token_ttl, now + REFRESH_TTL)
        self.access[access] = grant
        self.refresh[refresh] = grant
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expire_in": int(self.token_ttl),
            "partner_id": partner_id,
        }

    def stats(self) -> dict[str, Any]:
        """The `oauth` entry of /_sandbox/stats (connectors/sandbox/oauth_state.py)."""
        return self.figures.stats()


def _partner_and_time(query: dict[str, str]) -> tuple[int, int]:
    try:
        partner_id = int(query.get("partner_id", ""))
    except ValueError:
        raise SignatureError("error_param", "partner_id is required", 400) from None
    try:
        timestamp = int(query.get("timestamp", ""))
    except ValueError:
        raise SignatureError("error_param", "timestamp is required", 400) from None
    if abs(time.time() - timestamp) > TIMESTAMP_WINDOW:
        raise SignatureError("error_auth", "Invalid timestamp.")
    return partner_id, timestamp


def envelope(
    error: str = "", message: str = "", response: Any = None, status: int = 200
) -> Response:
    """Shopee's answer: {"error", "message", "request_id", "response"}."""
    body: dict[str, Any] = {"request_id": secrets.token_hex(8), "error": error, "message": message}
    if response is not None:
        body["response"] = response
    return JSONResponse(body, status_code=status)


def auth_routes(auth: AuthState) -> list[BaseRoute]:
    """The token calls, the consent link and the sandbox-only consent, clock and revoke."""

    async def token_get(request: Request) -> Response:
        try:
            partner_id = auth.check_public(api.TOKEN_GET, dict(request.query_params))
            body = json.loads(await request.body() or b"{}")
            return JSONResponse(
                {
                    "request_id": secrets.token_hex(8),
                    "error": "",
                    "message": "",
                    **auth.exchange(
                        partner_id, str(body.get("code")), int(body.get("shop_id") or 0)
                    ),
                }
            )
        except SignatureError as exc:
            return envelope(exc.code, exc.message, status=exc.status)
        except (ValueError, TypeError):
            return envelope("error_param", "invalid request", status=400)

    async def token_refresh(request: Request) -> Response:
        try:
            partner_id = auth.check_public(api.TOKEN_REFRESH, dict(request.query_params))
            body = json.loads(await request.body() or b"{}")
            grant = auth.renew(
                partner_id, str(body.get("refresh_token")), int(body.get("shop_id") or 0)
            )
            return JSONResponse(
                {"request_id": secrets.token_hex(8), "error": "", "message": "", **grant}
            )
        except SignatureError as exc:
            return envelope(exc.code, exc.message, status=exc.status)
        except (ValueError, TypeError):
            return envelope("error_param", "invalid request", status=400)

    async def auth_partner(request: Request) -> Response:
        query = dict(request.query_params)
        try:
            partner_id = auth.check_public(api.AUTH_PARTNER, query)
        except SignatureError as exc:
            return envelope(exc.code, exc.message, status=exc.status)
        shop_id = int(query.get("shop_id") or 1)
        code = auth.issue_code(partner_id, shop_id)
        parts = urlsplit(query.get("redirect", ""))
        back = [*parse_qsl(parts.query), ("code", code), ("shop_id", str(shop_id))]
        return RedirectResponse(urlunsplit(parts._replace(query=urlencode(back))), status_code=302)

    async def consent(request: Request) -> Response:
        body = await request.json()
        code = auth.issue_code(int(body["partner_id"]), int(body["shop_id"]), body.get("shop_name"))
        return JSONResponse({"code": code, "shop_id": int(body["shop_id"])})

    return [
        Route(api.TOKEN_GET, token_get, methods=["POST"]),
        Route(api.TOKEN_REFRESH, token_refresh, methods=["POST"]),
        Route(api.AUTH_PARTNER, auth_partner, methods=["GET"]),
        Route("/_sandbox/consent", consent, methods=["POST"]),
        *oauth_routes(auth, auth.revoke),
    ]
