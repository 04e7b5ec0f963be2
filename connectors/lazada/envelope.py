"""Lazada answers -> the connector error taxonomy (connectors/errors.py), one function for
the client's calls and the OAuth calls alike."""

from __future__ import annotations

from typing import Any

from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
    ThrottledError,
)
from connectors.lazada import api


class TokenRefused(AuthError):
    """The access token was refused as invalid or expired: a refreshed one may succeed."""


def message_of(body: dict[str, Any]) -> str:
    """Lazada's own message, with the first field detail when it gives one."""
    message = str(body.get("message") or body.get("code") or "error")
    detail = body.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        text = first.get("message")
        if text and str(text) not in message:
            message += f": {text}"
    return message[:500]


def classify_body(
    body: object, *, account: str, status: int | None = None, retry_after: float | None = None
) -> MarketplaceError | None:
    """The error an answer body stands for, or None when `code` is "0"."""
    if not isinstance(body, dict) or "code" not in body:
        return RetriableError("unreadable answer from Lazada", account=account, status=status)
    code = str(body["code"])
    if code == api.OK:
        return None
    message = message_of(body)
    kw: dict[str, Any] = {"account": account, "status": status, "code": code}
    if code == api.THROTTLED:
        wait = api.ban_seconds(message)
        return ThrottledError(message, retry_after=wait if wait is not None else retry_after, **kw)
    if code in api.TOKEN_CODES:
        return TokenRefused(message, **kw)
    if code in api.AUTH_CODES:
        return AuthError(message, **kw)
    if code == api.PRODUCT_NOT_FOUND:
        return NotFoundError(message, **kw)
    if body.get("type") in ("ISP", "SYSTEM"):
        return RetriableError(message, retry_after=retry_after, **kw)  # the platform's trouble
    return ItemRejected(message, **kw)
