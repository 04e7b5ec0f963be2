"""The one place a marketplace client is made for a run, inline or in a worker, and the
check that an account can be used at all before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.base import MarketplaceClient
from connectors.http import RetryPolicy
from connectors.ratelimit import RateLimiter
from connectors.registry import REGISTRY, get_connector
from sync.settings import Account, ConfigError, Settings, load_settings
from sync.state.media import StoredMediaMemory
from sync.state.store import StateStore
from sync.state.token_provider import token_provider_for


def load_config(path: Path | str | None = None, **overrides: Any) -> Settings:
    """The settings (`load_settings`), every account's marketplace known to the registry.

    The check lives here, not in the settings model: the settings are types the connectors
    use, and the registry imports the connectors."""
    settings = load_settings(path, **overrides)
    for account in settings.accounts:
        if account.marketplace not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            raise ConfigError(
                f"{path or 'environment'}: account {account.name}: unknown marketplace "
                f"{account.marketplace!r} (known: {known})"
            )
    return settings


def check_account(account: Account, store: StateStore) -> None:
    """ConfigError (exit 2) when the account lacks a credential its marketplace needs, or
    is an OAuth account without the token key or without an authorisation."""
    connector = get_connector(account.marketplace)
    missing = [key for key in connector.credentials if key not in account.credentials]
    if missing:
        env = "OCOP_SYNC_ACCOUNT_" + account.name.upper().replace("-", "_") + "_"
        keys = ", ".join(missing)
        raise ConfigError(
            f"account {account.name}: {connector.title} needs credential(s) {keys} "
            f"([accounts.credentials] in the configuration, or {env}<KEY> in the environment)"
        )
    token_provider_for(store, account)  # raises when the token store cannot serve it


def open_client(
    account: Account,
    store: StateStore,
    *,
    limiter: RateLimiter | None = None,
    policy: RetryPolicy | None = None,
) -> MarketplaceClient:
    """The account's client; OAuth marketplaces get a token provider over the state store,
    marketplaces that cannot list their uploads (`Connector.remembers_media`) the account's
    uploads remembered there."""
    connector = get_connector(account.marketplace)
    extra: dict[str, Any] = {}
    if limiter is not None:
        extra["limiter"] = limiter
    if policy is not None:
        extra["policy"] = policy
    tokens = token_provider_for(store, account)
    if tokens is not None:
        extra["tokens"] = tokens
    if connector.remembers_media:
        extra["media"] = StoredMediaMemory(store, account.name)
    return connector.client_factory(account, **extra)


def requests_sent(client: object) -> int:
    """Requests the account's client has sent so far (0 for one that counts none, or none
    opened): a run's requests are the difference across it."""
    return int(getattr(client, "requests_sent", 0) or 0)
