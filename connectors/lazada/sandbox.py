"""Lazada sandbox: the `/rest` gateway and the consent page, speaking Lazada's protocol.

It checks app key, timestamp (≤ 7200 s off), signature and access token like the real
gateway, answers in Lazada's envelope, and keeps tokens on a clock tests can move
(`/_sandbox/clock`). Sandbox credentials for seller `<name>` are derived, so tests and the
demo need no setup: app_key `lz-<name>`, app_secret `lazada-sandbox-secret-<name>`; tokens
come from the consent page (`SandboxKit.authorize`). The seller id is `<name>` itself.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import Any
from urllib.parse import parse_qsl

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.base import Listing
from connectors.lazada import api
from connectors.lazada.oauth import OAUTH
from connectors.lazada.sandbox_auth import token_registry
from connectors.lazada.sandbox_products import REQUIRED_ATTRIBUTE, Failure, Products
from connectors.lazada.signing import SIGN_METHOD, TIMESTAMP_SKEW_SECONDS, sign, timestamp_skew
from connectors.sandbox import ListingStore, SandboxConfig, SandboxHooks, build_sandbox_app, consent
from connectors.sandbox.app_keys import AppKeys
from connectors.sandbox.oauth_state import SandboxClock, TokenRegistry, oauth_routes
from sync.settings import Account

# Seller `<name>`: app key `<key prefix><name>`, app secret `<secret prefix><name>`.
KEYS = AppKeys("lz-", "lazada-sandbox-secret-")
GATEWAY = "/rest"
CALLBACK = "http://127.0.0.1/ocop-sync/lazada/callback"  # where the consent page sends the code
# OCOP groups and one product set -> the sandbox's category ids (ours).
SANDBOX_CATEGORIES: dict[str, str] = {
    "Thực phẩm": "10001",
    "Rau, củ, quả tươi và sơ chế": "10002",
    "Đồ uống": "10003",
    "Dược liệu và sản phẩm từ dược liệu": "10004",
    "Thảo dược": "10004",
    "Hàng thủ công mỹ nghệ": "10005",
    "Sinh vật cảnh": "10006",
}
DEFAULT_CATEGORY = "10001"


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for seller `name` on a sandbox served at `base_url`."""
    gateway = base_url.rstrip("/") + GATEWAY
    categories = sorted({*SANDBOX_CATEGORIES.values(), DEFAULT_CATEGORY})
    return Account(
        name=name,
        marketplace="lazada",
        base_url=gateway,
        credentials={k: SecretStr(v) for k, v in KEYS.credentials(name).items()},
        categories=SANDBOX_CATEGORIES,
        default_category=DEFAULT_CATEGORY,
        options={
            "auth_url": gateway,
            "category_attributes": {c: {REQUIRED_ATTRIBUTE: "No Warranty"} for c in categories},
        },
    )


# The shop owner's consent on the sandbox, exchanged for the account's first grant.
authorize = consent.authorizer(OAUTH, CALLBACK)


def invalid_listing(listing: Listing) -> Listing:
    """A copy the sandbox must reject: its name is longer than 255 characters."""
    content = {**listing.content, "name": "Tinh nghệ Bắc Kạn " * 20}
    return dataclasses.replace(listing, content=content, issues=[])


def _request_id() -> str:
    return uuid.uuid4().hex[:24]


def _error(failure: Failure, status: int = 200) -> Response:
    body = api.error_body(
        failure.kind, failure.code, failure.message, request_id=_request_id(), detail=failure.detail
    )
    return JSONResponse(body, status_code=status)


def throttle_response(wait: float) -> Response:
    """Lazada's throttle answer: `ApiCallLimit`, the ban in whole seconds."""
    message = api.throttle_message(max(1, math.ceil(wait)))
    return _error(Failure(api.THROTTLED, message, kind="ISP"))


def error_response(status: int) -> Response:
    """A backend failure (500) or a gateway outage (503), in the envelope."""
    if status == 503:
        return _error(Failure(api.SERVICE_UNAVAILABLE, "Service unavailable", kind="SYSTEM"), 503)
    return _error(Failure(api.INTERNAL_ERROR, "Internal service error, try again", kind="ISP"), 500)


