"""Alibaba.com (ICBU Open Platform) sandbox: the `/sync` gateway and the `/rest` token
calls, checking app key, ms timestamp, sha256 signature and access token like the real
platform, with the consent page, a movable clock and the review of every write.

Sandbox identities for seller `<name>` (derived, so tests and the demo need no setup):
app_key `ak-<name>`, app_secret `alibaba-sandbox-secret-<name>`; the access token comes
from the consent page (`/oauth/authorize`) and `/rest/auth/token/create`. Besides the
toolkit's `/_sandbox/*`: `/_sandbox/clock` (GET, POST {"advance": s} or {"offset": s}) and
`/_sandbox/audit` (GET, POST {"seconds": s, "reject_word": w}).
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.alibaba import api
from connectors.alibaba.oauth import OAUTH
from connectors.alibaba.openapi import OPENAPI
from connectors.alibaba.sandbox_auth import token_registry
from connectors.alibaba.sandbox_products import Audit, GatewayFailure, Photobank, Products, Refusal
from connectors.alibaba.sandbox_schema import CATEGORIES, DEFAULT_CATEGORY
from connectors.alibaba.signing import TIMESTAMP_SKEW_SECONDS, sign, timestamp_skew
from connectors.base import Listing
from connectors.sandbox import ListingStore, SandboxConfig, SandboxHooks, build_sandbox_app, consent
from connectors.sandbox.app_keys import AppKeys
from connectors.sandbox.oauth_state import SandboxClock, TokenRegistry, oauth_routes
from sync.settings import Account, PriceRules

# Seller `<name>`: app key `<key prefix><name>`, app secret `<secret prefix><name>`.
KEYS = AppKeys("ak-", "alibaba-sandbox-secret-")
CALLBACK = "http://127.0.0.1/ocop-sync/alibaba/callback"
SANDBOX_USD_RATE = "25400"  # VND per USD for sandbox accounts


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for seller `name` on a sandbox at `base_url`."""
    root = base_url.rstrip("/")
    return Account(
        name=name,
        marketplace="alibaba",
        base_url=root,
        credentials={k: SecretStr(v) for k, v in KEYS.credentials(name).items()},
        categories=CATEGORIES,
        default_category=DEFAULT_CATEGORY,
        price=PriceRules(usd_rate=SANDBOX_USD_RATE),
        # The sandbox serves no image files: the URL's bytes stand in for the image.
        options={"authorize_url": root + api.AUTHORIZE_PATH, "photobank_fetch": False},
    )


# The seller's consent on the sandbox, exchanged for the account's first grant.
authorize = consent.authorizer(OAUTH, CALLBACK)


def invalid_listing(listing: Listing) -> Listing:
    """A copy the sandbox must reject: its subject is longer than 128 characters."""
    content = {**listing.content, "subject": "Bac Kan turmeric " * 10}
    return dataclasses.replace(listing, content=content, issues=[])


def _request_id() -> str:
    return uuid.uuid4().hex[:13]


def _gateway_error(failure: GatewayFailure, status: int = 200) -> Response:
    body = api.error_body(failure.error_type, failure.code, failure.msg, request_id=_request_id())
    return JSONResponse(body, status_code=status)


def throttle_response(wait: float) -> Response:
    """The platform's throttle answer: ApiCallLimit, the ban in whole seconds."""
    message = api.throttle_message(max(1, math.ceil(wait)))
    return _gateway_error(GatewayFailure(api.THROTTLED, message, "ISP"))


def error_response(status: int) -> Response:
    """A backend failure (HTTP 200, ISP) or a gateway outage (HTTP 503), in the envelope."""
    if status == 503:
        return _gateway_error(
            GatewayFailure(api.SERVICE_UNAVAILABLE, "Service unavailable", "SYSTEM"), 503
        )
    return _gateway_error(GatewayFailure(api.INTERNAL_ERROR, "Internal service error", "ISP"))


def check_signed(params: dict[str, str], api_path: str = "") -> str:
    """The seller of a correctly signed, timely request; GatewayFailure otherwise."""
    for name in ("app_key", "timestamp", "sign_method", "sign"):
        if not params.get(name):
            raise GatewayFailure(api.MISSING_PARAMETER, f"Missing required parameter: {name}")
    seller = KEYS.seller_of_key(params["app_key"])
    if seller is None:
        raise GatewayFailure(api.INVALID_APP_KEY, "Invalid app key")  # never echo the key
    if timestamp_skew(params["timestamp"]) > TIMESTAMP_SKEW_SECONDS:
        raise GatewayFailure(api.INVALID_TIMESTAMP, "timestamp must be milliseconds within 600 s")
    if (
        params["sign_method"] != api.SIGN_METHOD
        or sign(params, KEYS.secret(seller), api_path) != params["sign"].upper()
    ):
        raise GatewayFailure(api.INCOMPLETE_SIGNATURE, "The request signature is invalid")
    return seller


