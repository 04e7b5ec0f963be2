"""Alibaba.com (ICBU) sandbox: a TOP gateway at `/router/rest` that checks app key,
timestamp, signature and session like the real one and answers in TOP envelopes.

Sandbox credentials for seller `<name>` (derived, so tests and the demo need no setup):
app_key `ak-<name>`, app_secret `alibaba-sandbox-secret-<name>`, session `session-<name>`.
The seller id is `<name>` itself.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from connectors.alibaba import top
from connectors.alibaba.openapi import OPENAPI
from connectors.alibaba.sandbox_methods import Methods, Photobank, TopFailure
from connectors.alibaba.signing import SIGN_METHODS, parse_timestamp, sign
from connectors.base import Listing
from connectors.sandbox import ListingStore, SandboxConfig, SandboxHooks, build_sandbox_app
from sync.settings import Account, PriceRules

APP_KEY_PREFIX = "ak-"
SECRET_PREFIX = "alibaba-sandbox-secret-"
SESSION_PREFIX = "session-"
TIMESTAMP_SKEW_SECONDS = 600  # the sandbox rejects a timestamp more than 10 minutes off
SANDBOX_CATEGORY = "100008"  # ours: a food category id for sandbox accounts
SANDBOX_USD_RATE = Decimal("25400")  # VND per USD for sandbox accounts


def sandbox_credentials(seller: str) -> dict[str, str]:
    """The credentials the sandbox accepts for seller `seller`."""
    return {
        "app_key": APP_KEY_PREFIX + seller,
        "app_secret": SECRET_PREFIX + seller,
        "session": SESSION_PREFIX + seller,
    }


def sandbox_account(name: str, base_url: str) -> Account:
    """A valid account for seller `name` on a sandbox at `base_url`."""
    return Account.model_validate(
        {
            "name": name,
            "marketplace": "alibaba",
            "base_url": base_url,
            "credentials": sandbox_credentials(name),
            "default_category": SANDBOX_CATEGORY,
            "price": PriceRules(usd_rate=SANDBOX_USD_RATE),
            # The sandbox does not download images: send their URL instead (ours).
            "options": {"sign_method": "hmac-sha256", "photobank_fetch": False},
        }
    )


def invalid_listing(listing: Listing) -> Listing:
    """A copy the sandbox must reject: its subject is longer than 128 characters."""
    content = {**listing.content, "subject": "Bac Kan turmeric " * 10}
    return Listing(
        sku=listing.sku,
        product_sku=listing.product_sku,
        content=content,
        price=listing.price,
        stock=listing.stock,
        images=list(listing.images),
    )


def seller_of(scope: Scope) -> str | None:
    """The seller named by the `app_key` in the query string (no body needed)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    app_key = (query.get("app_key") or [""])[0]
    if not app_key.startswith(APP_KEY_PREFIX):
        return None  # anonymous: a wrong key is refused by the gateway anyway
    return app_key.removeprefix(APP_KEY_PREFIX) or None


def throttle_response(wait: float) -> Response:
    """TOP's throttle answer: HTTP 200, code 7, the ban in whole seconds."""
    seconds = max(1, math.ceil(wait))
    body = top.error_body(
        top.CODE_THROTTLED,
        "App Call Limited",
        top.THROTTLE_SUB_CODE,
        f"This ban will last {seconds} more seconds",
        request_id=_request_id(),
    )
    return JSONResponse(body)


def error_response(status: int) -> Response:
    """A platform failure: 500 as TOP reports a backend failure (HTTP 200, code 15, isp.*);
    503 as a gateway outage (HTTP 503 with code 10)."""
    if status == 503:
        body = top.error_body(
            top.CODE_UNAVAILABLE, "Service currently unavailable", top.SERVICE_UNAVAILABLE,
            request_id=_request_id(),
        )  # fmt: skip
        return JSONResponse(body, status_code=503)
    body = top.error_body(
        top.CODE_REMOTE_ERROR, "Remote service error", "isp.remote-service-error",
        "the backend service failed, try again", request_id=_request_id(),
    )  # fmt: skip
    return JSONResponse(body)