def check_signed(api_path: str, params: dict[str, str]) -> str:
    """The seller of a correctly signed, timely request; Failure with Lazada's code otherwise."""
    for name in ("app_key", "timestamp", "sign_method", "sign"):
        if not params.get(name):
            raise Failure(api.MISSING_PARAMETER, f"Missing required parameter: {name}")
    seller = KEYS.seller_of_key(params["app_key"])
    if seller is None:
        raise Failure(api.INVALID_APP_KEY, "Invalid app key")  # never echo the key
    if timestamp_skew(params["timestamp"]) > TIMESTAMP_SKEW_SECONDS:
        raise Failure(
            api.INVALID_TIMESTAMP, f"timestamp must be ms within {TIMESTAMP_SKEW_SECONDS} s of UTC"
        )
    if (
        params["sign_method"] != SIGN_METHOD
        or sign(api_path, params, KEYS.secret(seller)) != params["sign"].upper()
    ):
        raise Failure(api.INCOMPLETE_SIGNATURE, api.INCOMPLETE_SIGNATURE_MESSAGE)
    return seller


class LazadaStore(ListingStore):
    """The listing store whose stats also count tokens and image migrations."""

    def __init__(self, tokens: TokenRegistry, **kwargs: Any) -> None:
        super().__init__(
            is_active=lambda r: any(s.get("Status") == "active" for s in r.get("skus", [])),
            **kwargs,
        )
        self.tokens = tokens

    def stats(self) -> dict[str, Any]:
        """The toolkit's figures plus tokens created/refreshed and images migrated."""
        return {
            **super().stats(),
            "oauth": self.tokens.stats(),
            "images_migrated": self.counters["images_migrated"],
        }

    def reset(self) -> None:
        """Forget listings, counters and tokens."""
        super().reset()
        self.tokens.reset()


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox app: gateway, consent page and clock, in the shared sandbox behaviour."""
    clock = SandboxClock()
    tokens = token_registry(clock)
    store = LazadaStore(tokens, persist=config.persist)
    products = Products(store, frozenset({*SANDBOX_CATEGORIES.values(), DEFAULT_CATEGORY}))

    async def gateway(request: Request) -> Response:
        api_path = "/" + request.path_params["path"]
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        try:
            seller = check_signed(api_path, params)
            if api_path in (api.TOKEN_CREATE, api.TOKEN_REFRESH):
                return JSONResponse(
                    {
                        **_token_call(api_path, seller, params),
                        "code": api.OK,
                        "request_id": _request_id(),
                    }
                )
            if tokens.seller_of(params.get("access_token", "")) != seller:
                raise Failure(api.ILLEGAL_ACCESS_TOKEN, api.ILLEGAL_ACCESS_TOKEN_MESSAGE)
            handler = products.handlers.get(api_path)
            if handler is None:
                raise Failure(
                    api.INVALID_API_PATH, f"The specified API path is invalid: {api_path}"
                )
            data = await handler(seller, params)
        except Failure as failure:
            return _error(failure)
        return JSONResponse({"code": api.OK, "data": data, "request_id": _request_id()})

    def _token_call(api_path: str, seller: str, params: dict[str, str]) -> dict[str, Any]:
        if api_path == api.TOKEN_CREATE:
            grant = tokens.exchange(params.get("code", ""), seller)
            if grant is None:
                raise Failure(api.INVALID_CODE, "Invalid or expired authorization code")
            return grant
        grant = tokens.rotate(params.get("refresh_token", ""), seller)
        if grant is None:
            raise Failure(api.ILLEGAL_REFRESH_TOKEN, "The refresh token is invalid or expired")
        return grant

    return build_sandbox_app(
        [
            Route(GATEWAY + "/{path:path}", gateway, methods=["GET", "POST"]),
            Route(api.AUTHORIZE_PATH, consent.consent_route(tokens, KEYS.seller_of_key)),
            *oauth_routes(clock, tokens.revoke),
        ],
        store=store,
        config=config,
        hooks=SandboxHooks(KEYS.seller_of, throttle_response, error_response),
    )