async def _read_params(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """Text parameters from the query and the body, and the file parameters apart."""
    params = dict(request.query_params)
    files: dict[str, bytes] = {}
    body = await request.body()
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif kind.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                if part.get_filename() is not None:
                    files[name] = payload
                else:
                    params[name] = payload.decode("utf-8")
    return params, files


class AlibabaStore(ListingStore):
    """The listing store whose stats also count tokens, uploads and show the clock."""

    def __init__(self, tokens: TokenRegistry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = tokens

    def stats(self) -> dict[str, Any]:
        """The toolkit's figures plus token and photobank counts."""
        return {
            **super().stats(),
            "oauth": self.tokens.stats(),
            "clock": self.tokens.clock.public(),
            "photobank_uploads": self.counters["photobank_uploads"],
        }

    def reset(self) -> None:
        """Forget listings, counters and tokens."""
        super().reset()
        self.tokens.reset()


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox app: gateway, token calls, consent page, clock and review settings."""
    clock, audit = SandboxClock(), Audit()
    tokens = token_registry(clock)
    store = AlibabaStore(tokens, persist=config.persist)
    photobank = Photobank(config.persist.with_suffix(".photobank.json") if config.persist else None)
    products = Products(store, photobank, clock, audit)

    async def sync(request: Request) -> Response:
        params, files = await _read_params(request)
        method = params.get("method", "")
        try:
            seller = check_signed(params)
            if not params.get("session") or tokens.seller_of(params["session"]) != seller:
                raise GatewayFailure(
                    api.ILLEGAL_ACCESS_TOKEN, "The specified access token is invalid or expired"
                )
            handler = products.handlers.get(method)
            if handler is None:
                raise GatewayFailure(
                    api.INVALID_API_PATH, f"The specified API is invalid: {method or '(none)'}"
                )
            answer = await handler(seller, params, files)
        except GatewayFailure as failure:
            return _gateway_error(failure)
        except Refusal as refusal:
            answer = api.biz_failure(refusal.msg_code, refusal.message, trace_id=_request_id())
        return JSONResponse({api.response_key(method): answer, "request_id": _request_id()})

    async def token_call(request: Request) -> Response:
        api_path = "/" + request.path_params["path"]
        params, _ = await _read_params(request)
        try:
            seller = check_signed(params, api_path)
            if api_path == api.TOKEN_CREATE:
                grant = tokens.exchange(params.get("code", ""), seller)
                failure = (api.INVALID_CODE, "Invalid or expired authorization code")
            elif api_path == api.TOKEN_REFRESH:
                grant = tokens.rotate(params.get("refresh_token", ""), seller)
                failure = (api.ILLEGAL_REFRESH_TOKEN, "The refresh token is invalid or expired")
            else:
                raise GatewayFailure(
                    api.INVALID_API_PATH, f"The specified API path is invalid: {api_path}"
                )
            if grant is None:
                raise GatewayFailure(*failure)
        except GatewayFailure as error:
            body = api.rest_error_body(
                error.error_type, error.code, error.msg, request_id=_request_id()
            )
            return JSONResponse(body)
        return JSONResponse({**grant, "code": api.OK, "request_id": _request_id()})

    async def audit_route(request: Request) -> Response:
        if request.method == "POST":
            change = await request.json()
            audit.seconds = float(change.get("seconds", audit.seconds))
            audit.reject_word = change.get("reject_word", audit.reject_word)
        return JSONResponse(dataclasses.asdict(audit))

    return build_sandbox_app(
        [
            Route(api.SYNC_PATH, sync, methods=["GET", "POST"]),
            Route(api.REST_PREFIX + "/{path:path}", token_call, methods=["POST"]),
            Route(api.AUTHORIZE_PATH, consent.consent_route(tokens, KEYS.seller_of_key)),
            *oauth_routes(clock, tokens.revoke),
            Route("/_sandbox/audit", audit_route, methods=["GET", "POST"]),
        ],
        store=store,
        config=config,
        hooks=SandboxHooks(KEYS.seller_of, throttle_response, error_response),
        openapi=OPENAPI,
    )
