"""TikTok Shop (Partner API, Vietnam): mapping, client, OAuth flow, sandbox.

Protocol, rules and sandbox identities: docs/marketplaces/tiktok.md.
"""

from connectors.base import Connector, SandboxKit
from connectors.lazy import lazy
from connectors.tiktok.client import TikTokClient, make_client
from connectors.tiktok.mapping import TikTokMapping
from connectors.tiktok.oauth import TikTokOAuth
from connectors.tiktok.remote_ids import same_listing

CONNECTOR = Connector(
    credentials=("app_key", "app_secret"),
    reviews=True,
    name="tiktok",
    title="TikTok Shop",
    mapping=TikTokMapping(),
    client_factory=make_client,
    sandbox_factory=lazy("connectors.tiktok.sandbox:create_app"),
    sandbox_kit=SandboxKit(
        account=lazy("connectors.tiktok.sandbox:sandbox_account"),
        invalid_listing=lazy("connectors.tiktok.sandbox:invalid_listing"),
        authorize=lazy("connectors.tiktok.sandbox:authorize"),
    ),
    # Price and inventory updates address one product each: no batch call across products.
    batch_size=1,
    oauth=TikTokOAuth(),
    remembers_media=True,
    same_remote=same_listing,
    connection_options=frozenset({"authorize_url", "auth_base_url", "service_id"}),
)

__all__ = ["CONNECTOR", "TikTokClient", "TikTokMapping", "TikTokOAuth"]