def _request_id() -> str:
    return uuid.uuid4().hex[:13]


def _check_system(params: dict[str, str]) -> str:
    """The seller of an authentic request; TopFailure with TOP's code otherwise."""
    if not params.get("method"):
        raise TopFailure(top.CODE_MISSING_METHOD, "Missing method")
    app_key = params.get("app_key", "")
    if not app_key:
        raise TopFailure(top.CODE_MISSING_APP_KEY, "Missing app key")
    seller = app_key.removeprefix(APP_KEY_PREFIX)
    if not app_key.startswith(APP_KEY_PREFIX) or not seller:
        raise TopFailure(top.CODE_INVALID_APP_KEY, "Invalid app Key")  # never echo the key
    method = params.get("sign_method", "md5")  # TOP's default when none is given
    if method not in SIGN_METHODS:
        raise TopFailure(
            top.CODE_INVALID_SIGNATURE, "Invalid signature", None,
            f"sign_method must be one of {', '.join(SIGN_METHODS)}",
        )  # fmt: skip
    if not params.get("sign"):
        raise TopFailure(top.CODE_MISSING_SIGNATURE, "Missing signature")
    if not params.get("timestamp"):
        raise TopFailure(top.CODE_MISSING_TIMESTAMP, "Missing timestamp")
    try:
        skew = abs((datetime.now(UTC) - parse_timestamp(params["timestamp"])).total_seconds())
    except ValueError:
        skew = math.inf
    if skew > TIMESTAMP_SKEW_SECONDS:
        raise TopFailure(
            top.CODE_INVALID_TIMESTAMP, "Invalid timestamp", None,
            "timestamp must be yyyy-MM-dd HH:mm:ss in GMT+8, within 10 minutes of server time",
        )  # fmt: skip
    if sign(params, SECRET_PREFIX + seller, method) != params["sign"].upper():
        raise TopFailure(top.CODE_INVALID_SIGNATURE, "Invalid signature")
    if not params.get("session"):
        raise TopFailure(top.CODE_MISSING_SESSION, "Missing session")
    if params["session"] != SESSION_PREFIX + seller:
        raise TopFailure(top.CODE_INVALID_SESSION, "Invalid session")
    if not params.get("v"):
        raise TopFailure(top.CODE_MISSING_VERSION, "Missing version")
    if params["v"] != top.API_VERSION:
        raise TopFailure(top.CODE_UNSUPPORTED_VERSION, "Unsupported version")
    if params.get("format", "xml") != "json":
        raise TopFailure(
            top.CODE_INVALID_FORMAT, "Invalid format", None, "this sandbox speaks json only"
        )
    return seller


async def _read_params(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """Text parameters from the query and the form body, and the file parameters apart.

    Parsed here rather than with `request.form()` so the sandbox needs no python-multipart.
    """
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
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            if part.get_filename() is not None:
                files[name] = payload
            else:
                params[name] = payload.decode("utf-8")
    return params, files


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox app: the TOP gateway wrapped in the shared sandbox behaviour."""
    store = ListingStore(config.persist)
    photobank_path = config.persist.with_suffix(".photobank.json") if config.persist else None
    methods = Methods(store, Photobank(photobank_path))

    async def gateway(request: Request) -> Response:
        params, files = await _read_params(request)
        method = params.get("method", "")
        try:
            seller = _check_system(params)
            handler = methods.handlers.get(method)
            if handler is None:
                raise TopFailure(top.CODE_INVALID_METHOD, "Invalid method")
            result = await handler(seller, params, files)
        except TopFailure as failure:
            body = top.error_body(
                failure.code, failure.msg, failure.sub_code, failure.sub_msg,
                request_id=_request_id(),
            )  # fmt: skip
            return JSONResponse(body)
        return JSONResponse({top.response_key(method): {**result, "request_id": _request_id()}})

    return build_sandbox_app(
        [Route(top.GATEWAY_PATH, gateway, methods=["POST"])],
        store=store,
        config=config,
        hooks=SandboxHooks(seller_of, throttle_response, error_response),
        openapi=OPENAPI,
    )
