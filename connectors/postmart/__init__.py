"""Postmart (postmart.vn, Vietnam Post): our signed partner-API contract, its sandbox, and a
bulk-upload XLSX for the web seller portal. Protocol: docs/marketplaces/postmart.md."""

from __future__ import annotations

import dataclasses

from pydantic import SecretStr

from connectors.base import Connector, Listing, SandboxKit
from connectors.lazy import lazy
from connectors.postmart import rules
from connectors.postmart.client import PostmartClient
from connectors.postmart.mapping import PostmartMapping
from sync.ocop import GROUPS_148, GROUPS_1048
from sync.settings import Account

# OCOP groups -> the sandbox's category ids (both criteria versions' spellings).
SANDBOX_CATEGORY_BY_GROUP = dict(
    zip(GROUPS_148, ("1100", "1200", "1300", "1400", "1500", "1600"), strict=True)
) | dict(zip(GROUPS_1048, ("1100", "1200", "1300", "1400", "1400", "1600"), strict=True))


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for seller `name` on a Postmart sandbox at `base_url`."""
    from connectors.postmart.sandbox import sandbox_credentials  # see connectors.lazy

    return Account(
        name=name,
        marketplace="postmart",
        base_url=base_url,
        credentials={key: SecretStr(value) for key, value in sandbox_credentials(name).items()},
        categories=SANDBOX_CATEGORY_BY_GROUP,
        default_category="1000",
    )


def invalid_listing(listing: Listing) -> Listing:
    """A copy Postmart must reject: a name one character over the limit."""
    content = {**listing.content, "name": "Đ" * (rules.NAME_MAX + 1)}
    return dataclasses.replace(listing, sku=listing.sku + "-BAD", content=content, issues=[])


CONNECTOR = Connector(
    credentials=("api_key", "api_secret"),
    name="postmart",
    title="Postmart (Vietnam Post)",
    mapping=PostmartMapping(),
    client_factory=PostmartClient,
    sandbox_factory=lazy("connectors.postmart.sandbox:create_app"),
    sandbox_kit=SandboxKit(account=sandbox_account, invalid_listing=invalid_listing),
    batch_size=rules.BATCH_MAX,
    feed_exporter=lazy("connectors.postmart.feed:export_feed"),
)
