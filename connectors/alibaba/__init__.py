"""Alibaba.com (ICBU) over the TOP protocol: mapping, client, sandbox.

Protocol and sandbox credentials: docs/marketplaces/alibaba.md.
"""

from connectors.alibaba.client import AlibabaClient, make_client
from connectors.alibaba.mapping import AlibabaMapping
from connectors.alibaba.sandbox import create_app, invalid_listing, sandbox_account
from connectors.base import Connector, SandboxKit

CONNECTOR = Connector(
    credentials=("app_key", "app_secret", "session"),
    name="alibaba",
    title="Alibaba.com (ICBU)",
    mapping=AlibabaMapping(),
    client_factory=make_client,
    sandbox_factory=create_app,
    sandbox_kit=SandboxKit(account=sandbox_account, invalid_listing=invalid_listing),
    # ICBU has no batch price call: one update.field per item (our sandbox's batch method
    # is opt-in per account, see the client).
    batch_size=1,
)

__all__ = ["CONNECTOR", "AlibabaClient", "AlibabaMapping"]
