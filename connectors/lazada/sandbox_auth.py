"""The Lazada sandbox's authorisation facts: token lifetimes and the token answer's
account fields, over the shared sandbox OAuth state (connectors/sandbox/oauth_state.py).

Lifetimes are those Lazada documents for apps in test status: access token 7 days,
refresh token 14 days.
"""

from __future__ import annotations

from typing import Any

from connectors.lazada.oauth import OAUTH
from connectors.sandbox.oauth_state import SandboxClock, TokenRegistry

ACCESS_TTL = 7 * 24 * 3600
REFRESH_TTL = 14 * 24 * 3600
COUNTRY = "vn"


def account_fields(seller: str) -> dict[str, Any]:
    """What a Lazada token answer says about the seller: its country and seller id."""
    return {
        "country": COUNTRY,
        "account_platform": "seller_center",
        "account": f"{seller}@sandbox.example",
        "country_user_info": [
            {
                "country": COUNTRY,
                "seller_id": f"VN-{seller}",
                "user_id": f"U-{seller}",
                "short_code": f"VN{len(seller):03d}",
            }
        ],
    }


def token_registry(clock: SandboxClock) -> TokenRegistry:
    """The sandbox's codes and tokens, with Lazada's lifetimes and answer."""
    return TokenRegistry(clock, ACCESS_TTL, REFRESH_TTL, account_fields, OAUTH.single_use_refresh)
