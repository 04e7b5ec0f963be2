"""TikTok Shop sandbox: a real HTTP server speaking the Partner API's protocol.

It checks app key, timestamp window, signature, access token (expiring on the sandbox
clock) and shop cipher like TikTok's gateway, serves the consent page and the auth host's
token calls on its own base URL, audits products, pages search results behind tokens, and
answers in TikTok's envelope. Sandbox identities: connectors/tiktok/sandbox_auth.py.
`/_sandbox/clock` (GET, POST {"advance": s} or {"offset": s}), `/_sandbox/revoke`,
`/_sandbox/audit` (GET, POST {"seconds": s}) and the OAuth figures in `/_sandbox/stats`
(`oauth`, the same keys as every OAuth sandbox's) come on top of the toolkit's endpoints.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from connectors.base import Listing
from connectors.oauth import TokenGrant
from connectors.sandbox import ListingStore, SandboxConfig, SandboxHooks, build_sandbox_app
from connectors.tiktok import api
from connectors.tiktok.oauth import TikTokOAuth
from connectors.tiktok.remote_ids import join
from connectors.tiktok.sandbox_auth import (
    APP_KEY_PREFIX,
    CIPHER_PREFIX,
    AuthState,
    Failure,
    auth_routes,
    check_call,
    envelope,
    failure_response,
    sandbox_credentials,
    warehouse_of,
)
from connectors.tiktok.sandbox_products import Audit, Images, Products
from sync.settings import Account

SANDBOX_CATEGORY = "700437"
SANDBOX_CATEGORIES = {
    "Thực phẩm": "700437",
    "Đồ uống": "700438",
    "Dược liệu và sản phẩm từ dược liệu": "700439",
    "Hàng thủ công mỹ nghệ": "700440",
}
# Sandbox attribute ids per fact (ours; real ids come from Get Attributes per category).
SANDBOX_ATTRIBUTES = {"brand": "100107", "origin": "100157", "net_content": "100186"}


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for seller `name` on a sandbox at `base_url` (not yet authorised:
    `authorize` below gets its first grant)."""
    return Account.model_validate(
        {
            "name": name,
            "marketplace": "tiktok",
            "base_url": base_url,
            "credentials": sandbox_credentials(name),
            "categories": SANDBOX_CATEGORIES,
            "default_category": SANDBOX_CATEGORY,
            "options": {
                "auth_base_url": base_url,
                "authorize_url": base_url.rstrip("/") + "/open/authorize",
                "warehouse_id": warehouse_of(name),
                "attribute_ids": SANDBOX_ATTRIBUTES,
                "package_dimensions_cm": [20, 15, 10],
                # The sandbox serves no image files: the URL's bytes stand in for the image.
                "image_fetch": False,
            },
        }
    )


async def authorize(account: Account) -> TokenGrant:
    """The shop owner's consent on the sandbox, then the code exchanged for the first grant."""
    flow = TikTokOAuth()
    async with httpx.AsyncClient(timeout=account.timeout) as http:
        consent = await http.get(flow.authorize_url(account, "", "ocop-sync"))
        location = consent.headers.get("location", "")
        code = (parse_qs(urlsplit(location).query).get("code") or [""])[0]
        return await flow.exchange_code(account, code, None, http)


def invalid_listing(listing: Listing) -> Listing:
    """A copy TikTok must reject: its title is shorter than 25 characters."""
    return Listing(
        sku=listing.sku,
        product_sku=listing.product_sku,
        content={**listing.content, "title": "Miến dong"},
        price=listing.price,
        stock=listing.stock,
        images=list(listing.images),
    )


def seller_of(scope: Scope) -> str | None:
    """The shop a call is for (TikTok limits per app x shop), from the query alone."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    cipher = (query.get("shop_cipher") or [""])[0]
    if cipher.startswith(CIPHER_PREFIX):
        return cipher.removeprefix(CIPHER_PREFIX) or None
    app_key = (query.get("app_key") or [""])[0]
    return app_key.removeprefix(APP_KEY_PREFIX) if app_key.startswith(APP_KEY_PREFIX) else None


def throttle_response(wait: float) -> Response:
    """HTTP 429 with code 36009002. TikTok promises no Retry-After; the sandbox sends one
    (whole seconds), which the client honours when present."""
    body = envelope(
        code=api.THROTTLED,
        message="Too many requests. You've made too many requests in a short period of time.",
    )
    return JSONResponse(body, 429, headers={"Retry-After": str(max(1, math.ceil(wait)))})


def error_response(status: int) -> Response:
    """A platform failure in TikTok's envelope (36009003 internal error)."""
    message = "Internal error. Please try again." if status == 500 else "Service unavailable."
    return JSONResponse(envelope(code=api.INTERNAL, message=message), status)


