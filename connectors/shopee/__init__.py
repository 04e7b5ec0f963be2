"""Shopee (Open Platform v2, shop level): OAuth flow, mapping, client, sandbox.

Protocol, rules and their sources: docs/marketplaces/shopee.md.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import SecretStr

from connectors.base import Connector, Listing, SandboxKit
from connectors.http import make_http_client
from connectors.image_upload import MediaMemory
from connectors.lazy import lazy
from connectors.oauth import TokenGrant, TokenProvider
from connectors.shopee.client import ShopeeClient
from connectors.shopee.mapping import MAPPING
from connectors.shopee.oauth import ShopeeOAuth, partner
from connectors.shopee.rules import BATCH_MAX, ITEM_NAME_MAX
from sync.settings import Account

OAUTH = ShopeeOAuth()
SANDBOX_LOGISTICS = [50011, 50012]  # channel ids the sandbox's shops have enabled
# OCOP groups -> sandbox category ids (a real shop maps to Shopee's category tree).
SANDBOX_CATEGORIES: dict[str, str] = {
    "Thực phẩm": "100629",
    "Rau, củ, quả tươi và sơ chế": "100630",
    "Đồ uống": "100631",
    "Dược liệu và sản phẩm từ dược liệu": "100632",
    "Thảo dược": "100632",
    "Hàng thủ công mỹ nghệ": "100633",
    "Vải và may mặc": "100634",
    "Lưu niệm - nội thất - trang trí": "100633",
    "Sinh vật cảnh": "100635",
}


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for shop `name` on a Shopee sandbox (its partner and shop ids are
    derived from the name; the sandbox takes image URLs instead of image bytes)."""
    from connectors.shopee.sandbox_auth import sandbox_credentials  # see connectors.lazy

    partner_id, partner_key, shop_id = sandbox_credentials(name)
    return Account(
        name=name,
        marketplace="shopee",
        base_url=base_url,
        credentials={
            "partner_id": SecretStr(str(partner_id)),
            "partner_key": SecretStr(partner_key),
        },
        categories=SANDBOX_CATEGORIES,
        default_category="100629",
        options={"shop_id": str(shop_id), "logistic_ids": SANDBOX_LOGISTICS, "media_fetch": False},
    )


def invalid_listing(listing: Listing) -> Listing:
    """A copy whose item name is longer than Shopee's 120 characters."""
    content = {**listing.content, "item_name": (listing.content["item_name"] + " đặc sản") * 8}
    assert len(content["item_name"]) > ITEM_NAME_MAX
    return dataclasses.replace(listing, content=content, issues=[])


async def sandbox_authorize(account: Account) -> TokenGrant:
    """The shop owner's consent on the sandbox (POST /_sandbox/consent hands out the code
    the real consent page redirects with), exchanged for the first grant."""
    partner_id, _ = partner(account)
    shop_id = int(account.options["shop_id"])
    async with make_http_client(account) as http:
        answer = await http.post(
            "/_sandbox/consent",
            json={"partner_id": partner_id, "shop_id": shop_id, "shop_name": account.name},
        )
        answer.raise_for_status()
        code = str(answer.json()["code"])
        return await OAUTH.exchange_code(account, code, str(shop_id), http)


def make_client(
    account: Account, *, tokens: TokenProvider, media: MediaMemory | None = None, **kwargs: Any
) -> ShopeeClient:
    """The registry's client factory: `tokens=` is required, `media=` the shop's uploads
    remembered by the engine (`limiter=`, `http=`, `policy=` pass through)."""
    return ShopeeClient(account, tokens=tokens, media=media, **kwargs)


CONNECTOR = Connector(
    credentials=("partner_id", "partner_key"),
    name="shopee",
    title="Shopee",
    mapping=MAPPING,
    client_factory=make_client,
    sandbox_factory=lazy("connectors.shopee.sandbox:create_app"),
    sandbox_kit=SandboxKit(
        account=sandbox_account, invalid_listing=invalid_listing, authorize=sandbox_authorize
    ),
    batch_size=BATCH_MAX,
    oauth=OAUTH,
    remembers_media=True,
)

__all__ = ["CONNECTOR", "OAUTH", "ShopeeClient", "sandbox_account"]
