"""A sandbox's OAuth state: a movable clock, single-use consent codes, rotating token pairs.

Tokens expire on the sandbox clock, which tests move forward through `/_sandbox/clock`
(POST {"advance": seconds} or {"offset": seconds}) instead of waiting. A consent code is
single use and valid 30 minutes; a refresh rotates both tokens and the old refresh token
stops working (stricter than some marketplaces need to be, so a client that refreshes twice
with one token is caught). The lifetimes and the account fields of a token answer are the
marketplace's own: each sandbox passes them in (connectors/<name>/sandbox_auth.py).
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


@dataclass
class _Grant:
    seller: str
    expires_at: float


@dataclass
class TokenRegistry:
    """Codes, access and refresh tokens of every seller, and how often each refreshed.

    `access_ttl` and `refresh_ttl` are the marketplace's lifetimes in seconds;
    `account_fields(seller)` gives what its token answer says about the seller besides the
    tokens and their lifetimes.
    """

    clock: SandboxClock
    access_ttl: int
    refresh_ttl: int
    account_fields: Callable[[str], dict[str, Any]]
    codes: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, _Grant] = field(default_factory=dict)
    refresh: dict[str, _Grant] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    refreshes_by_seller: Counter[str] = field(default_factory=Counter)
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
        self.counters["tokens_created"] += 1
        return self._issue(seller)

    def rotate(self, refresh_token: str, seller: str) -> dict[str, Any] | None:
        """A new pair for a valid refresh token of `seller`; None otherwise."""
        with self._lock:
            grant = self.refresh.get(refresh_token)
            if grant is None or grant.seller != seller or grant.expires_at <= self.clock.now():
                return None
            del self.refresh[refresh_token]
        self.counters["token_refreshes"] += 1
        self.refreshes_by_seller[seller] += 1
        return self._issue(seller)

    def seller_of(self, access_token: str) -> str | None:
        """The seller an access token is valid for now, or None (unknown or expired)."""
        grant = self.access.get(access_token)
        if grant is None or grant.expires_at <= self.clock.now():
            return None
        return grant.seller

    def stats(self) -> dict[str, Any]:
        """Figures merged into /_sandbox/stats."""
        return {
            "tokens_created": self.counters["tokens_created"],
            "token_refreshes": self.counters["token_refreshes"],
            "token_refreshes_by_seller": dict(self.refreshes_by_seller),
        }

    def reset(self) -> None:
        """Forget every token and counter (the clock stays where it is)."""
        with self._lock:
            self.codes.clear()
            self.access.clear()
            self.refresh.clear()
            self.counters.clear()
            self.refreshes_by_seller.clear()

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
