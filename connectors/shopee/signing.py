"""Shopee Open Platform v2 signatures (developer guide "API calls", "Authorization and
Authentication"): HMAC-SHA256 with the partner key over a base string, lowercase hex.

- Shop API:   partner_id + api_path + timestamp + access_token + shop_id
- Public API: partner_id + api_path + timestamp   (token get / refresh, the consent link)

The timestamp is Unix seconds and valid for 5 minutes. The signature and the common
parameters travel in the query string of GET and POST calls alike.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_WINDOW = 300  # seconds a timestamp (and so a signature) stays valid


def shop_base_string(
    partner_id: int | str, path: str, timestamp: int, access_token: str, shop_id: int | str
) -> str:
    """The base string of a shop-level call."""
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def public_base_string(partner_id: int | str, path: str, timestamp: int) -> str:
    """The base string of a public call (no token, no shop)."""
    return f"{partner_id}{path}{timestamp}"


def sign(partner_key: str, base_string: str) -> str:
    """HMAC-SHA256 of `base_string` keyed by the partner key, as lowercase hex."""
    return hmac.new(partner_key.encode(), base_string.encode(), hashlib.sha256).hexdigest()


def now() -> int:
    """The current Unix timestamp in seconds (what Shopee checks against its clock)."""
    return int(time.time())


def public_params(
    partner_id: int | str, partner_key: str, path: str, timestamp: int
) -> dict[str, str]:
    """Common query parameters of a public call."""
    signature = sign(partner_key, public_base_string(partner_id, path, timestamp))
    return {"partner_id": str(partner_id), "timestamp": str(timestamp), "sign": signature}


def shop_params(
    partner_id: int | str,
    partner_key: str,
    path: str,
    timestamp: int,
    access_token: str,
    shop_id: int | str,
) -> dict[str, str]:
    """Common query parameters of a shop-level call."""
    base = shop_base_string(partner_id, path, timestamp, access_token, shop_id)
    return {
        "partner_id": str(partner_id),
        "timestamp": str(timestamp),
        "access_token": access_token,
        "shop_id": str(shop_id),
        "sign": sign(partner_key, base),
    }
