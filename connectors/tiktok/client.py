"""TikTok Shop client (Partner API, versioned product endpoints) on the shared HTTP layer.

Every call carries `app_key`, `timestamp`, `sign` and, for shop calls, the authorised
shop's `shop_cipher` in the query, and the access token in `x-tts-access-token`; the
signature covers path, query and JSON body (signing.py). Tokens come from the engine's
TokenProvider and are read on every attempt, so a retry after a refresh carries the new
pair. An expired token (code 105002) is refreshed once per call through
`tokens.refreshed(stale)`, which makes one refresh out of many concurrent ones.

A listing's remote id is "product_id:sku_id" (remote_ids.py): price and stock updates
address the SKU, so every process sends them without reading the product first.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import httpx

from connectors.base import ChangedFields, ItemResult, Listing, fields_to_send
from connectors.errors import AuthError, ItemRejected, MarketplaceError
from connectors.http import HttpClient
from connectors.image_upload import ImageFetcher, MediaMemory, Uploader
from connectors.oauth import TokenProvider, Tokens
from connectors.tiktok import api, envelope, remote_ids
from connectors.tiktok.audit import REVIEWS, TikTokRemoteListing, audit_reasons, audit_state
from connectors.tiktok.images import shop_images
from connectors.tiktok.signing import MULTIPART, sign, signed_body, timestamp
from connectors.tiktok.tokens import ConfiguredTokens
from sync.settings import Account

_TOKENS_KEY = "ocop_sync_tokens"  # request extension: the tokens a request was signed with
# The tokens of the last request TikTok refused as expired, per task: HttpClient calls
# `refresh_auth` right after `classify` in the same task, so concurrent calls (each its own
# task) never see each other's value.
_EXPIRED: ContextVar[Tokens | None] = ContextVar("tiktok_expired_tokens", default=None)
_JSON = {"content-type": "application/json"}

# Per shop: product id -> its SKU id, for remote ids stored before they carried the SKU id
# (bare product ids): read once per process by Get Product, then reused.
_SKU_IDS: dict[tuple[str, str], dict[str, str]] = {}


class TikTokClient(HttpClient):
    """One shop on TikTok Shop (or its sandbox)."""

    marketplace = "tiktok"

    def __init__(
        self,
        account: Account,
        *,
        tokens: TokenProvider | None = None,
        media: MediaMemory | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(account, **kw)
        self.tokens: TokenProvider = tokens or ConfiguredTokens(account)
        self.warehouse_id = str(account.options.get("warehouse_id", ""))
        # Our sandbox does not serve image files: with `image_fetch = false` the URL's own
        # bytes stand in for the image (ours, for tests). Real shops download the image.
        self.fetcher = ImageFetcher(self.http, account, option="image_fetch", title="TikTok Shop")
        cache = shop_images(account.base_url, account.name)
        self.images = Uploader(cache, self.fetcher, self._upload, str, memory=media)
        self.sku_ids = _SKU_IDS.setdefault((account.base_url, account.name), {})
        self.token_refreshes = 0

    # -- protocol hooks ---------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Current tokens, fresh timestamp, shop cipher, signature, access token header."""
        tokens = await self.tokens.current()
        query = {k: v for k, v in request.url.params.items() if k not in ("sign", "access_token")}
        query["app_key"] = self.account.secret("app_key")
        query["timestamp"] = timestamp()
        if request.url.path != api.AUTHORIZED_SHOPS:
            cipher = tokens.extra.get("shop_cipher")
            if not cipher:
                raise AuthError("the grant names no shop_cipher", account=self.account.name)
            query["shop_cipher"] = cipher
        content_type = request.headers.get("content-type", "")
        body = (
            "" if content_type.startswith(MULTIPART) else signed_body(content_type, request.content)
        )
        query["sign"] = sign(request.url.path, query, body, self.account.secret("app_secret"))
        request.url = request.url.copy_with(params=query)
        request.headers[api.ACCESS_HEADER] = tokens.access_token
        request.extensions[_TOKENS_KEY] = tokens

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """The envelope's code; an expired token is remembered for `refresh_auth`."""
        error = envelope.classify(response, self.account.name)
        if isinstance(error, envelope.TokenExpired):
            _EXPIRED.set(response.request.extensions.get(_TOKENS_KEY))
        return error

    def error_message(self, response: httpx.Response) -> str:
        """TikTok's message and request id."""
        return envelope.message_of(envelope.body_of(response), response)

    async def refresh_auth(self) -> bool:
        """After code 105002: the engine refreshes (once across processes); retry once."""
        stale = _EXPIRED.get()
        _EXPIRED.set(None)
        if stale is None:
            return False  # refused for another reason (signature, scope): not retried
        await self.tokens.refreshed(stale)
        self.token_refreshes += 1
        return True

    # -- calls ------------------------------------------------------------------------------
    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        """One Open API call; returns the envelope's `data`."""
        kwargs: dict[str, Any] = {"params": params or {}}
        if body is not None:
            kwargs["content"] = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            kwargs["headers"] = _JSON
        response = await self.request(method, path, retry=retry, **kwargs)
        data = (envelope.body_of(response) or {}).get("data")
        return data if isinstance(data, dict) else {}

    async def find_by_sku(self, sku: str) -> TikTokRemoteListing | None:
        """Search Products by seller SKU, then the product's detail."""
        data = await self._search({"seller_skus": [sku]}, api.SEARCH_PAGE_MAX, None)
        for product in data.get("products") or []:
            if product.get("status") == api.STATUS_DELETED:
                continue
            if any(s.get("seller_sku") == sku for s in product.get("skus") or []):
                return await self.remote(str(product["id"]))
        return None

    async def create(self, listing: Listing) -> str:
        """Upload missing images, then Create Product once (never retried here); returns
        "product_id:sku_id". The product goes to TikTok's audit: `find_by_sku(...).audit`
        shows where it stands."""
        data = await self._with_images(
            listing,
            lambda wire: self.call("POST", api.PRODUCTS, body=wire, retry=False),
        )
        product_id = str(data["product_id"])
        return remote_ids.join(product_id, self._remember_skus(product_id, data))

    async def update(self, remote_id: str, listing: Listing) -> None:
        """Edit Product: full replacement of the same SKU (TikTok audits the edit again)."""
        product_id, sku_id = await self._address(remote_id)
        data = await self._with_images(
            listing,
            lambda wire: self.call("PUT", api.product_path(product_id), body=wire),
            sku_id=sku_id,
        )
        self._remember_skus(product_id, data)

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """Update Price of the product's SKU (integer VND)."""
        product_id, sku_id = await self._address(remote_id)
        sku = {"id": sku_id, "price": _price(listing)}
        await self.call("POST", api.price_path(product_id), body={"skus": [sku]})

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """Update Inventory of the product's SKU in the shop's warehouse."""
        product_id, sku_id = await self._address(remote_id)
        sku = {"id": sku_id, "inventory": self._inventory(listing)}
        data = await self.call("POST", api.inventory_path(product_id), body={"skus": [sku]})
        for _, error in envelope.partial_errors(data, self.account.name):
            raise error

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """Price then stock per product: TikTok's updates address one product at a time
        (only the fields that changed)."""
        out: list[ItemResult] = []
        for remote_id, listing in items:
            try:
                fields = fields_to_send(changed, listing.sku)
                if "price" in fields:
                    await self.update_price(remote_id, listing)
                if "stock" in fields:
                    await self.update_stock(remote_id, listing)
            except AuthError:
                raise  # the whole shop is refused, not this item
            except MarketplaceError as error:
                out.append(ItemResult(listing.sku, error))
            else:
                out.append(ItemResult(listing.sku))
        return out

    async def delist(self, remote_id: str, sku: str) -> None:
        """Deactivate Products: off sale, kept by TikTok, can be activated again."""
        await self._switch(api.DEACTIVATE, remote_id)

    async def relist(self, remote_id: str, sku: str) -> None:
        """Activate Products."""
        await self._switch(api.ACTIVATE, remote_id)

    async def list_remote(self, page_size: int = 100) -> AsyncIterator[TikTokRemoteListing]:
        """Search Products page by page (page tokens), each product's detail in turn."""
        size = max(1, min(page_size, api.SEARCH_PAGE_MAX))
        token: str | None = None
        while True:
            data = await self._search({}, size, token)
            for product in data.get("products") or []:
                if product.get("status") != api.STATUS_DELETED:
                    yield await self.remote(str(product["id"]))
            token = data.get("next_page_token") or None
            if not token or not data.get("products"):
                return

    async def remote(self, product_id: str) -> TikTokRemoteListing:
        """Get Product -> a remote listing whose content compares with `Listing.content`,
        its remote id in the form `create` returns ("product_id:sku_id")."""
        product = await self.call("GET", api.product_path(product_id))
        sku_id = self._remember_skus(product_id, product)
        await self.images.learn(_uris(product))
        sku = (product.get("skus") or [{}])[0]
        status = str(product.get("status") or "")
        audit, reasons = audit_state(status), audit_reasons(product)
        return TikTokRemoteListing(
            remote_id=remote_ids.join(product_id, sku_id),
            sku=str(sku.get("seller_sku") or ""),
            active=status not in api.OFF_SALE,
            price=int(Decimal(str((sku.get("price") or {}).get("tax_exclusive_price") or 0))),
            stock=sum(int(i.get("quantity") or 0) for i in sku.get("inventory") or []),
            content=self._content(product),
            status=status,
            audit=audit,
            audit_reasons=reasons,
            review=REVIEWS.get(audit),
            review_reason="; ".join(reasons) or None,
        )

    # -- helpers ----------------------------------------------------------------------------
    async def _search(self, body: dict[str, Any], size: int, token: str | None) -> dict[str, Any]:
        params = {"page_size": str(size)}
        if token:
            params["page_token"] = token
        return await self.call("POST", api.SEARCH_PRODUCTS, params=params, body=body)

    async def _switch(self, path: str, remote_id: str) -> None:
        mine, _ = remote_ids.split(remote_id, self.account.name)
        data = await self.call("POST", path, body={"product_ids": [mine]})
        for product_id, error in envelope.partial_errors(data, self.account.name):
            if product_id in ("", mine):
                raise error

    async def _address(self, remote_id: str) -> tuple[str, str]:
        """(product_id, sku_id) of a remote id. A bare product id (stored before remote ids
        carried the SKU id) costs one Get Product per process, which 404s as NotFoundError
        for a deleted product."""
        product_id, sku_id = remote_ids.split(remote_id, self.account.name)
        if sku_id is None:
            if product_id not in self.sku_ids:
                await self.remote(product_id)
            sku_id = self.sku_ids[product_id]
        return product_id, sku_id

    def _remember_skus(self, product_id: str, data: dict[str, Any]) -> str | None:
        """Remember the product's (first and only) SKU id from an answer; return it."""
        skus = data.get("skus") or []
        if skus and skus[0].get("id"):
            self.sku_ids[product_id] = str(skus[0]["id"])
            return self.sku_ids[product_id]
        return None

    def _inventory(self, listing: Listing) -> list[dict[str, Any]]:
        return [{"warehouse_id": self.warehouse_id, "quantity": listing.stock}]

    async def _wire(self, listing: Listing, sku_id: str | None = None) -> dict[str, Any]:
        """Listing -> Create/Edit Product body: uploaded image URIs, one SKU, VND price."""
        content = dict(listing.content)
        try:
            uris = await self.images.resolve(list(content.pop("main_images")), listing.images)
        except KeyError as missing:
            raise ItemRejected(
                f"image {missing} is neither uploaded nor among the listing's images",
                account=self.account.name,
            ) from None
        sku: dict[str, Any] = {
            "seller_sku": listing.sku,
            "price": _price(listing),
            "inventory": self._inventory(listing),
        }
        if sku_id:
            sku["id"] = sku_id
        return {
            **content,
            "main_images": [{"uri": u} for u in uris],
            "skus": [sku],
            "save_mode": "LISTING",
        }

    async def _with_images(
        self,
        listing: Listing,
        send: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
        sku_id: str | None = None,
    ) -> dict[str, Any]:
        """Send the listing's body; when TikTok answers that an image URI does not exist (an
        upload remembered from another process that TikTok no longer keeps, a sandbox that
        restarted), forget the listing's uploads, upload them again and send once more —
        the refused call changed nothing, so even a create may be sent again."""
        try:
            return await send(await self._wire(listing, sku_id=sku_id))
        except ItemRejected as refused:
            if refused.code != str(api.IMAGE_URI_UNKNOWN):
                raise
        await self.images.forget(list(listing.content["main_images"]))
        return await send(await self._wire(listing, sku_id=sku_id))

    def _content(self, product: dict[str, Any]) -> dict[str, Any]:
        chain = product.get("category_chains") or []
        leaf = next((c for c in chain if c.get("is_leaf")), chain[-1] if chain else {})
        content: dict[str, Any] = {
            "title": product.get("title", ""),
            "description": product.get("description", ""),
            "category_id": str(leaf.get("id", "")),
            "main_images": self.images.known_keys(_uris(product)),
            "package_weight": _pick(product.get("package_weight"), ("value", "unit")),
            "product_attributes": [
                {
                    "id": str(a.get("id")),
                    "values": [{"name": v.get("name")} for v in a.get("values") or []],
                }
                for a in product.get("product_attributes") or []
            ],
        }
        if product.get("package_dimensions"):
            content["package_dimensions"] = _pick(
                product["package_dimensions"], ("length", "width", "height", "unit")
            )
        return content

    async def _upload(self, data: bytes, key: str, digest: str) -> str:
        """Upload Product Image (multipart, so the body is not signed); returns its URI."""
        response = await self.request(
            "POST",
            api.UPLOAD_IMAGE,
            files={"data": (f"{key}.jpg", data, "image/jpeg")},
            data={"use_case": api.MAIN_IMAGE},
        )
        uploaded = (envelope.body_of(response) or {}).get("data") or {}
        return str(uploaded["uri"])


def _price(listing: Listing) -> dict[str, str]:
    return {"amount": str(listing.price), "currency": api.CURRENCY}


def _uris(product: dict[str, Any]) -> list[str]:
    return [str(i.get("uri")) for i in product.get("main_images") or []]


def _pick(value: object, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: value.get(k) for k in keys} if isinstance(value, dict) else {}


def make_client(
    account: Account,
    *,
    tokens: TokenProvider | None = None,
    media: MediaMemory | None = None,
    **kwargs: Any,
) -> TikTokClient:
    """The registry's client factory: `tokens=` from the engine's token store (without
    one, a token configured in the account's credentials), `media=` the shop's uploads
    remembered there; `limiter=`, `http=`, `policy=` pass through."""
    return TikTokClient(account, tokens=tokens, media=media, **kwargs)
