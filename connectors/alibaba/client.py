"""Alibaba.com (ICBU) client over the TOP protocol.

Every call is an HTTP POST to one gateway path: system parameters in the query string
(the gateway and our sandbox identify the seller from them without reading the body),
business parameters in the form body, one signature over both. Errors come as HTTP 200
TOP envelopes and are classified from the body, not the status.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qsl

import httpx

from connectors.alibaba import top
from connectors.alibaba.photobank import Photobank
from connectors.alibaba.signing import DEFAULT_SIGN_METHOD, SIGN_METHODS, sign, timestamp
from connectors.base import ItemResult, Listing, RemoteListing
from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
    ThrottledError,
)
from connectors.http import HttpClient, parse_retry_after
from sync.settings import Account, ConfigError

# Wire fields that are not listing content (identity, price/stock fast paths, status).
_NOT_CONTENT = frozenset(
    {"product_id", "sku_code", "price", "stock", "display", "main_image", "gmt_modified"}
)
_FORM = "application/x-www-form-urlencoded"


class AlibabaClient(HttpClient):
    """One seller account on Alibaba.com (or its sandbox)."""

    marketplace = "alibaba"

    def __init__(self, account: Account, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        self.sign_method = str(account.options.get("sign_method", DEFAULT_SIGN_METHOD))
        if self.sign_method not in SIGN_METHODS:
            raise ConfigError(
                f"account {account.name}: options.sign_method must be one of {SIGN_METHODS}"
            )
        # Our sandbox takes `image_url` instead of the image bytes (ours, for tests without
        # an image server); the real photobank needs the bytes, so fetching is the default.
        self.fetch_images = bool(account.options.get("photobank_fetch", True))
        self.batch_field = bool(account.options.get("batch_update_field", False))
        self.photobank = Photobank(account, self.call, self._upload)

    # -- protocol hooks ---------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Stamp and sign: fresh timestamp per attempt, signature over query + form body."""
        query = dict(request.url.params)
        query["timestamp"] = timestamp()
        query.pop("sign", None)
        signed = dict(query)
        if request.headers.get("content-type", "").startswith(_FORM):
            # Multipart bodies carry only the file, which TOP leaves out of the signature.
            signed.update(parse_qsl(request.content.decode(), keep_blank_values=True))
        query["sign"] = sign(signed, self.account.secret("app_secret"), self.sign_method)
        request.url = request.url.copy_with(params=query)

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """TOP envelope -> taxonomy: throttle (code 7), auth codes, isv.* rejections."""
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error_response") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            if response.status_code >= 400:
                return super().classify(response)
            method = response.request.url.params.get("method", "")
            if not isinstance(body, dict) or top.response_key(method) not in body:
                return RetriableError(
                    f"unreadable answer to {method or 'a call'}", account=self.account.name
                )
            return None
        return self._top_error(error, response)

    def error_message(self, response: httpx.Response) -> str:
        """The TOP `msg: sub_msg` of an error body, else the base class's guess."""
        try:
            error = response.json().get("error_response")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, dict):
            return _top_message(error)
        return super().error_message(response)

    def _top_error(self, error: dict[str, Any], response: httpx.Response) -> MarketplaceError:
        code = _int(error.get("code"))
        sub_code = str(error.get("sub_code") or "")
        kw: dict[str, Any] = {
            "account": self.account.name,
            "status": response.status_code if response.status_code != 200 else None,
            "code": sub_code or str(code),
        }
        message = _top_message(error)
        if code == top.CODE_THROTTLED or sub_code == top.THROTTLE_SUB_CODE:
            wait = top.ban_seconds(str(error.get("sub_msg") or ""))
            wait = (
                wait if wait is not None else parse_retry_after(response.headers.get("Retry-After"))
            )
            return ThrottledError(message, retry_after=wait, **kw)
        if code in top.AUTH_CODES:
            return AuthError(message, **kw)
        if sub_code.startswith("isv."):
            return _business_error(sub_code, message, kw)
        if code in top.MALFORMED_CODES:
            return ItemRejected(message, **kw)
        return RetriableError(message, **kw)  # isp.* and code 10/15: the platform's trouble

    # -- calls ------------------------------------------------------------------------------
    async def call(
        self,
        method: str,
        params: dict[str, str],
        *,
        retry: bool = True,
        files: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One TOP call; returns the body under `<method>_response`."""
        system = {
            "method": method,
            "app_key": self.account.secret("app_key"),
            "session": self.account.secret("session"),
            "format": "json",
            "v": top.API_VERSION,
            "sign_method": self.sign_method,
        }
        if files:
            # File uploads are multipart: every text parameter goes to the (signed) query.
            kwargs: dict[str, Any] = {"params": {**system, **params}, "files": files}
        else:
            kwargs = {"params": system, "data": params}
        response = await self.request("POST", top.GATEWAY_PATH, retry=retry, **kwargs)
        payload: dict[str, Any] = response.json()[top.response_key(method)]
        return payload

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """Our `alibaba.icbu.product.get` by `sku_code`; None when no product has it."""
        try:
            data = await self.call(top.PRODUCT_GET, {"sku_code": sku})
        except NotFoundError:
            return None
        return await self._remote(data["product"])

    async def create(self, listing: Listing) -> str:
        """Upload missing images, then `product.add` once (never retried here)."""
        wire = await self._wire(listing)
        data = await self.call(top.PRODUCT_ADD, {"product": _json(wire)}, retry=False)
        return str(data["product_id"])

    async def update(self, remote_id: str, listing: Listing) -> None:
        """`product.update`: full replacement, so a retry repeats the same state."""
        wire = await self._wire(listing)
        await self.call(top.PRODUCT_UPDATE, {"product_id": remote_id, "product": _json(wire)})

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """`product.update.field` with the USD price only."""
        await self._update_fields(remote_id, {"price": str(listing.price)})

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """`product.update.field` with the stock only."""
        await self._update_fields(remote_id, {"stock": listing.stock})

    async def update_prices_stocks(self, items: Sequence[tuple[str, Listing]]) -> list[ItemResult]:
        """One `update.field` per item (ICBU has no batch price call), or with the account
        option `batch_update_field`, our sandbox's batch method in chunks of 50."""
        if self.batch_field:
            results: list[ItemResult] = []
            for start in range(0, len(items), top.BATCH_FIELD_MAX):
                results += await self._batch_fields(items[start : start + top.BATCH_FIELD_MAX])
            return results
        out: list[ItemResult] = []
        for remote_id, listing in items:
            try:
                await self._update_fields(
                    remote_id, {"price": str(listing.price), "stock": listing.stock}
                )
            except AuthError:
                raise  # the whole account is refused, not this item
            except MarketplaceError as error:
                out.append(ItemResult(listing.sku, error))
            else:
                out.append(ItemResult(listing.sku))
        return out

    async def delist(self, remote_id: str, sku: str) -> None:
        """`batch.update.display` off: the product stays, hidden from buyers."""
        await self._display(remote_id, "off")

    async def relist(self, remote_id: str, sku: str) -> None:
        """`batch.update.display` on."""
        await self._display(remote_id, "on")

    async def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """Our `alibaba.icbu.product.list`, page by page (at most 50 per page)."""
        size = max(1, min(page_size, top.LIST_PAGE_MAX))
        page = 1
        while True:
            data = await self.call(
                top.PRODUCT_LIST, {"current_page": str(page), "page_size": str(size)}
            )
            products = data.get("products") or []
            for product in products:
                yield await self._remote(product)
            if not products or page * size >= int(data.get("total_item", 0)):
                return
            page += 1

    # -- helpers ----------------------------------------------------------------------------
    async def _update_fields(self, remote_id: str, fields: dict[str, Any]) -> None:
        await self.call(
            top.PRODUCT_UPDATE_FIELD, {"product_id": remote_id, "update_fields": _json(fields)}
        )

    async def _batch_fields(self, items: Sequence[tuple[str, Listing]]) -> list[ItemResult]:
        updates = [
            {"product_id": rid, "price": str(listing.price), "stock": listing.stock}
            for rid, listing in items
        ]
        data = await self.call(top.PRODUCT_BATCH_FIELD, {"updates": _json(updates)})
        results = data.get("results") or []
        return [
            ItemResult(listing.sku, self._result_error(result))
            for (_, listing), result in zip(items, results, strict=True)
        ]

    async def _display(self, remote_id: str, display: str) -> None:
        data = await self.call(top.PRODUCT_DISPLAY, {"product_ids": remote_id, "display": display})
        mine = [r for r in data.get("results") or [] if str(r.get("product_id")) == remote_id]
        if not mine:
            raise RetriableError(
                f"display {display}: no result for product {remote_id}", account=self.account.name
            )
        error = self._result_error(mine[0])
        if error is not None:
            raise error

    def _result_error(self, result: dict[str, Any]) -> MarketplaceError | None:
        """The error of one item of a batch answer, or None when it succeeded."""
        if result.get("success"):
            return None
        sub_code = str(result.get("sub_code") or top.INVALID_PARAMETER)
        kw = {"account": self.account.name, "code": sub_code}
        return _business_error(sub_code, str(result.get("sub_msg") or "rejected"), kw)

    async def _wire(self, listing: Listing) -> dict[str, Any]:
        """Listing -> ICBU product JSON: content with photobank URLs, SKU, price, stock."""
        content = dict(listing.content)
        names = list(content.pop("image_files", []))
        try:
            urls = await self.photobank.urls(names, listing.images)
        except KeyError as missing:
            raise ItemRejected(
                f"image {missing} is neither in the photobank nor among the listing's images",
                account=self.account.name,
            ) from None
        return {
            **content,
            "main_image": {"images": urls},
            "sku_code": listing.sku,
            "price": str(listing.price),
            "stock": listing.stock,
        }

    async def _remote(self, product: dict[str, Any]) -> RemoteListing:
        """ICBU product JSON -> RemoteListing whose content compares with `Listing.content`."""
        content = {k: v for k, v in product.items() if k not in _NOT_CONTENT}
        urls = list((product.get("main_image") or {}).get("images") or [])
        content["image_files"] = await self.photobank.names(urls)
        return RemoteListing(
            remote_id=str(product["product_id"]),
            sku=str(product["sku_code"]),
            active=product.get("display") == "Y",
            price=str(product["price"]),
            stock=int(product["stock"]),
            content=content,
        )

    async def _upload(self, source: str, name: str) -> str:
        """`photobank.upload` of one image; returns its photobank URL."""
        if not self.fetch_images:
            data = await self.call(top.PHOTOBANK_UPLOAD, {"file_name": name, "image_url": source})
            return str(data["url"])
        try:
            image = await self.http.get(source)  # the image host, not the marketplace
        except httpx.HTTPError as exc:
            raise RetriableError(
                f"cannot download image {source} ({type(exc).__name__})", account=self.account.name
            ) from None
        if image.status_code != 200:
            raise ItemRejected(
                f"image {source} answered HTTP {image.status_code}", account=self.account.name
            )
        kind = image.headers.get("content-type", "application/octet-stream")
        files = {"image_bytes": (name, image.content, kind)}
        data = await self.call(top.PHOTOBANK_UPLOAD, {"file_name": name}, files=files)
        return str(data["url"])


def _business_error(sub_code: str, message: str, kw: dict[str, Any]) -> ItemRejected:
    if sub_code == top.PRODUCT_NOT_EXIST:
        return NotFoundError(message, **kw)
    return ItemRejected(message, **kw)


def _top_message(error: dict[str, Any]) -> str:
    msg, sub_msg = str(error.get("msg") or ""), str(error.get("sub_msg") or "")
    return f"{msg}: {sub_msg}" if msg and sub_msg else (msg or sub_msg or "error")


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_client(account: Account, **kwargs: Any) -> AlibabaClient:
    """The registry's client factory (`limiter=`, `http=`, `policy=` pass through)."""
    return AlibabaClient(account, **kwargs)
