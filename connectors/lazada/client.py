"""Lazada Open Platform client for one seller account (Vietnam gateway `/rest`).

Every call is signed (connectors/lazada/signing.py) with the app's key and secret and
carries the shop's access token from the engine's TokenProvider. System parameters go in
the query string, business parameters in the query (GET) or the form body (POST); product
payloads are JSON in the `payload` parameter. Answers are JSON envelopes classified from
the body (connectors/lazada/envelope.py). An access token refused as invalid or expired is
refreshed through the provider once per call (`tokens.refreshed(stale)`), then retried.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from connectors.base import ChangedFields, ItemResult, Listing, RemoteListing
from connectors.errors import AuthError, MarketplaceError, NotFoundError, RetriableError
from connectors.http import HttpClient, parse_retry_after
from connectors.image_upload import MediaMemory
from connectors.lazada import api
from connectors.lazada.envelope import TokenRefused, classify_body, message_of
from connectors.lazada.images import Images, migrate_payload
from connectors.lazada.mapping import TEXT_ATTRIBUTES
from connectors.lazada.rules import PACKAGE_FIELDS
from connectors.lazada.signing import SIGN_METHOD, sign, timestamp_ms
from connectors.oauth import RefusedTokens, TokenProvider, provider_or_fix
from connectors.signed_form import form_arguments, form_fields
from sync.settings import Account

# The pair each attempt was signed with, and whether it was refused (per asyncio task).
_REFUSED = RefusedTokens("lazada_attempt")


class LazadaClient(HttpClient):
    """One Lazada shop (or its sandbox), authorised by OAuth."""

    marketplace = "lazada"

    def __init__(
        self,
        account: Account,
        *,
        tokens: TokenProvider | None = None,
        media: MediaMemory | None = None,
        **kwargs: Any,
    ):
        provider = provider_or_fix(account, tokens, "Lazada needs the shop's authorisation")
        super().__init__(account, **kwargs)
        self.tokens = provider
        self.images = Images(account, self._migrate, media)
        # The gateway prefix (`/rest`) is in the base URL; the signature covers the API path.
        self._prefix = self.http.base_url.path.rstrip("/")

    # -- protocol hooks ---------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Stamp and sign: current access token, fresh timestamp per attempt."""
        tokens = await self.tokens.current()
        _REFUSED.signing_with(tokens)
        query = dict(request.url.params)
        query.pop("sign", None)
        query.update(
            app_key=self.account.secret("app_key"),
            timestamp=timestamp_ms(),
            sign_method=SIGN_METHOD,
            access_token=tokens.access_token,
        )
        signed = dict(query)
        signed.update(form_fields(request))
        api_path = request.url.path.removeprefix(self._prefix)
        query["sign"] = sign(api_path, signed, self.account.secret("app_secret"))
        request.url = request.url.copy_with(params=query)

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """Envelope -> taxonomy; a partial price/quantity answer is left to its caller."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "code" not in body:
            if response.status_code >= 400:
                return super().classify(response)
        elif _per_sku(body) and response.url.path.endswith(api.PRICE_QUANTITY_UPDATE):
            return None  # some SKUs failed: update_prices_stocks reads `detail`
        status = response.status_code
        error = classify_body(
            body,
            account=self.account.name,
            status=status if status != 200 else None,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        if isinstance(error, TokenRefused):
            _REFUSED.refused()
        return error

    def error_message(self, response: httpx.Response) -> str:
        """Lazada's message from an error body, else the base class's guess."""
        try:
            body = response.json()
        except ValueError:
            body = None
        return message_of(body) if isinstance(body, dict) else super().error_message(response)

    async def refresh_auth(self) -> bool:
        """After IllegalAccessToken: the provider's refreshed pair (once per call)."""
        return await _REFUSED.refresh(self.tokens)

    # -- calls ------------------------------------------------------------------------------
    async def call(
        self, method: str, path: str, params: dict[str, str], *, retry: bool = True
    ) -> dict[str, Any]:
        """One API call; the whole answer body (`code` "0", `data`, maybe `detail`)."""
        arguments = {"params": params} if method == "GET" else form_arguments(params)
        response = await self.request(method, path, retry=retry, **arguments)
        body: dict[str, Any] = response.json()
        return body

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """`products/get` filtered by this seller SKU; None when no product has it."""
        params = {"filter": "all", "sku_seller_list": _json([sku]), "offset": "0", "limit": "1"}
        try:
            body = await self.call("GET", api.PRODUCTS_GET, params)
        except NotFoundError:
            return None
        products = (body.get("data") or {}).get("products") or []
        await self.images.learn(url for product in products for url in _image_urls(product))
        for product in products:
            for remote in self._remotes(product):
                if remote.sku == sku:
                    return remote
        return None

    async def create(self, listing: Listing) -> str:
        """Migrate missing images, then `product/create` once (never retried here)."""
        payload = await self._payload(listing)
        body = await self.call("POST", api.PRODUCT_CREATE, {"payload": payload}, retry=False)
        return str((body.get("data") or {})["item_id"])

    async def update(self, remote_id: str, listing: Listing) -> None:
        """`product/update` with every field we own, so a retry repeats the same state."""
        payload = await self._payload(listing, item_id=remote_id)
        await self.call("POST", api.PRODUCT_UPDATE, {"payload": payload})

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """`price_quantity/update` with the price only."""
        await self._one_sku(remote_id, listing, {"Price": str(listing.price)})

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """`price_quantity/update` with the quantity only."""
        await self._one_sku(remote_id, listing, {"Quantity": str(listing.stock)})

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """`price_quantity/update` in chunks of 50 SKUs, one result per SKU."""
        results: list[ItemResult] = []
        for start in range(0, len(items), api.PRICE_QUANTITY_MAX):
            chunk = items[start : start + api.PRICE_QUANTITY_MAX]
            skus = [
                _price_sku(
                    rid, listing, {"Price": str(listing.price), "Quantity": str(listing.stock)}
                )
                for rid, listing in chunk
            ]
            try:
                failed = await self._price_quantity(skus)
            except AuthError:
                raise  # the whole account is refused, not these items
            except MarketplaceError as error:
                results += [ItemResult(listing.sku, error) for _, listing in chunk]
                continue
            results += [ItemResult(listing.sku, failed.get(listing.sku)) for _, listing in chunk]
        return results

    async def delist(self, remote_id: str, sku: str) -> None:
        """`product/deactivate` of this SKU: kept on Lazada, off sale."""
        product = {"ItemId": remote_id, "Skus": {"SellerSku": [sku]}}
        await self.call("POST", api.PRODUCT_DEACTIVATE, {"payload": _request(product)})

    async def relist(self, remote_id: str, sku: str) -> None:
        """Lazada's way back from deactivate: `product/update` with the SKU's Status active."""
        product = {"ItemId": remote_id, "Skus": {"Sku": [{"SellerSku": sku, "Status": "active"}]}}
        await self.call("POST", api.PRODUCT_UPDATE, {"payload": _request(product)})

    async def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """`products/get` page by page (at most 50 a page), one listing per SKU."""
        size = max(1, min(page_size, api.PRODUCTS_PAGE_MAX))
        offset = 0
        while True:
            params = {"filter": "all", "offset": str(offset), "limit": str(size)}
            data = (await self.call("GET", api.PRODUCTS_GET, params)).get("data") or {}
            products = data.get("products") or []
            await self.images.learn(url for product in products for url in _image_urls(product))
            for product in products:
                for remote in self._remotes(product):
                    yield remote
            offset += len(products)
            if not products or offset >= int(data.get("total_products", 0)):
                return

    # -- helpers ----------------------------------------------------------------------------
    async def _one_sku(self, remote_id: str, listing: Listing, fields: dict[str, str]) -> None:
        failed = await self._price_quantity([_price_sku(remote_id, listing, fields)])
        if listing.sku in failed:
            raise failed[listing.sku]

    async def _price_quantity(self, skus: list[dict[str, str]]) -> dict[str, MarketplaceError]:
        """One `price_quantity/update`; the error of each SKU Lazada names in `detail`."""
        payload = _request({"Skus": {"Sku": skus}})
        body = await self.call("POST", api.PRICE_QUANTITY_UPDATE, {"payload": payload})
        failed: dict[str, MarketplaceError] = {}
        for item in body.get("detail") or []:
            error = classify_body(
                {"code": body.get("code"), "type": "ISV", **item}, account=self.account.name
            ) or RetriableError("no reason given", account=self.account.name)
            failed[str(item.get("seller_sku"))] = error
        return failed

    async def _payload(self, listing: Listing, *, item_id: str | None = None) -> str:
        """Listing -> the JSON `payload` of create/update, with Lazada image URLs."""
        content = listing.content
        attributes = {name: content[name] for name in TEXT_ATTRIBUTES}
        attributes.update(content.get("category_attributes") or {})
        sku: dict[str, Any] = {
            "SellerSku": listing.sku,
            "quantity": str(listing.stock),
            "price": str(listing.price),
            **{name: content[name] for name in PACKAGE_FIELDS},
        }
        product: dict[str, Any] = {
            "PrimaryCategory": content["PrimaryCategory"],
            "Images": {"Image": await self.images.lazada_urls(list(content["Images"]))},
            "Attributes": attributes,
            "Skus": {"Sku": [sku]},
        }
        if item_id is not None:
            product = {"ItemId": item_id, **product}
        return _request(product)

    def _remotes(self, product: dict[str, Any]) -> list[RemoteListing]:
        """One `products/get` product -> one RemoteListing per SKU, content comparable with
        `Listing.content`."""
        attributes = dict(product.get("attributes") or {})
        text = {name: attributes.pop(name, "") for name in TEXT_ATTRIBUTES}
        shared = {
            **text,
            "category_attributes": {str(k): str(v) for k, v in attributes.items()},
            "PrimaryCategory": str(product.get("primary_category", "")),
            "Images": self.images.sources(_image_urls(product)),
        }
        return [
            RemoteListing(
                remote_id=str(product["item_id"]),
                sku=str(sku["SellerSku"]),
                active=str(sku.get("Status", "")).lower() == "active",
                price=int(float(sku.get("price") or 0)),
                stock=int(sku.get("quantity") or 0),
                content={**shared, **{name: str(sku.get(name, "")) for name in PACKAGE_FIELDS}},
            )
            for sku in product.get("skus") or []
        ]

    async def _migrate(self, source_url: str) -> str:
        """`image/migrate` of one image; its Lazada URL."""
        body = await self.call("POST", api.IMAGE_MIGRATE, {"payload": migrate_payload(source_url)})
        return str(((body.get("data") or {}).get("image") or {})["url"])


def _image_urls(product: dict[str, Any]) -> list[str]:
    return list(product.get("images") or [])


def _per_sku(body: dict[str, Any]) -> bool:
    detail = body.get("detail")
    return (
        isinstance(detail, list)
        and bool(detail)
        and all(isinstance(item, dict) and item.get("seller_sku") for item in detail)
    )


def _price_sku(remote_id: str, listing: Listing, fields: dict[str, str]) -> dict[str, str]:
    return {"ItemId": remote_id, "SellerSku": listing.sku, **fields}


def _request(product: dict[str, Any]) -> str:
    return _json({"Request": {"Product": product}})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_client(
    account: Account,
    *,
    tokens: TokenProvider | None = None,
    media: MediaMemory | None = None,
    **kwargs: Any,
) -> LazadaClient:
    """The registry's client factory: `tokens=` from the engine, `media=` the shop's image
    migrations remembered there (`limiter=`, `http=`, `policy=` pass through)."""
    return LazadaClient(account, tokens=tokens, media=media, **kwargs)
