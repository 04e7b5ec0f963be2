"""Postmart partner-API client: HMAC-SHA256 signed requests under /api/v1/.

Everything protocol-specific about Postmart is in this module (and signing.py), so a real
partner specification replaces only these (design.md §5).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx

from connectors.base import ChangedFields, ItemResult, Listing, RemoteListing
from connectors.errors import (
    ItemRejected,
    MarketplaceError,
    NotFoundError,
)
from connectors.http import HttpClient, RetryPolicy, answer_json, listing_json
from connectors.postmart import rules
from connectors.postmart.mapping import create_payload
from connectors.postmart.signing import sign
from connectors.ratelimit import RateLimiter
from sync.settings import Account

API = "/api/v1"
CLOCK_SKEW_CODE = "TIMESTAMP_OUT_OF_WINDOW"


class PostmartClient(HttpClient):
    """Async client for one Postmart seller account (credentials: api_key, api_secret)."""

    marketplace = "postmart"

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(account, http=http, limiter=limiter, policy=policy)
        self.clock = clock
        # Seconds to add to our clock, learnt from the server when it refuses our timestamp.
        self.clock_offset = 0.0
        self._server_time: float | None = None

    # -- hooks ------------------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Sign the request: X-Api-Key, X-Timestamp, X-Signature (fresh on every attempt)."""
        timestamp = str(int(self.clock() + self.clock_offset))
        request.headers["X-Api-Key"] = self.account.secret("api_key")
        request.headers["X-Timestamp"] = timestamp
        request.headers["X-Signature"] = sign(
            self.account.secret("api_secret"),
            request.method,
            request.url.path,
            request.url.params.multi_items() if request.url.query else (),
            timestamp,
            request.content,
        )

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """The base classification, plus Postmart's machine code on the error."""
        error = super().classify(response)
        if error is None:
            return None
        body = _json_object(response)
        error.code = str(body["code"]) if body.get("code") else None
        # Only the refusal just received may justify a clock correction (see refresh_auth).
        self._server_time = None
        if error.code == CLOCK_SKEW_CODE and isinstance(body.get("server_time"), int | float):
            self._server_time = float(body["server_time"])
        return error

    def error_message(self, response: httpx.Response) -> str:
        """Postmart's own `message` (it already lists each rejected field)."""
        body = _json_object(response)
        if body.get("message"):
            return str(body["message"])[:500]
        return super().error_message(response)

    async def refresh_auth(self) -> bool:
        """After a clock-skew refusal, adopt the server's clock and allow one retry."""
        if self._server_time is None:
            return False
        self.clock_offset = self._server_time - self.clock()
        self._server_time = None
        return True

    # -- reads ------------------------------------------------------------------------------
    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """GET /products/lookup?seller_sku=… (404 NOT_FOUND means no such listing)."""
        try:
            response = await self.request(
                "GET", f"{API}/products/lookup", params={"seller_sku": sku}
            )
        except NotFoundError as error:
            if error.code == "NOT_FOUND":
                return None
            raise  # a 404 without Postmart's envelope: wrong base URL, not a missing SKU
        return remote_listing(answer_json(response)["data"])

    async def get(self, remote_id: str) -> RemoteListing:
        """GET /products/{id}."""
        response = await self.request("GET", f"{API}/products/{remote_id}")
        return remote_listing(answer_json(response)["data"])

    async def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """Every listing of the account, following `next_cursor` until it is null."""
        params: dict[str, str | int] = {"limit": max(1, min(page_size, 100))}
        while True:
            body = answer_json(await self.request("GET", f"{API}/products", params=params))
            for item in body["data"]:
                yield remote_listing(item)
            if not body.get("next_cursor"):
                return
            params["cursor"] = body["next_cursor"]

    # -- writes -----------------------------------------------------------------------------
    async def create(self, listing: Listing) -> str:
        """POST /products; one attempt only (create_once looks the SKU up before retrying)."""
        response = await self.request("POST", f"{API}/products", retry=False, **_body(listing))
        return str(answer_json(response)["data"]["id"])

    async def update(self, remote_id: str, listing: Listing) -> None:
        """PUT /products/{id}: content, price and stock replaced (idempotent, so retried)."""
        await self.request("PUT", f"{API}/products/{remote_id}", **_body(listing))

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """PATCH /products/{id}/price."""
        await self.request(
            "PATCH", f"{API}/products/{remote_id}/price", json={"price": listing.price}
        )

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """PATCH /products/{id}/inventory."""
        await self.request(
            "PATCH", f"{API}/products/{remote_id}/inventory", json={"stock": listing.stock}
        )

    async def delist(self, remote_id: str, sku: str) -> None:
        """PATCH /products/{id}/status → unpublished (kept on Postmart, can be relisted)."""
        await self._set_status(remote_id, "unpublished")

    async def relist(self, remote_id: str, sku: str) -> None:
        """PATCH /products/{id}/status → published."""
        await self._set_status(remote_id, "published")

    async def _set_status(self, remote_id: str, status: str) -> None:
        await self.request("PATCH", f"{API}/products/{remote_id}/status", json={"status": status})

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """POST /products/batch-update in chunks of 50; one ItemResult per item, in order.

        A chunk the marketplace rejects as a whole marks each of its items with that error;
        auth and transient failures (after retries) propagate, they concern every item.
        """
        results: list[ItemResult] = []
        for start in range(0, len(items), rules.BATCH_MAX):
            results += await self._batch(items[start : start + rules.BATCH_MAX])
        return results

    async def _batch(self, chunk: Sequence[tuple[str, Listing]]) -> list[ItemResult]:
        payload = {
            "items": [
                {"product_id": remote_id, "price": listing.price, "stock": listing.stock}
                for remote_id, listing in chunk
            ]
        }
        try:
            response = await self.request("POST", f"{API}/products/batch-update", json=payload)
        except ItemRejected as error:
            return [ItemResult(listing.sku, error) for _, listing in chunk]
        answers = answer_json(response)["results"]
        return [
            ItemResult(listing.sku, None if answer.get("ok") else self._item_error(answer))
            for (_, listing), answer in zip(chunk, answers, strict=True)
        ]

    def _item_error(self, answer: dict[str, Any]) -> ItemRejected:
        kind = NotFoundError if answer.get("code") == "NOT_FOUND" else ItemRejected
        return kind(
            str(answer.get("message") or "rejected"),
            account=self.account.name,
            code=str(answer.get("code") or "") or None,
        )


def _body(listing: Listing) -> dict[str, Any]:
    """`create_payload(listing)` as request arguments, its content encoded once."""
    tail = {"price": listing.price, "stock": listing.stock}
    return listing_json(listing, create_payload, {"seller_sku": listing.sku}, tail)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = answer_json(response)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def remote_listing(item: dict[str, Any]) -> RemoteListing:
    """A Postmart product object -> RemoteListing (content = exactly the content fields)."""
    return RemoteListing(
        remote_id=str(item["id"]),
        sku=str(item["seller_sku"]),
        active=item["status"] == "published",
        price=int(item["price"]),
        stock=int(item["stock"]),
        content={key: item.get(key) for key in rules.CONTENT_FIELDS},
    )
