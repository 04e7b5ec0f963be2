"""TikTok Shop request signing, shared by the client and the sandbox.

TikTok Shop's "Sign your API request" (partner.tiktokshop.com, Developer Guide):
1. take every query parameter except `sign` and `access_token`, keys in alphabetical order;
2. concatenate them as `{key}{value}`;
3. prefix the request path;
4. unless the request is `multipart/form-data`, append the body as sent;
5. wrap the string in the app secret: `secret + s + secret`;
6. HMAC-SHA256 keyed with the app secret, lowercase hex.
Timestamps are 10-digit Unix seconds, accepted from 5 minutes before to 30 seconds after
the platform's clock (Common errors, code 36009004).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

EXCLUDED = frozenset({"sign", "access_token"})
MULTIPART = "multipart/form-data"
TIMESTAMP_PAST_SECONDS = 300
TIMESTAMP_FUTURE_SECONDS = 30


def string_to_sign(path: str, query: Mapping[str, str], body: str = "") -> str:
    """Steps 1-4: the path, the sorted query as key+value (without sign and access
    token), then the body (pass "" for multipart requests and bodiless ones)."""
    params = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in EXCLUDED)
    return f"{path}{params}{body}"


def sign(path: str, query: Mapping[str, str], body: str, app_secret: str) -> str:
    """Steps 5-6: the request's `sign` value."""
    wrapped = f"{app_secret}{string_to_sign(path, query, body)}{app_secret}"
    return hmac.new(app_secret.encode(), wrapped.encode(), hashlib.sha256).hexdigest()


def signed_body(content_type: str, body: bytes) -> str:
    """The part of a body that is signed: all of it, unless the request is multipart."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return "" if media_type == MULTIPART else body.decode("utf-8")


def timestamp(now: float | None = None) -> str:
    """A 10-digit Unix timestamp (seconds) for the `timestamp` query parameter."""
    return str(int(time.time() if now is None else now))


def timestamp_problem(value: str, now: float) -> str | None:
    """Why the platform refuses `value` as a timestamp at `now`, or None when it is fine."""
    if not value.isdigit():
        return "The value of the timestamp query parameter must not be lesser than 0"
    moment = int(value)
    if moment < now - TIMESTAMP_PAST_SECONDS:
        return (
            "The value of the timestamp query parameter must not be earlier than 5 minutes "
            "before the current time"
        )
    if moment > now + TIMESTAMP_FUTURE_SECONDS:
        return (
            "The value of the timestamp query parameter must not exceed the current time by "
            "more than 30 seconds"
        )
    return None
