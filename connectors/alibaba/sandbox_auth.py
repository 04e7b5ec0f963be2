"""The Alibaba.com sandbox's authorisation side: a movable clock, consent codes, tokens.

Tokens expire on the sandbox clock, which tests move forward through `/_sandbox/clock`
(POST {"advance": seconds} or {"offset": seconds}) instead of waiting. Lifetimes are the
observed ones (access token about 30 days, refresh token 60 days). Ours: a consent code is
single use and valid 30 minutes; a refresh rotates both tokens and the old refresh token
stops working, so a client that refreshes twice with one token is caught.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ACCESS_TTL = 30 * 24 * 3600
REFRESH_TTL = 60 * 24 * 3600
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


@dataclass
class _Grant:
    seller: str
    expires_at: float


@dataclass
class TokenRegistry:
    """Codes, access and refresh tokens of every seller, and how often each refreshed."""

    clock: SandboxClock
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
            "clock": self.clock.public(),
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
            self.access[access] = _Grant(seller, now + ACCESS_TTL)
            self.refresh[refresh] = _Grant(seller, now + REFRESH_TTL)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": ACCESS_TTL,
            "refresh_expires_in": REFRESH_TTL,
            "account": f"{seller}@sandbox.example",
            "account_id": f"ICBU-{seller}",
            "user_id": f"U-{seller}",
            "sp": "icbu",
        }
