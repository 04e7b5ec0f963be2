"""Tokens when the engine hands the client none: a token pasted into the configuration.

TikTok's Partner Center issues test access tokens for development shops; an operator can
put one in `credentials.access_token` (and the shop's `shop_cipher`) and sync without the
token store. Such a token cannot be refreshed here: when it expires the account stops with
an AuthError that says how to authorise the shop properly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.oauth import Tokens, reauthorise
from sync.settings import Account

_NEVER = datetime(9999, 12, 31, tzinfo=UTC)


class ConfiguredTokens:
    """A TokenProvider over the account's own `access_token` credential, never refreshed."""

    def __init__(self, account: Account) -> None:
        self.account = account

    async def current(self) -> Tokens:
        """The configured token, or AuthError when the account has none."""
        creds = self.account.credentials
        if "access_token" not in creds:
            raise reauthorise(self.account.name, "the shop has not authorised ocop-sync")
        cipher = creds.get("shop_cipher")
        extra = {"shop_cipher": cipher.get_secret_value()} if cipher else {}
        return Tokens(
            access_token=creds["access_token"].get_secret_value(),
            refresh_token="",
            access_expires_at=_NEVER,
            extra=extra,
        )

    async def refreshed(self, stale: Tokens) -> Tokens:
        """A configured token cannot be refreshed: the account needs the OAuth flow."""
        raise reauthorise(self.account.name, "the configured access token has expired")
