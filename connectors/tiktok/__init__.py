"""TikTok Shop (Partner API, Vietnam): mapping, client, OAuth flow, sandbox.

Protocol, rules and sandbox identities: docs/marketplaces/tiktok.md.
"""

from connectors.base import Connector, SandboxKit
from connectors.tiktok.client import TikTokClient, make_client
from connectors.tiktok.mapping import TikTokMapping
from connectors.tiktok.oauth import TikTokOAuth
from connectors.tiktok.remote_ids import same_listing
from connectors.tiktok.sandbox import authorize, create_app, invalid_listing, sandbox_account

CONNECTOR = Connector(
    credentials=("app_key", "app_secret"),
    reviews=True,
    name="tiktok",
    title="TikTok Shop",
    mapping=TikTokMapping(),
    client_factory=make_client,
    sandbox_factory=create_app,
    sandbox_kit=SandboxKit(
        account=sandbox_account, invalid_listing=invalid_listing, authorize=authorize
    ),
    # Price and inventory updates address one product each: no batch call across products.
    batch_size=1,
    oauth=TikTokOAuth(),
    remembers_media=True,
    same_remote=same_listing,
    connection_options=frozenset({"authorize_url", "auth_base_url", "service_id"}),
)

__all__ = ["CONNECTOR", "TikTokClient", "TikTokMapping", "TikTokOAuth"]
