"""Lazada (Lazada Open Platform, Vietnam gateway): mapping, client, OAuth, sandbox.

Protocol, rules and sandbox credentials: docs/marketplaces/lazada.md.
"""

from connectors.base import Connector, SandboxKit
from connectors.lazada.api import PRICE_QUANTITY_MAX
from connectors.lazada.client import LazadaClient, make_client
from connectors.lazada.mapping import LazadaMapping
from connectors.lazada.oauth import OAUTH, LazadaOAuth
from connectors.lazy import lazy

CONNECTOR = Connector(
    credentials=("app_key", "app_secret"),
    name="lazada",
    title="Lazada Vietnam",
    mapping=LazadaMapping(),
    client_factory=make_client,
    sandbox_factory=lazy("connectors.lazada.sandbox:create_app"),
    sandbox_kit=SandboxKit(
        account=lazy("connectors.lazada.sandbox:sandbox_account"),
        invalid_listing=lazy("connectors.lazada.sandbox:invalid_listing"),
        authorize=lazy("connectors.lazada.sandbox:authorize"),
    ),
    batch_size=PRICE_QUANTITY_MAX,
    oauth=OAUTH,
    remembers_media=True,
)

__all__ = ["CONNECTOR", "LazadaClient", "LazadaMapping", "LazadaOAuth"]
