"""Voso (voso.vn, Viettel Post): our partner-API contract, its sandbox, and the bulk-upload
file for the mc.voso.vn seller portal. Protocol: docs/marketplaces/voso.md."""

from __future__ import annotations

import dataclasses

from pydantic import SecretStr

from connectors.base import Connector, Listing, SandboxKit
from connectors.lazy import lazy
from connectors.voso.client import VosoClient
from connectors.voso.mapping import MAPPING
from connectors.voso.rules import BATCH_MAX, TITLE_MAX
from sync.settings import Account

# OCOP groups (both criteria versions) and one product set -> the sandbox's category ids.
SANDBOX_CATEGORIES: dict[str, str] = {
    "Thực phẩm": "1001",
    "Rau, củ, quả tươi và sơ chế": "1002",
    "Đồ uống": "1003",
    "Dược liệu và sản phẩm từ dược liệu": "1004",
    "Thảo dược": "1004",
    "Hàng thủ công mỹ nghệ": "1005",
    "Vải và may mặc": "1005",
    "Lưu niệm - nội thất - trang trí": "1005",
    "Sinh vật cảnh": "1006",
    "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch": "1007",
    "Dịch vụ du lịch nông thôn, bán hàng": "1007",
}


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for seller `name` on a Voso sandbox (username = name)."""
    from connectors.voso.sandbox import sandbox_password  # see connectors.lazy

    return Account(
        name=name,
        marketplace="voso",
        base_url=base_url,
        credentials={"username": SecretStr(name), "password": SecretStr(sandbox_password(name))},
        categories=SANDBOX_CATEGORIES,
        default_category="1001",
    )


def invalid_listing(listing: Listing) -> Listing:
    """A copy whose title is longer than Voso's 120 characters."""
    content = {**listing.content, "name": (listing.content["name"] + " đặc sản") * 4}
    assert len(content["name"]) > TITLE_MAX
    return dataclasses.replace(listing, content=content, issues=[])


CONNECTOR = Connector(
    credentials=("username", "password"),
    name="voso",
    title="Voso (Viettel Post)",
    mapping=MAPPING,
    client_factory=VosoClient,
    sandbox_factory=lazy("connectors.voso.sandbox:create_app"),
    sandbox_kit=SandboxKit(account=sandbox_account, invalid_listing=invalid_listing),
    batch_size=BATCH_MAX,
    feed_exporter=lazy("connectors.voso.feed:export_feed"),
)

__all__ = ["CONNECTOR", "VosoClient", "sandbox_account"]
