"""Postmart sandbox: a real HTTP server speaking our Postmart partner-API contract.

It checks the same signature as the client sends (signing.py) and the same listing rules as
the mapping (rules.py); errors are Postmart's envelope `{"code", "message"}`. Sandbox
credentials are derived from the seller name: api_key `pm-<seller>`, api_secret
`postmart-sandbox-secret-<seller>`; the seller's id is `seller-<seller>`.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from connectors.postmart import rules
from connectors.postmart.openapi import OPENAPI
from connectors.postmart.signing import MAX_SKEW_SECONDS, sign, signature_matches
from connectors.sandbox import (
    ListingStore,
    SandboxConfig,
    SandboxHooks,
    SellerStore,
    build_sandbox_app,
)

API = "/api/v1"
VIETNAM = timezone(timedelta(hours=7))
_SELLER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# The sandbox's category tree (ids are ours; the real Postmart tree is not public).
SANDBOX_CATEGORIES = {
    "1000": "Đặc sản OCOP",
    "1100": "Thực phẩm - Nông sản khô",
    "1200": "Đồ uống - Trà, cà phê",
    "1300": "Dược liệu",
    "1400": "Thủ công mỹ nghệ",
    "1500": "Sinh vật cảnh",
    "1600": "Du lịch cộng đồng",
}

# A product handler: (request, the authenticated seller's store, parsed JSON body or None).
Handler = Callable[[Request, SellerStore, Any], Response]


def sandbox_credentials(seller: str) -> dict[str, str]:
    """The sandbox's credentials for seller `seller` (deterministic, documented)."""
    return {"api_key": f"pm-{seller}", "api_secret": f"postmart-sandbox-secret-{seller}"}


def seller_id(seller: str) -> str:
    """The sandbox's id for seller `seller` (contains the name, as the contract suite needs)."""
    return f"seller-{seller}"


def _seller_from_key(api_key: str) -> str | None:
    name = api_key.removeprefix("pm-")
    return name if api_key.startswith("pm-") and _SELLER_NAME.match(name) else None


