"""What every OAuth sandbox shares: a movable clock, the same OAuth figures, a way to
revoke a refresh token, and (for the IOP sandboxes) single-use codes and token pairs.

Every OAuth sandbox (Shopee, Lazada, TikTok Shop, Alibaba.com) serves:
- `/_sandbox/clock`: tokens expire on the sandbox clock, which tests move through POST
  {"advance": seconds} or {"offset": seconds} instead of waiting (`clock_route`);
- `/_sandbox/revoke`: POST {"refresh_token": t} — the marketplace refuses that refresh
  token from now on, as after the seller cancelled the app's authorisation (`revoke_route`);
- `/_sandbox/stats` → `oauth`: the same keys everywhere (`OAuthFigures`): `token_get` (codes
  exchanged), `refresh_calls` (refresh requests that reached the token call), `refreshes`
  (answered with a new pair), `refresh_refused`, `expired_token_answers` (calls refused
  because their access token had expired) and `refreshes_by_seller`.

`TokenRegistry` is the token side of the Lazada and Alibaba.com sandboxes: a consent code
is single use and valid 30 minutes; a refresh answers a new pair. Whether the refresh token
it was asked with keeps working is the marketplace's rule (`single_use_refresh`: Shopee
documents that a refresh token works once; the other pages say nothing of it, and their
tokens then stay valid until their own expiry). The lifetimes and the account fields of a
token answer are the marketplace's own: each sandbox passes them in
(connectors/<name>/sandbox_auth.py).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

CODE_TTL = 30 * 60


@dataclass
class SandboxClock:
    """Wall-clock time plus an offset that moves only by request."""

    offset: float = 0.0

    def now(self) -> float:
        """Seconds since the epoch on the sandbox's clock."""
        return time.time() + self.offset

    def public(self) -> dict[str, float]:
        """JSON view for /_sandbox/clock."""
        return {"now": self.now(), "offset": self.offset}


def clock_route(clock: SandboxClock) -> Callable[[Request], Any]:
    """`/_sandbox/clock`: GET shows the clock; POST {"offset": s} sets it, {"advance": s}
    moves it on (both may come together: the offset first)."""

    async def route(request: Request) -> Response:
        if request.method == "POST":
            change = await request.json()
            if "offset" in change:
                clock.offset = float(change["offset"])
            clock.offset += float(change.get("advance", 0))
        return JSONResponse(clock.public())

    return route


def revoke_route(revoke: Callable[[str], bool]) -> Callable[[Request], Any]:
    """`/_sandbox/revoke`: POST {"refresh_token": t} makes the marketplace refuse `t` from now
    on; answers whether it knew the token."""

    async def route(request: Request) -> Response:
        token = str((await request.json()).get("refresh_token", ""))
        return JSONResponse({"revoked": revoke(token)})

    return route


def oauth_routes(clock: SandboxClock, revoke: Callable[[str], bool]) -> list[BaseRoute]:
    """The sandbox-only routes every OAuth sandbox serves: the clock and the revocation."""
    return [
        Route("/_sandbox/clock", clock_route(clock), methods=["GET", "POST"]),
        Route("/_sandbox/revoke", revoke_route(revoke), methods=["POST"]),
    ]


@dataclass
class OAuthFigures:
    """The OAuth counters of `/_sandbox/stats` → `oauth`, the same keys in every sandbox, so
    one test can count a marketplace's token calls whichever it is (thread-safe)."""

    counters: Counter[str] = field(default_factory=Counter)
    by_seller: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str, seller: str | None = None) -> None:
        """One more `name` (`refreshes` also counts per `seller`)."""
        with self._lock:
            self.counters[name] += 1
            if name == "refreshes" and seller is not None:
                self.by_seller[seller] += 1

    def stats(self) -> dict[str, Any]:
        """The `oauth` entry of /_sandbox/stats."""
        with self._lock:
            names = (
                "token_get",
                "refresh_calls",
                "refreshes",
                "refresh_refused",
                "expired_token_answers",
            )
            return {
                **{name: self.counters[name] for name in names},
                "refreshes_by_seller": dict(self.by_seller),
            }

    def reset(self) -> None:
        """Every counter back to zero."""
        with self._lock:
            self.counters.clear()
            self.by_seller.clear()


@dataclass
class _Grant:
    seller: str
    expires_at: float


@dataclass
class TokenRegistry:
    """Codes, access and refresh tokens of every seller, and the OAuth figures.

    `access_ttl` and `refresh_ttl` are the marketplace's lifetimes in seconds;
    `account_fields(seller)` gives what its token answer says about the seller besides the
    tokens and their lifetimes; `single_use_refresh` whether a refresh spends the refresh
    token it was asked with.
    """

    clock: SandboxClock
    access_ttl: int
    refresh_ttl: int
    account_fields: Callable[[str], dict[str, Any]]
    single_use_refresh: bool
    codes: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, _Grant] = field(default_factory=dict)
    refresh: dict[str, _Grant] = field(default_factory=dict)
    figures: OAuthFigures = field(default_factory=OAuthFigures)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_code(self, seller: str) -> str:
        """A consent code for `seller` (what the consent page redirects with)."""
        code = "code-" + secrets.token_hex(12)
        with self._lock:
            self.codes[code] = _Grant(seller, self.clock.now() + CODE_TTL)
        return code

    def exchange(self, code: str, seller: str) -> dict[str, Any] | None:
        """Tokens for a valid, unused code of `seller`; None otherwise (the code is spent)."""
        with self._lock:
            grant = self.codes.pop(code, None)
        if grant is None or grant.seller != seller or grant.expires_at <= self.clock.now():
            return None
        self.figures.count("token_get")
        return self._issue(seller)

    def rotate(self, refresh_token: str, seller: str) -> dict[str, Any] | None:
        """A new pair for a valid refresh token of `seller`; None otherwise (refused)."""
        self.figures.count("refresh_calls")
        with self._lock:
            grant = self.refresh.get(refresh_token)
            if grant is None or grant.seller != seller or grant.expires_at <= self.clock.now():
                refused = True
            else:
                refused = False
                if self.single_use_refresh:
                    del self.refresh[refresh_token]
        if refused:
            self.figures.count("refresh_refused")
            return None
        self.figures.count("refreshes", seller)
        return self._issue(seller)

    def revoke(self, refresh_token: str) -> bool:
        """Refuse `refresh_token` from now on (`/_sandbox/revoke`); whether it was known."""
        with self._lock:
            return self.refresh.pop(refresh_token, None) is not None

    def seller_of(self, access_token: str) -> str | None:
        """The seller an access token is valid for now, or None (unknown or expired; an
        expired one is counted in `expired_token_answers`)."""
        grant = self.access.get(access_token)
        if grant is None:
            return None
        if grant.expires_at <= self.clock.now():
            self.figures.count("expired_token_answers")
            return None
        return grant.seller

    def stats(self) -> dict[str, Any]:
        """The `oauth` entry of /_sandbox/stats."""
        return self.figures.stats()

    def reset(self) -> None:
        """Forget every token and counter (the clock stays where it is)."""
        with self._lock:
            self.codes.clear()
            self.access.clear()
            self.refresh.clear()
        self.figures.reset()

    def _issue(self, seller: str) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_hex(16), "rt-" + secrets.token_hex(16)
        now = self.clock.now()
        with self._lock:
            self.access[access] = _Grant(seller, now + self.access_ttl)
            self.refresh[refresh] = _Grant(seller, now + self.refresh_ttl)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.access_ttl,
            "refresh_expires_in": self.refresh_ttl,
            **self.account_fields(seller),
        }
