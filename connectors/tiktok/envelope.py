"""TikTok Shop's answer envelope `{"code", "message", "request_id", "data"}` -> taxonomy.

One classifier for the Open API (client) and the auth host (OAuth flow). Code 0 is
success whatever else the body holds; HTTP 429 and code 36009002 are the throttle answer;
105002 is an expired access token, which the client answers with one refresh.
"""

from __future__ import annotations

from typing import Any

import httpx

from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
    ThrottledError,
)
from connectors.http import parse_retry_after
from connectors.tiktok import api

# TikTok sends no Retry-After (Rate limits page: back off exponentially from 1 s).
THROTTLE_FIRST_WAIT = 1.0


class TokenExpired(AuthError):
    """The access token the request carried has expired (code 105002)."""


def body_of(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of an answer, or None when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def message_of(body: dict[str, Any] | None, response: httpx.Response) -> str:
    """The marketplace's own words, with its request id for support tickets."""
    if body is None:
        return response.text[:200] or f"HTTP {response.status_code}"
    message = str(body.get("message") or "error")[:500]
    request_id = body.get("request_id")
    return f"{message} (request_id {request_id})" if request_id else message


def classify(response: httpx.Response, account: str) -> MarketplaceError | None:
    """The error an answer stands for, or None when it is a success."""
    status = response.status_code
    body = body_of(response)
    code = _code(body)
    if code == api.OK and status < 400:
        return None
    message = message_of(body, response)
    kw: dict[str, Any] = {
        "account": account,
        "status": status if status != 200 else None,
        "code": str(code) if code is not None else None,
    }
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429 or code == api.THROTTLED:
        return ThrottledError(message, retry_after=retry_after or THROTTLE_FIRST_WAIT, **kw)
    if code == api.TOKEN_EXPIRED:
        return TokenExpired(message, **kw)
    if code in api.AUTH_CODES or status in (401, 403):
        return AuthError(message, **kw)
    if status >= 500 or code in api.RETRIABLE_CODES:
        return RetriableError(message, retry_after=retry_after, **kw)
    if code is None:
        # A 200 without an envelope is a broken answer (a proxy page, a cut body).
        return RetriableError(f"unreadable answer: {message}", **kw)
    if code == api.PRODUCT_NOT_FOUND or status == 404:
        return NotFoundError(message, **kw)
    return ItemRejected(message, **kw)


def partial_errors(data: dict[str, Any], account: str) -> list[tuple[str, ItemRejected]]:
    """The per-item `errors` of a batch answer as (product or SKU id, error)."""
    out: list[tuple[str, ItemRejected]] = []
    for error in data.get("errors") or []:
        detail = error.get("detail") or {}
        item = str(detail.get("product_id") or detail.get("sku_id") or "")
        code = str(error.get("code")) if error.get("code") is not None else None
        message = str(error.get("message") or "rejected")
        kind = NotFoundError if code == str(api.PRODUCT_NOT_FOUND) else ItemRejected
        out.append((item, kind(message, account=account, code=code)))
    return out


def _code(body: dict[str, Any] | None) -> int | None:
    if body is None or "code" not in body:
        return None
    try:
        return int(body["code"])
    except (TypeError, ValueError):
        return None
