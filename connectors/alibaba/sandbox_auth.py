"""The Alibaba.com sandbox's authorisation facts: token lifetimes and the token answer's
account fields, over the shared sandbox OAuth state (connectors/sandbox/oauth_state.py).

Lifetimes are the observed ones (access token about 30 days, refresh token 60 days).
"""

from __future__ import annotations

from typing import Any

from connectors.alibaba.oauth import OAUTH
from connectors.sandbox.oauth_state import SandboxClock, TokenRegistry

ACCESS_TTL = 30 * 24 * 3600
REFRESH_TTL = 60 * 24 * 3600


def account_fields(seller: str) -> dict[str, Any]:
    """What an ICBU token answer says about the seller (`sp=icbu`: an Alibaba.com seller)."""
    return {
        "account": f"{seller}@sandbox.example",
        "account_id": f"ICBU-{seller}",
        "user_id": f"U-{seller}",
        "sp": "icbu",
    }


def token_registry(clock: SandboxClock) -> TokenRegistry:
    """The sandbox's codes and tokens, with Alibaba.com's lifetimes and answer."""
    return TokenRegistry(clock, ACCESS_TTL, REFRESH_TTL, account_fields, OAUTH.single_use_refresh)
