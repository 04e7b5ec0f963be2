"""Voso sandbox: a real HTTP server speaking our Voso partner-API contract.

Viettel Post house style: `POST /v2/user/Login {USERNAME, PASSWORD}` gives a token that
every other call sends in a `Token` header; every answer is `{"status", "error", "message",
"data"}`. Sandbox credentials: username = the seller name, password = `voso-sandbox-<name>`.
Tokens live `config.token_ttl` seconds, checked against the current setting on every call
so a test can make a live token expire.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from math import ceil
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from connectors.sandbox import ListingStore, SandboxConfig, SandboxHooks, SellerStore
from connectors.sandbox import build_sandbox_app as build_app
from connectors.voso.openapi import OPENAPI
from connectors.voso.rules import (
    BATCH_MAX,
    CONTENT_FIELDS,
    PAGE_SIZE_MAX,
    Violation,
    check_content,
    check_price,
    check_stock,
)

PASSWORD_PREFIX = "voso-sandbox-"

# The sandbox's category tree (ids are ours, not Voso's: the real tree comes with the
# partner agreement). A listing must name one of these.
CATEGORIES: dict[str, str] = {
    "1001": "Thực phẩm › Đặc sản vùng miền",
    "1002": "Thực phẩm › Nông sản, rau củ quả",
    "1003": "Đồ uống › Trà, cà phê, rượu",
    "1004": "Sức khỏe › Dược liệu, thảo dược",
    "1005": "Nhà cửa › Thủ công mỹ nghệ",
    "1006": "Cây cảnh, sinh vật cảnh",
    "1007": "Du lịch, dịch vụ",
}

NOT_FOUND = "Không tìm thấy sản phẩm"
Handler = Callable[[Request, str, SellerStore], Awaitable[Response]]


def sandbox_password(seller: str) -> str:
    """The sandbox password of seller `seller` (documented, deterministic)."""
    return PASSWORD_PREFIX + seller


def reply(data: Any, status: int = 200) -> JSONResponse:
    """A success answer in the Viettel Post envelope."""
    return JSONResponse({"status": status, "error": False, "message": "OK", "data": data}, status)


def fail(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer in the Viettel Post envelope."""
    body = {"status": status, "error": True, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def throttle_response(wait: float) -> Response:
    """HTTP 429 with Retry-After (whole seconds, as HTTP has it) and the usual envelope."""
    seconds = max(1, ceil(wait))
    message = f"Bạn gửi quá nhiều yêu cầu, vui lòng thử lại sau {seconds} giây"
    return fail(429, message, {"Retry-After": str(seconds)})


def error_response(status: int) -> Response:
    """A server error in the usual envelope."""
    return fail(status, "Hệ thống đang bận, vui lòng thử lại sau")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _first(violations: list[Violation]) -> Response | None:
    # Voso answers one message per call, joined when several rules are broken.
    if not violations:
        return None
    return fail(400, "; ".join(f"{v.field}: {v.message}" for v in violations))


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _Invalid("Dữ liệu gửi lên không phải JSON hợp lệ") from None
    if not isinstance(body, dict):
        raise _Invalid("Dữ liệu gửi lên phải là một đối tượng JSON")
    return body


def _listing_violations(body: dict[str, Any], allowed: set[str]) -> list[Violation]:
    unknown = sorted(set(body) - allowed)
    if unknown:
        return [Violation(unknown[0], f"Trường không hợp lệ: {', '.join(unknown)}")]
    found = [*check_content(body), *check_price(body.get("price")), *check_stock(body.get("stock"))]
    category = body.get("category_id")
    if isinstance(category, str) and category.strip() and category not in CATEGORIES:
        found.append(Violation("category_id", f"Danh mục không tồn tại: {category[:40]}"))
    return found


class VosoSandbox:
    """The routes and session table of one sandbox instance."""

    def __init__(self, store: ListingStore, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (seller, issued at)

    # -- sessions ---------------------------------------------------------------------------
    def seller_of(self, scope: Scope) -> str | None:
        """The seller whose token the request carries (rate limits are per seller)."""
        for name, value in scope.get("headers", []):
            if name == b"token":
                session = self.tokens.get(value.decode("latin-1"))
                return session[0] if session else None
        return None

    async def login(self, request: Request) -> Response:
        """POST /v2/user/Login: a fresh token for good credentials."""
        try:
            body = await _body(request)
        except _Invalid as exc:
            return fail(400, exc.message)
        username, password = body.get("USERNAME"), body.get("PASSWORD")
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            return fail(400, "Thiếu USERNAME hoặc PASSWORD")
        # Never echo the username or password back: clients put messages into logs.
        if not secrets.compare_digest(password.encode(), sandbox_password(username).encode()):
            return fail(401, "Sai tên đăng nhập hoặc mật khẩu")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (username, time.monotonic())
        return reply({"token": token, "expires_in": self.config.token_ttl})

    def authorised(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a route: check the Token header, then call it with the seller's store."""

        async def route(request: Request) -> Response:
            token = request.headers.get("Token")
            if not token:
                return fail(401, "Thiếu token xác thực")
            session = self.tokens.get(token)
            if session is None:
                return fail(401, "Token không hợp lệ")
            seller, issued = session
            if time.monotonic() - issued > self.config.token_ttl:
                return fail(401, "Token hết hạn, vui lòng đăng nhập lại")
            try:
                return await handler(request, seller, self.store.seller(seller))
            except _Invalid as exc:
                return fail(400, exc.message)

        return route

    def _write(self) -> None:
        self.store.counters["writes"] += 1

    # -- products ---------------------------------------------------------------------------
    async def categories(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """GET /v2/seller/categories."""
        return reply([{"id": key, "name": name} for key, name in CATEGORIES.items()])

    async def list_products(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """GET /v2/seller/products?page=&size=[&sku=]: one page, or the listings of one SKU."""
        try:
            page = int(request.query_params.get("page", "1"))
            size = int(request.query_params.get("size", "20"))
        except ValueError:
            page = size = 0
        if page < 1 or not 1 <= size <= PAGE_SIZE_MAX:
            return fail(400, f"Tham số phân trang không hợp lệ (size từ 1 đến {PAGE_SIZE_MAX})")
        sku = request.query_params.get("sku")
        if sku is not None:
            matching = [shop.listings[i] for i in shop.by_sku.get(sku, [])]
            items, total = matching[(page - 1) * size : page * size], len(matching)
        else:
            items, total = shop.page(page, size)
        return reply({"items": items, "page": page, "size": size, "total": total})

    async def create(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """POST /v2/seller/products."""
        body = await _body(request)
        sku = body.get("sku")
        if not isinstance(sku, str) or not 1 <= len(sku) <= 64:
            return fail(400, "Mã SKU là bắt buộc (tối đa 64 ký tự)")
        error = _first(_listing_violations(body, {"sku", "price", "stock", *CONTENT_FIELDS}))
        if error is not None:
            return error
        remote_id = self.store.new_id()
        record = {k: body[k] for k in ("price", "stock", *CONTENT_FIELDS) if k in body}
        shop.create(remote_id, sku, {**record, "status": "active", "created_at": _now()})
        shop.listings[remote_id]["updated_at"] = shop.listings[remote_id]["created_at"]
        self._write()
        return reply(shop.listings[remote_id], 201)

    async def get(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """GET /v2/seller/products/{id}."""
        item = shop.listings.get(request.path_params["id"])
        return reply(item) if item else fail(404, NOT_FOUND)

    async def replace(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """PUT /v2/seller/products/{id}: content, price and stock together."""
        item = shop.listings.get(request.path_params["id"])
        if item is None:
            return fail(404, NOT_FOUND)
        body = await _body(request)
        if body.get("sku", item["sku"]) != item["sku"]:
            return fail(400, "Không được thay đổi mã SKU của sản phẩm")
        error = _first(_listing_violations(body, {"sku", "price", "stock", *CONTENT_FIELDS}))
        if error is not None:
            return error
        for key in CONTENT_FIELDS:  # a full update: a field left out is cleared
            item.pop(key, None)
        item.update({k: body[k] for k in ("price", "stock", *CONTENT_FIELDS) if k in body})
        item["updated_at"] = _now()
        self._write()
        return reply(item)

    async def patch_field(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """PATCH /v2/seller/products/{id}/{price|stock|status}."""
        field = request.url.path.rsplit("/", 1)[-1]
        item = shop.listings.get(request.path_params["id"])
        if item is None:
            return fail(404, NOT_FOUND)
        value = (await _body(request)).get(field)
        if field == "status":
            violations = (
                []
                if value in ("active", "inactive")
                else [Violation("status", "Trạng thái phải là active hoặc inactive")]
            )
        else:
            violations = check_price(value) if field == "price" else check_stock(value)
        error = _first(violations)
        if error is not None:
            return error
        item[field] = value
        item["updated_at"] = _now()
        self._write()
        return reply(item)

    async def batch(self, request: Request, seller: str, shop: SellerStore) -> Response:
        """POST /v2/seller/products/batch-price-stock: ≤ 50 items, one result per item."""
        items = (await _body(request)).get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= BATCH_MAX:
            return fail(400, f"Danh sách cập nhật phải có từ 1 đến {BATCH_MAX} sản phẩm")
        return reply({"results": [self._batch_item(shop, entry) for entry in items]})

    def _batch_item(self, shop: SellerStore, entry: object) -> dict[str, Any]:
        if not isinstance(entry, dict):
            return {"id": None, "error": True, "status": 400, "message": "Mục không hợp lệ"}
        remote_id = str(entry.get("id"))
        item = shop.listings.get(remote_id)
        if item is None:
            return {"id": remote_id, "error": True, "status": 404, "message": NOT_FOUND}
        changes = {k: entry[k] for k in ("price", "stock") if k in entry}
        violations = [*check_price(changes["price"])] if "price" in changes else []
        violations += check_stock(changes["stock"]) if "stock" in changes else []
        if not changes:
            violations.append(Violation("items", "Cần có price hoặc stock"))
        result = {"id": remote_id, "sku": item["sku"]}
        if violations:
            message = "; ".join(f"{v.field}: {v.message}" for v in violations)
            return {**result, "error": True, "status": 400, "message": message}
        item.update(changes, updated_at=_now())
        self._write()
        return {**result, "error": False, "status": 200, "message": "OK"}

    def routes(self) -> list[BaseRoute]:
        """Every API route of the contract."""
        auth = self.authorised
        products = "/v2/seller/products"
        return [
            Route("/v2/user/Login", self.login, methods=["POST"]),
            Route("/v2/seller/categories", auth(self.categories), methods=["GET"]),
            Route(products, auth(self.list_products), methods=["GET"]),
            Route(products, auth(self.create), methods=["POST"]),
            Route(f"{products}/batch-price-stock", auth(self.batch), methods=["POST"]),
            Route(products + "/{id}", auth(self.get), methods=["GET"]),
            Route(products + "/{id}", auth(self.replace), methods=["PUT"]),
            Route(products + "/{id}/price", auth(self.patch_field), methods=["PATCH"]),
            Route(products + "/{id}/stock", auth(self.patch_field), methods=["PATCH"]),
            Route(products + "/{id}/status", auth(self.patch_field), methods=["PATCH"]),
        ]


def create_app(config: SandboxConfig) -> Starlette:
    """The Voso sandbox app for `config`."""
    store = ListingStore(config.persist, is_active=lambda record: record.get("status") == "active")
    sandbox = VosoSandbox(store, config)
    hooks = SandboxHooks(
        seller_of=sandbox.seller_of,
        throttle_response=throttle_response,
        error_response=error_response,
    )
    app = build_app(
        sandbox.routes(), store=sandbox.store, config=config, hooks=hooks, openapi=OPENAPI
    )
    app.state.voso = sandbox
    return app
