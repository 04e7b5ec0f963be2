"""Voso client: our partner-API contract over the shared HTTP layer.

Sessions: the client logs in lazily (`POST /v2/user/Login`), caches the token until shortly
before `expires_in`, and sends it in the `Token` header. A token the server refuses is
renewed once (`refresh_auth`); refused credentials are an AuthError at once. This module is
the only one that knows the wire protocol, so a real partner spec replaces only this file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base import ChangedFields, ItemResult, Listing, RemoteListing
from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
)
from connectors.http import HttpClient, RetryPolicy, answer_json, listing_json
from connectors.ratelimit import RateLimiter
from connectors.voso.rules import BATCH_MAX, CONTENT_FIELDS, PAGE_SIZE_MAX
from sync.settings import Account, ConfigError

LOGIN = "/v2/user/Login"
PRODUCTS = "/v2/seller/products"

# Set while this task is logging in: a refused login must not trigger another login.
_LOGGING_IN: ContextVar[bool] = ContextVar("voso_logging_in", default=False)


def _expiry_margin(expires_in: float) -> float:
    # Renew a little early so a call never leaves with a token about to lapse in flight.
    return min(30.0, expires_in * 0.1)


class VosoClient(HttpClient):
    """MarketplaceClient for one Voso seller account (credentials: username, password)."""

    marketplace = "voso"

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(account, http=http, limiter=limiter, policy=policy)
        self._token: str | None = None
        self._token_expires = 0.0  # time.monotonic() after which we log in again
        self._refused: set[str] = set()  # tokens the server answered 401 to
        self._login_lock = asyncio.Lock()  # one login at a time, shared by concurrent calls

    # -- session ----------------------------------------------------------------------------
    def _token_fresh(self) -> bool:
        return self._token is not None and time.monotonic() < self._token_expires

    async def _ensure_token(self) -> None:
        if self._token_fresh():
            return
        async with self._login_lock:
            if not self._token_fresh():  # another call may have logged in meanwhile
                await self._login()

    async def _login(self) -> None:
        try:
            credentials = {
                "USERNAME": self.account.secret("username"),
                "PASSWORD": self.account.secret("password"),
            }
        except ConfigError as exc:
            raise AuthError(str(exc), account=self.account.name) from None
        marker = _LOGGING_IN.set(True)
        try:
            response = await self.request("POST", LOGIN, json=credentials)
        finally:
            _LOGGING_IN.reset(marker)
        data = self._data(response)
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError("login answer carries no token", account=self.account.name)
        expires_in = float(data.get("expires_in") or 0)
        self._token = token
        self._token_expires = time.monotonic() + expires_in - _expiry_margin(expires_in)

    async def prepare(self, request: httpx.Request) -> None:
        """Attach the session token (the login call itself goes without)."""
        if self._token and not request.url.path.endswith(LOGIN):
            request.headers["Token"] = self._token

    async def refresh_auth(self) -> bool:
        """Log in again after the server refused our token; never after refused credentials."""
        if _LOGGING_IN.get():
            return False
        async with self._login_lock:
            # Concurrent calls refused with the same token share one renewal.
            if self._token is None or self._token in self._refused:
                await self._login()
        return True

    # -- answers ----------------------------------------------------------------------------
    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """The shared HTTP-status classification; also remember which token was refused."""
        error = super().classify(response)
        if isinstance(error, AuthError):
            token = response.request.headers.get("Token")
            if token:
                self._refused.add(token)
        return error

    def error_message(self, response: httpx.Response) -> str:
        """The `message` of Voso's `{"error": true, "message": ...}` envelope."""
        try:
            body = answer_json(response)
        except ValueError:
            return response.text[:200]
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])[:500]
        return ""

    def _data(self, response: httpx.Response) -> Any:
        """`data` of a success envelope; an `error: true` body is a rejection even on 2xx."""
        try:
            body = answer_json(response)
        except ValueError:
            raise RetriableError(
                "unreadable answer (not JSON)",
                account=self.account.name,
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise RetriableError("unexpected answer shape", account=self.account.name)
        if body.get("error"):
            message = str(body.get("message") or "rejected")
            raise ItemRejected(message, account=self.account.name, status=response.status_code)
        return body.get("data")

    async def _call(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> Any:
        await self._ensure_token()
        return self._data(await self.request(method, path, retry=retry, **kwargs))

    def _remote(self, item: dict[str, Any]) -> RemoteListing:
        return RemoteListing(
            remote_id=str(item["id"]),
            sku=str(item["sku"]),
            active=item.get("status") == "active",
            price=int(item["price"]),
            stock=int(item["stock"]),
            content={key: item[key] for key in CONTENT_FIELDS if key in item},
        )

    @staticmethod
    def _path(remote_id: str, field: str = "") -> str:
        return f"{PRODUCTS}/{quote(remote_id, safe='')}" + (f"/{field}" if field else "")

    @staticmethod
    def _payload(listing: Listing) -> dict[str, Any]:
        return {
            "sku": listing.sku,
            "price": listing.price,
            "stock": listing.stock,
            **listing.content,
        }

    @staticmethod
    def _body(listing: Listing) -> dict[str, Any]:
        """`_payload` as request arguments, its content encoded once (`listing_json`)."""
        head = {"sku": listing.sku, "price": listing.price, "stock": listing.stock}
        return listing_json(listing, VosoClient._payload, head)

    # -- MarketplaceClient ------------------------------------------------------------------
    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """The listing with seller SKU `sku` (the oldest if Voso holds several), or None."""
        data = await self._call("GET", PRODUCTS, params={"sku": sku, "page": 1, "size": 1})
        items = data.get("items") or []
        return self._remote(items[0]) if items else None

    async def create(self, listing: Listing) -> str:
        """Create the listing (one attempt: idempotency.create_once handles retries)."""
        data = await self._call("POST", PRODUCTS, retry=False, **self._body(listing))
        return str(data["id"])

    async def update(self, remote_id: str, listing: Listing) -> None:
        """Full update: content, price and stock."""
        await self._call("PUT", self._path(remote_id), **self._body(listing))

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """Price only."""
        await self._call("PATCH", self._path(remote_id, "price"), json={"price": listing.price})

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """Stock only."""
        await self._call("PATCH", self._path(remote_id, "stock"), json={"stock": listing.stock})

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """Price and stock through the batch endpoint, 50 items a call; one result per item."""
        results: list[ItemResult] = []
        for start in range(0, len(items), BATCH_MAX):
            results.extend(await self._batch(items[start : start + BATCH_MAX]))
        return results

    async def _batch(self, chunk: Sequence[tuple[str, Listing]]) -> list[ItemResult]:
        body = {
            "items": [
                {"id": remote_id, "price": listing.price, "stock": listing.stock}
                for remote_id, listing in chunk
            ]
        }
        try:
            data = await self._call("POST", f"{PRODUCTS}/batch-price-stock", json=body)
        except AuthError:
            raise  # fatal for the whole account, not for these items
        except MarketplaceError as failed:
            return [ItemResult(listing.sku, failed) for _, listing in chunk]
        answers = data.get("results") if isinstance(data, dict) else None
        if not isinstance(answers, list) or len(answers) != len(chunk):
            error = RetriableError(
                "batch answer does not list every item", account=self.account.name
            )
            return [ItemResult(listing.sku, error) for _, listing in chunk]
        return [
            ItemResult(listing.sku, self._item_error(answer))
            for (_, listing), answer in zip(chunk, answers, strict=True)
        ]

    def _item_error(self, answer: Any) -> MarketplaceError | None:
        if isinstance(answer, dict) and answer.get("error") is False:
            return None
        answer = answer if isinstance(answer, dict) else {}
        status = answer.get("status") if isinstance(answer.get("status"), int) else None
        message = str(answer.get("message") or "rejected")
        kind: type[MarketplaceError] = NotFoundError if status == 404 else ItemRejected
        if status is not None and (status >= 500 or status == 429):
            kind = RetriableError
        return kind(message, account=self.account.name, status=status)

    async def delist(self, remote_id: str, sku: str) -> None:
        """Set the listing inactive (kept on Voso, can be relisted)."""
        await self._call("PATCH", self._path(remote_id, "status"), json={"status": "inactive"})

    async def relist(self, remote_id: str, sku: str) -> None:
        """Set the listing active again."""
        await self._call("PATCH", self._path(remote_id, "status"), json={"status": "active"})

    async def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """Every listing of the account, page by page (Voso allows at most 100 a page)."""
        size = max(1, min(page_size, PAGE_SIZE_MAX))
        page = 1
        while True:
            data = await self._call("GET", PRODUCTS, params={"page": page, "size": size})
            items = data.get("items") or []
            for item in items:
                yield self._remote(item)
            if not items or page * size >= int(data.get("total") or 0):
                return
            page += 1
