"""Alibaba.com (ICBU Open Platform) client for one seller account.

Every call is a POST to `/sync`: system parameters (`method`, `app_key`, `session` = the
seller's OAuth access token from the engine's TokenProvider, ms `timestamp`,
`sign_method=sha256`, `format`, `v`) in the query string, business parameters in the form
body (multipart for photobank.upload, whose file is not signed), one signature over every
text parameter. Products are written through the Schema flow: the category's schema is
rendered once per process and cached, the mapped listing becomes an `<itemSchema>`
document (connectors/alibaba/item_schema.py) for schema.add / schema.update. Answers are
classified from the body (connectors/alibaba/envelope.py); an access token refused as
expired is refreshed through the provider once per call.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from connectors.alibaba import api
from connectors.alibaba.envelope import TokenRefused, business_error, classify_error, message_of
from connectors.alibaba.item_schema import (
    display_xml,
    item_values,
    price_stock_values,
    remote_listing,
)
from connectors.alibaba.photobank import Photobank, cache_for
from connectors.alibaba.schema import Image, ItemSchema, document_xml
from connectors.alibaba.signing import sign, timestamp_ms
from connectors.base import ChangedFields, ItemResult, Listing, RemoteListing
from connectors.errors import AuthError, ItemRejected, MarketplaceError, RetriableError
from connectors.http import HttpClient, parse_retry_after
from connectors.image_upload import ImageFetcher
from connectors.oauth import RefusedTokens, TokenProvider, provider_or_fix
from connectors.signed_form import form_arguments, form_fields
from sync.settings import Account

# The pair each attempt was signed with, and whether it was refused (per asyncio task).
_REFUSED = RefusedTokens("alibaba_attempt")
# Rendered schemas per (base URL, account, category): one schema.render per category.
_SCHEMAS: dict[tuple[str, str, str], ItemSchema] = {}


class AlibabaClient(HttpClient):
    """One Alibaba.com seller (or its sandbox), authorised by OAuth."""

    marketplace = "alibaba"

    def __init__(self, account: Account, *, tokens: TokenProvider | None = None, **kwargs: Any):
        provider = provider_or_fix(account, tokens, "Alibaba.com needs the seller's authorisation")
        super().__init__(account, **kwargs)
        self.tokens = provider
        # Real sellers' images are downloaded and their bytes uploaded; with
        # `photobank_fetch = false` (our sandbox, which needs no image bytes) the URL's own
        # bytes stand in for the image.
        self.images = ImageFetcher(
            self.http, account, option="photobank_fetch", title="Alibaba.com"
        )
        self.photobank = Photobank(
            cache_for(account.base_url, account.name), self.call, self.images, self._upload
        )

    # -- protocol hooks ---------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Stamp and sign: current access token as `session`, fresh ms timestamp."""
        tokens = await self.tokens.current()
        _REFUSED.signing_with(tokens)
        query = dict(request.url.params)
        query.pop("sign", None)
        query.update(
            app_key=self.account.secret("app_key"),
            session=tokens.access_token,
            timestamp=timestamp_ms(),
            sign_method=api.SIGN_METHOD,
            format="json",
            v=api.API_VERSION,
        )
        signed = dict(query)
        signed.update(form_fields(request))
        query["sign"] = sign(signed, self.account.secret("app_secret"))
        request.url = request.url.copy_with(params=query)

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """Gateway envelope -> taxonomy (business refusals are read by `call`)."""
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error_response") if isinstance(body, dict) else None
        status = response.status_code if response.status_code != 200 else None
        if isinstance(error, dict):
            classified = classify_error(
                error,
                account=self.account.name,
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
            if isinstance(classified, TokenRefused):
                _REFUSED.refused()
            return classified
        if response.status_code >= 400:
            return super().classify(response)
        method = response.request.url.params.get("method", "")
        if not isinstance(body, dict) or api.response_key(method) not in body:
            return RetriableError(f"unreadable answer to {method}", account=self.account.name)
        return None

    def error_message(self, response: httpx.Response) -> str:
        """The platform's `msg: sub_msg`, else the base class's guess."""
        try:
            error = response.json().get("error_response")
        except (ValueError, AttributeError):
            error = None
        return message_of(error) if isinstance(error, dict) else super().error_message(response)

    async def refresh_auth(self) -> bool:
        """After IllegalAccessToken: the provider's refreshed pair (once per call)."""
        return await _REFUSED.refresh(self.tokens)

    # -- calls ------------------------------------------------------------------------------
    async def call(
        self,
        method: str,
        params: dict[str, str],
        *,
        retry: bool = True,
        files: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One `/sync` call; the body under `<method>_response`. A business refusal
        (`biz_success` false) raises here, after the HTTP layer: a product under review is
        not retried in this call but on a later run."""
        if files:
            # Multipart: every text parameter goes to the (signed) query, the file alone in
            # the body, which the signature leaves out.
            where: dict[str, Any] = {"params": {"method": method, **params}, "files": files}
        else:
            where = {"params": {"method": method}, **form_arguments(params)}
        response = await self.request("POST", api.SYNC_PATH, retry=retry, **where)
        answer: dict[str, Any] = response.json()[api.response_key(method)]
        error = business_error(answer, account=self.account.name)
        if error is not None:
            raise error
        return answer

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """product.list filtered by `sku_code` (ours), then product.get; None if absent."""
        data = await self.call(
            api.PRODUCT_LIST, {"sku_code": sku, "current_page": "1", "page_size": "1"}
        )
        products = data.get("products") or []
        return await self._get(str(products[0]["product_id"])) if products else None

    async def create(self, listing: Listing) -> str:
        """Upload missing images, then schema.add once (never retried here)."""
        xml = await self._document(listing)
        data = await self.call(api.SCHEMA_ADD, _publish(listing, xml), retry=False)
        return str(data["product_id"])

    async def update(self, remote_id: str, listing: Listing) -> None:
        """schema.update with the whole document, so a retry repeats the same state."""
        xml = await self._document(listing)
        await self.call(api.SCHEMA_UPDATE, _publish(listing, xml, remote_id))

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """schema.update with the ladder price only."""
        await self._partial(remote_id, listing, price=True, stock=False)

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """schema.update with the inventory only."""
        await self._partial(remote_id, listing, price=False, stock=True)

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """One schema.update per item: ICBU has no call across products."""
        out: list[ItemResult] = []
        for remote_id, listing in items:
            try:
                await self._partial(remote_id, listing, price=True, stock=True)
            except AuthError:
                raise  # the whole account is refused, not this item
            except MarketplaceError as error:
                out.append(ItemResult(listing.sku, error))
            else:
                out.append(ItemResult(listing.sku))
        return out

    async def delist(self, remote_id: str, sku: str) -> None:
        """schema.update with display N: the product stays, hidden from buyers."""
        await self.call(api.SCHEMA_UPDATE, _display(remote_id, on=False))

    async def relist(self, remote_id: str, sku: str) -> None:
        """schema.update with display Y."""
        await self.call(api.SCHEMA_UPDATE, _display(remote_id, on=True))

    async def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """product.list page by page (at most 30 a page), product.get for each product."""
        size = max(1, min(page_size, api.LIST_PAGE_MAX))
        page = 1
        while True:
            data = await self.call(
                api.PRODUCT_LIST, {"current_page": str(page), "page_size": str(size)}
            )
            products = data.get("products") or []
            for product in products:
                yield await self._get(str(product["product_id"]))
            if not products or page * size >= int(data.get("total_item", 0)):
                return
            page += 1

    # -- helpers ----------------------------------------------------------------------------
    async def schema(self, category_id: str) -> ItemSchema:
        """The rendered schema of a category (schema.render once per process)."""
        key = (self.account.base_url, self.account.name, category_id)
        if key not in _SCHEMAS:
            request = {"cat_id": category_id, "language": api.LANGUAGE}
            data = await self.call(
                api.SCHEMA_RENDER, {"param_product_top_publish_request": _json(request)}
            )
            try:
                _SCHEMAS[key] = ItemSchema.from_xml(str(data.get("data") or ""))
            except ValueError as exc:
                raise RetriableError(f"schema.render: {exc}", account=self.account.name) from None
        return _SCHEMAS[key]

    async def _document(self, listing: Listing) -> str:
        schema = await self.schema(str(listing.content["category_id"]))
        try:
            images = await self.photobank.resolve(
                list(listing.content["image_files"]), listing.images
            )
        except KeyError as missing:
            raise ItemRejected(
                f"image {missing} is neither in the photobank nor among the listing's images",
                account=self.account.name,
            ) from None
        try:
            values = item_values(schema, listing, images)
        except ValueError as exc:
            raise ItemRejected(str(exc), account=self.account.name) from None
        return document_xml(schema, values)

    async def _partial(self, remote_id: str, listing: Listing, *, price: bool, stock: bool) -> None:
        schema = await self.schema(str(listing.content["category_id"]))
        xml = document_xml(schema, price_stock_values(listing, price=price, stock=stock))
        await self.call(api.SCHEMA_UPDATE, _publish(listing, xml, remote_id))

    async def _get(self, product_id: str) -> RemoteListing:
        product = (await self.call(api.PRODUCT_GET, {"product_id": product_id}))["product"]
        urls = [str(u) for u in (product.get("main_image") or {}).get("images") or []]
        return remote_listing(product, await self.photobank.keys(urls))

    async def _upload(self, data: bytes, name: str) -> Image:
        """photobank.upload (multipart; the file is not signed) -> file_id, photobank_url."""
        files = {"image_bytes": (name, data, "image/jpeg")}
        answer = await self.call(api.PHOTOBANK_UPLOAD, {"file_name": name}, files=files)
        try:
            return Image(str(answer["file_id"]), str(answer["photobank_url"]))
        except KeyError as missing:
            raise RetriableError(
                f"photobank.upload answered without {missing}", account=self.account.name
            ) from None


def _publish(listing: Listing, xml: str, product_id: str | None = None) -> dict[str, str]:
    request: dict[str, str] = {
        "cat_id": str(listing.content["category_id"]),
        "language": api.LANGUAGE,
    }
    if product_id is not None:
        request["product_id"] = product_id
    request["xml"] = xml
    return {"param_product_top_publish_request": _json(request)}


def _display(product_id: str, *, on: bool) -> dict[str, str]:
    request = {"product_id": product_id, "xml": display_xml(product_id, on)}
    return {"param_product_top_publish_request": _json(request)}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_client(account: Account, **kwargs: Any) -> AlibabaClient:
    """The registry's client factory (`tokens=`, `limiter=`, `http=`, `policy=`)."""
    return AlibabaClient(account, **kwargs)
