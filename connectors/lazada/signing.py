"""Lazada Open Platform request signing, shared by the client and the sandbox.

Public facts (Lazada "Signature algorithm" and "HTTP request sample" pages): sort every
parameter except `sign` (and byte-array parameters) by name in ASCII order, concatenate
name+value, put the API path (e.g. `/order/get`, without the `/rest` gateway prefix) in
front, HMAC-SHA256 with the App Secret over the UTF-8 bytes, uppercase hex. The timestamp
is milliseconds since the epoch and may differ from UTC by at most 7200 seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGN_METHOD = "sha256"
TIMESTAMP_SKEW_SECONDS = 7200


def string_to_sign(api_path: str, params: Mapping[str, str]) -> str:
    """The API path followed by name+value of every parameter except `sign`, sorted by name.

    Empty values are left out, as the official SDKs do, so a blank optional parameter does
    not change the signature.
    """
    body = "".join(
        f"{name}{value}" for name, value in sorted(params.items()) if name != "sign" and value != ""
    )
    return api_path + body


def sign(api_path: str, params: Mapping[str, str], app_secret: str) -> str:
    """The `sign` parameter of a call to `api_path` with `params` (uppercase hex)."""
    text = string_to_sign(api_path, params).encode("utf-8")
    return hmac.new(app_secret.encode("utf-8"), text, hashlib.sha256).hexdigest().upper()


def timestamp_ms(now: float | None = None) -> str:
    """`now` (default: the current time, seconds since the epoch) as Lazada's timestamp."""
    return str(int((time.time() if now is None else now) * 1000))


def timestamp_skew(value: str, now: float | None = None) -> float:
    """Seconds between a millisecond timestamp and `now`; inf when it is not a number."""
    try:
        sent = int(value) / 1000
    except ValueError:
        return float("inf")
    return abs((time.time() if now is None else now) - sent)
