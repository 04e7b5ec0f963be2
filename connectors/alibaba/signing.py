"""ICBU Open Platform request signing, shared by the client and the sandbox.

The rule (docs/marketplaces/alibaba.md, "Signature"): sort every parameter except `sign`
(and file parameters: the multipart `image_bytes` of photobank.upload) by name in ASCII
order, concatenate name+value, HMAC-SHA256 with the app secret over the UTF-8 bytes,
uppercase hex (`sign_method=sha256`). Calls to `/sync` sign the parameters alone; the token
calls under `/rest` put their API path (`/auth/token/create`, without `/rest`) in front.
The timestamp is milliseconds since the epoch.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_SKEW_SECONDS = 600  # ours: the sandbox refuses timestamps further off than this


def string_to_sign(params: Mapping[str, str], api_path: str = "") -> str:
    """`api_path` (token calls only) then name+value of every parameter but `sign`, sorted.

    Empty values are left out, as the official SDKs do, so a blank optional parameter does
    not change the signature.
    """
    body = "".join(
        f"{name}{value}" for name, value in sorted(params.items()) if name != "sign" and value != ""
    )
    return api_path + body


def sign(params: Mapping[str, str], app_secret: str, api_path: str = "") -> str:
    """The `sign` parameter (uppercase hex HMAC-SHA256)."""
    text = string_to_sign(params, api_path).encode("utf-8")
    return hmac.new(app_secret.encode("utf-8"), text, hashlib.sha256).hexdigest().upper()


def timestamp_ms(now: float | None = None) -> str:
    """`now` (default: the current time, seconds since the epoch) in milliseconds."""
    return str(int((time.time() if now is None else now) * 1000))


def timestamp_skew(value: str, now: float | None = None) -> float:
    """Seconds between a millisecond timestamp and `now`; inf when it is not one."""
    if not value.isdigit() or len(value) != 13:
        return float("inf")
    return abs((time.time() if now is None else now) - int(value) / 1000)