class TikTokStore(ListingStore):
    """The listing store with TikTok's token and image counts in `/_sandbox/stats`."""

    def __init__(self, auth: AuthState, images: Images, **kw: Any) -> None:
        super().__init__(**kw)
        self.auth, self.images = auth, images

    def stats(self) -> dict[str, Any]:
        """The toolkit's figures plus the OAuth figures, image uploads and the clock."""
        stats = super().stats()
        stats["oauth"] = self.auth.figures.stats()
        stats["image_uploads"] = self.images.uploads
        stats["clock"] = self.auth.public()
        return stats

    def public_id(self, record: dict[str, Any]) -> str:
        """`product_id:sku_id`, the remote id the client keeps (remote_ids.py)."""
        return join(str(record["id"]), record.get("sku_id"))

    def record_id(self, remote_id: str) -> str:
        """A product is kept under its own id."""
        return remote_id.partition(":")[0]


Handler = Callable[[Request, str], Awaitable[dict[str, Any]]]


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox app: auth host, consent page and product API in the shared behaviour."""
    auth, audit, images = AuthState(), Audit(), Images()
    store = TikTokStore(
        auth, images, persist=config.persist, is_active=lambda r: not r.get("deactivated")
    )
    products = Products(store, auth, audit, images)

    def shop_route(path: str, handler: Handler, *methods: str) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                seller = await check_call(request, auth)
                data = await handler(request, seller)
            except Failure as failure:
                return failure_response(failure)
            return JSONResponse(envelope(data))

        return Route(path, endpoint, methods=list(methods))

    async def body(request: Request) -> dict[str, Any]:
        try:
            value = json.loads(await request.body() or b"{}")
        except ValueError:
            raise Failure(
                36009022, "Invalid request format. The request body format must be application/json"
            ) from None
        if not isinstance(value, dict):
            raise Failure(
                36009022, "Invalid request format. The request body must be a JSON object"
            )
        return value

    async def create(request: Request, seller: str) -> dict[str, Any]:
        return products.create(seller, await body(request))

    async def product(request: Request, seller: str) -> dict[str, Any]:
        product_id = request.path_params["product_id"]
        if request.method == "PUT":
            return products.edit(seller, product_id, await body(request))
        return products.detail(seller, product_id)

    async def prices(request: Request, seller: str) -> dict[str, Any]:
        return products.update_price(seller, request.path_params["product_id"], await body(request))

    async def inventory(request: Request, seller: str) -> dict[str, Any]:
        return products.update_inventory(
            seller, request.path_params["product_id"], await body(request)
        )

    async def search(request: Request, seller: str) -> dict[str, Any]:
        return products.search(seller, dict(request.query_params), await body(request))

    async def activate(request: Request, seller: str) -> dict[str, Any]:
        return products.switch(seller, await body(request), active=True)

    async def deactivate(request: Request, seller: str) -> dict[str, Any]:
        return products.switch(seller, await body(request), active=False)

    async def upload(request: Request, seller: str) -> dict[str, Any]:
        return products.upload_image(
            seller, request.headers.get("content-type", ""), await request.body()
        )

    async def audit_config(request: Request) -> Response:
        if request.method == "POST":
            audit.seconds = float((await request.json()).get("seconds", audit.seconds))
        return JSONResponse({"seconds": audit.seconds})

    item = api.product_path("{product_id}")
    routes: list[BaseRoute] = [
        shop_route(api.PRODUCTS, create, "POST"),
        shop_route(api.SEARCH_PRODUCTS, search, "POST"),
        shop_route(api.ACTIVATE, activate, "POST"),
        shop_route(api.DEACTIVATE, deactivate, "POST"),
        shop_route(api.UPLOAD_IMAGE, upload, "POST"),
        shop_route(api.price_path("{product_id}"), prices, "POST"),
        shop_route(api.inventory_path("{product_id}"), inventory, "POST"),
        shop_route(item, product, "GET", "PUT"),
        Route("/_sandbox/audit", audit_config, methods=["GET", "POST"]),
        *auth_routes(auth),
    ]
    return build_sandbox_app(
        routes,
        store=store,
        config=config,
        hooks=SandboxHooks(seller_of, throttle_response, error_response),
    )