def error(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Postmart's error envelope."""
    return JSONResponse({"code": code, "message": message, **extra}, status, headers=headers)


def throttle_response(wait: float) -> Response:
    """HTTP 429 RATE_LIMITED with Retry-After in whole seconds (at least 1)."""
    seconds = max(1, math.ceil(wait))
    return error(
        429,
        "RATE_LIMITED",
        f"Too many requests for this seller; retry after {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def error_response(status: int) -> Response:
    """5xx answers: INTERNAL (500) or UNAVAILABLE (503)."""
    if status == 503:
        return error(503, "UNAVAILABLE", "Service temporarily unavailable, please retry")
    return error(status, "INTERNAL", "Internal error, please retry")


def seller_of(scope: Scope) -> str | None:
    """The seller a request claims to be (from X-Api-Key alone), for per-seller rate limits."""
    for name, value in scope.get("headers", []):
        if name == b"x-api-key":
            seller = _seller_from_key(value.decode("latin-1"))
            return seller_id(seller) if seller else None
    return None


def _not_found(product_id: str) -> JSONResponse:
    return error(404, "NOT_FOUND", f"Product {product_id} not found")


def _invalid(problems: list[rules.Problem]) -> JSONResponse:
    return error(
        400,
        "INVALID_PRODUCT",
        "Invalid product: " + rules.describe(problems),
        details=[{"field": field, "message": message} for field, message in problems],
    )


def _item_failure(product_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"product_id": product_id, "ok": False, "code": code, "message": message}


class PostmartSandbox:
    """The routes of the Postmart partner API over a ListingStore."""

    def __init__(self, store: ListingStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    # -- shared plumbing --------------------------------------------------------------------
    def _verify(self, request: Request, body: bytes) -> str | Response:
        """The seller id of a correctly signed, fresh request, or the 401 answer."""
        key = request.headers.get("x-api-key")
        timestamp = request.headers.get("x-timestamp")
        signature = request.headers.get("x-signature")
        if not (key and timestamp and signature):
            return error(401, "UNAUTHORIZED", "Missing X-Api-Key, X-Timestamp or X-Signature")
        seller = _seller_from_key(key)
        if seller is None:
            return error(401, "UNAUTHORIZED", "Unknown API key")  # never echo the key
        if not timestamp.isdigit():
            return error(401, "UNAUTHORIZED", "X-Timestamp must be Unix time in seconds")
        now = int(self.clock())
        skew = abs(now - int(timestamp))
        if skew > MAX_SKEW_SECONDS:
            return error(
                401,
                "TIMESTAMP_OUT_OF_WINDOW",
                f"X-Timestamp {timestamp} is {skew} s away from server time {now}; "
                f"at most {MAX_SKEW_SECONDS} s is allowed (check the client clock)",
                server_time=now,
            )
        secret = sandbox_credentials(seller)["api_secret"]
        query = request.query_params.multi_items()
        expected = sign(secret, request.method, request.scope["path"], query, timestamp, body)
        if not signature_matches(expected, signature):
            return error(
                401,
                "UNAUTHORIZED",
                "Signature mismatch: sign METHOD, canonical path, X-Timestamp and the SHA-256 "
                "of the exact body with the API secret",
            )
        return seller_id(seller)

    def _endpoint(self, handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            verdict = self._verify(request, raw)
            if isinstance(verdict, Response):
                return verdict
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                return error(400, "INVALID_REQUEST", "Body is not valid JSON")
            return handler(request, self.store.seller(verdict), payload)

        return endpoint

    def _problems(self, body: dict[str, Any]) -> list[rules.Problem]:
        # The shared rules, plus what only the server knows: its category tree.
        problems = rules.check_product(body, datetime.fromtimestamp(self.clock(), VIETNAM).date())
        category = body.get("category_id")
        if isinstance(category, str) and category.strip() and category not in SANDBOX_CATEGORIES:
            problems.append(
                ("category_id", f"unknown category {category}; see GET {API}/categories")
            )
        return problems

    def _now(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")

    @staticmethod
    def _view(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "seller_sku": item["sku"],
            "status": "published" if item["active"] else "unpublished",
            "price": item["price"],
            "stock": item["stock"],
            **item["fields"],
            "created_at": item["created_at"],
            "updated_at": item["updated_at"],
        }

    def _write(self, item: dict[str, Any], **changes: Any) -> None:
        item.update(changes, updated_at=self._now())
        self.store.counters["writes"] += 1

    # -- product routes ---------------------------------------------------------------------
    def create_product(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """POST /products."""
        if not isinstance(body, dict):
            return error(400, "INVALID_REQUEST", "Body must be a JSON object")
        problems = self._problems(body)
        if problems:
            return _invalid(problems)
        product_id = self.store.new_id()
        now = self._now()
        record = {
            "active": True,
            "price": body["price"],
            "stock": body["stock"],
            "fields": {key: body.get(key) for key in rules.CONTENT_FIELDS},
            "created_at": now,
            "updated_at": now,
        }
        seller.create(product_id, body["seller_sku"], record)
        self.store.counters["writes"] += 1
        return JSONResponse({"data": self._view(seller.listings[product_id])}, 201)

    def list_products(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """GET /products?limit=&cursor= (cursor-paged, oldest first)."""
        limit_text = request.query_params.get("limit", "50")
        cursor = request.query_params.get("cursor")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
            return error(400, "INVALID_REQUEST", "limit must be a whole number from 1 to 100")
        if cursor is not None and not cursor.isdigit():
            return error(400, "INVALID_CURSOR", f"Cursor {cursor!r} is not one this API gave")
        after = int(cursor) if cursor else -1
        # Ids grow with creation, so "after the last id seen" is stable while listings are
        # added during paging (offsets would skip or repeat items).
        rest = [item for item in seller.listings.values() if int(item["id"]) > after]
        page = rest[: int(limit_text)]
        next_cursor = page[-1]["id"] if len(rest) > len(page) else None
        return JSONResponse({"data": [self._view(i) for i in page], "next_cursor": next_cursor})

    def lookup_product(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """GET /products/lookup?seller_sku=."""
        sku = request.query_params.get("seller_sku")
        if not sku:
            return error(400, "INVALID_REQUEST", "seller_sku is required")
        item = seller.find_sku(sku)
        if item is None:
            return error(404, "NOT_FOUND", f"No product with seller_sku {sku}")
        return JSONResponse({"data": self._view(item)})

    def get_product(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """GET /products/{product_id}."""
        product_id = request.path_params["product_id"]
        item = seller.listings.get(product_id)
        return JSONResponse({"data": self._view(item)}) if item else _not_found(product_id)

    def replace_product(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """PUT /products/{product_id}: the full body, as for a create."""
        product_id = request.path_params["product_id"]
        item = seller.listings.get(product_id)
        if item is None:
            return _not_found(product_id)
        if not isinstance(body, dict):
            return error(400, "INVALID_REQUEST", "Body must be a JSON object")
        problems = self._problems(body)
        if body.get("seller_sku") not in (None, item["sku"]):
            problems.append(("seller_sku", f"cannot change (product has {item['sku']})"))
        if problems:
            return _invalid(problems)
        fields = {key: body.get(key) for key in rules.CONTENT_FIELDS}
        self._write(item, fields=fields, price=body["price"], stock=body["stock"])
        return JSONResponse({"data": self._view(item)})

    def _patch(self, request: Request, seller: SellerStore, body: Any, key: str) -> Response:
        product_id = request.path_params["product_id"]
        item = seller.listings.get(product_id)
        if item is None:
            return _not_found(product_id)
        value = body.get(key) if isinstance(body, dict) else None
        check = {"price": rules.check_price, "stock": rules.check_stock}[key]
        problems = check(value)
        if problems:
            return _invalid(problems)
        self._write(item, **{key: value})
        return JSONResponse({"data": self._view(item)})

    def patch_price(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """PATCH /products/{product_id}/price {"price": int VND}."""
        return self._patch(request, seller, body, "price")

    def patch_inventory(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """PATCH /products/{product_id}/inventory {"stock": int}."""
        return self._patch(request, seller, body, "stock")

    def patch_status(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """PATCH /products/{product_id}/status {"status": "published" | "unpublished"}."""
        product_id = request.path_params["product_id"]
        item = seller.listings.get(product_id)
        if item is None:
            return _not_found(product_id)
        status = body.get("status") if isinstance(body, dict) else None
        if status not in ("published", "unpublished"):
            return error(400, "INVALID_REQUEST", "status must be 'published' or 'unpublished'")
        self._write(item, active=status == "published")
        return JSONResponse({"data": self._view(item)})

    def batch_update(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """POST /products/batch-update: ≤ 50 price/stock changes, one result per item."""
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return error(400, "INVALID_REQUEST", "items must be a non-empty list")
        if len(items) > rules.BATCH_MAX:
            return error(
                400,
                "BATCH_TOO_LARGE",
                f"At most {rules.BATCH_MAX} items per call (got {len(items)})",
            )
        results = [self._batch_item(seller, entry) for entry in items]
        if any(result["ok"] for result in results):
            self.store.counters["writes"] += 1
        failed = sum(not result["ok"] for result in results)
        return JSONResponse(
            {"results": results, "succeeded": len(results) - failed, "failed": failed}
        )

    def _batch_item(self, seller: SellerStore, entry: Any) -> dict[str, Any]:
        if not isinstance(entry, dict):
            return _item_failure(None, "INVALID_REQUEST", "item must be an object")
        product_id = str(entry.get("product_id"))
        item = seller.listings.get(product_id)
        if item is None:
            return _item_failure(product_id, "NOT_FOUND", f"Product {product_id} not found")
        changes = {key: entry[key] for key in ("price", "stock") if key in entry}
        problems: list[rules.Problem] = [] if changes else [("item", "give price, stock or both")]
        problems += rules.check_price(changes["price"]) if "price" in changes else []
        problems += rules.check_stock(changes["stock"]) if "stock" in changes else []
        if problems:
            message = "Invalid product: " + rules.describe(problems)
            return _item_failure(product_id, "INVALID_PRODUCT", message)
        item.update(changes, updated_at=self._now())
        return {"product_id": product_id, "ok": True}

    def list_categories(self, request: Request, seller: SellerStore, body: Any) -> Response:
        """GET /categories: the category ids a product's category_id may take."""
        data = [{"id": key, "name": name} for key, name in SANDBOX_CATEGORIES.items()]
        return JSONResponse({"data": data})

    def routes(self) -> list[BaseRoute]:
        """Every API route (specific paths before /products/{product_id})."""
        e = self._endpoint
        one = API + "/products/{product_id}"
        return [
            Route(API + "/categories", e(self.list_categories), methods=["GET"]),
            Route(API + "/products", e(self.list_products), methods=["GET"]),
            Route(API + "/products", e(self.create_product), methods=["POST"]),
            Route(API + "/products/lookup", e(self.lookup_product), methods=["GET"]),
            Route(API + "/products/batch-update", e(self.batch_update), methods=["POST"]),
            Route(one, e(self.get_product), methods=["GET"]),
            Route(one, e(self.replace_product), methods=["PUT"]),
            Route(one + "/price", e(self.patch_price), methods=["PATCH"]),
            Route(one + "/inventory", e(self.patch_inventory), methods=["PATCH"]),
            Route(one + "/status", e(self.patch_status), methods=["PATCH"]),
        ]


def create_app(config: SandboxConfig, clock: Callable[[], float] = time.time) -> Starlette:
    """The Postmart sandbox app (shared rate limits, faults and /_sandbox/* included)."""
    store = ListingStore(config.persist)
    hooks = SandboxHooks(seller_of, throttle_response, error_response)
    api = PostmartSandbox(store, clock)
    return build_sandbox_app(api.routes(), store=store, config=config, hooks=hooks, openapi=OPENAPI)
