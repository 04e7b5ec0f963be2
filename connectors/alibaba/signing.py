"""TOP request signing (Alibaba.com open platform), shared by the client and the sandbox.

Public facts (TOP docs, docId 101617): sort every parameter except `sign` (and file
parameters) by name, concatenate name+value, then
- `md5`: MD5(secret + s + secret)
- `hmac`: HMAC-MD5(secret, s)
- `hmac-sha256`: HMAC-SHA256(secret, s)
as uppercase hex. Timestamps are `yyyy-MM-dd HH:mm:ss` in GMT+8.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal, get_args

SignMethod = Literal["md5", "hmac", "hmac-sha256"]
SIGN_METHODS: tuple[str, ...] = get_args(SignMethod)
DEFAULT_SIGN_METHOD: SignMethod = "hmac-sha256"

# TOP gateways run on China Standard Time whatever the caller's zone.
GMT8 = timezone(timedelta(hours=8), "GMT+8")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def string_to_sign(params: Mapping[str, str]) -> str:
    """name+value of every parameter except `sign`, sorted by name.

    Empty values are left out, as the official SDKs do, so a blank optional parameter does
    not change the signature.
    """
    return "".join(
        f"{name}{value}" for name, value in sorted(params.items()) if name != "sign" and value != ""
    )


def sign(params: Mapping[str, str], secret: str, method: str = DEFAULT_SIGN_METHOD) -> str:
    """The TOP signature of `params` (file parameters must not be passed in)."""
    text = string_to_sign(params).encode("utf-8")
    key = secret.encode("utf-8")
    if method == "md5":
        digest = hashlib.md5(key + text + key).hexdigest()
    elif method == "hmac":
        digest = hmac.new(key, text, hashlib.md5).hexdigest()
    elif method == "hmac-sha256":
        digest = hmac.new(key, text, hashlib.sha256).hexdigest()
    else:
        raise ValueError(f"unknown sign_method {method!r} (expected one of {SIGN_METHODS})")
    return digest.upper()


def timestamp(now: datetime | None = None) -> str:
    """`now` (default: the current time) as a TOP timestamp in GMT+8."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("timestamp needs an aware datetime")
    return moment.astimezone(GMT8).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime:
    """A TOP timestamp (GMT+8) as an aware datetime; ValueError when malformed."""
    return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=GMT8)
