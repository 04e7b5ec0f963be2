"""Alibaba.com (ICBU Open Platform): mapping, client over `/sync` with OAuth, the Schema
flow, sandbox.

Protocol, rules and sandbox identities: docs/marketplaces/alibaba.md.
"""

from connectors.alibaba.client import AlibabaClient, make_client
from connectors.alibaba.mapping import AlibabaMapping
from connectors.alibaba.oauth import OAUTH, AlibabaOAuth
from connectors.base import Connector, SandboxKit
from connectors.lazy import lazy

CONNECTOR = Connector(
    credentials=("app_key", "app_secret"),
    name="alibaba",
    title="Alibaba.com (ICBU)",
    mapping=AlibabaMapping(),
    client_factory=make_client,
    sandbox_factory=lazy("connectors.alibaba.sandbox:create_app"),
    sandbox_kit=SandboxKit(
        account=lazy("connectors.alibaba.sandbox:sandbox_account"),
        invalid_listing=lazy("connectors.alibaba.sandbox:invalid_listing"),
        authorize=lazy("connectors.alibaba.sandbox:authorize"),
    ),
    # No call changes price or stock across products: one schema.update per item.
    batch_size=1,
    # Every write goes through Alibaba.com's review before the product is on sale.
    reviews=True,
    oauth=OAUTH,
    connection_options=frozenset({"authorize_url"}),
)

__all__ = ["CONNECTOR", "AlibabaClient", "AlibabaMapping", "AlibabaOAuth"]
