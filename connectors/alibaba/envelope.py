"""ICBU answers -> the connector error taxonomy (connectors/errors.py), one place for the
client's calls and the OAuth calls alike.

Three shapes (connectors/alibaba/api.py): the `/sync` gateway's `error_response`, a token
call's top-level `code`, and a business refusal (`biz_success: false`) inside the method's
own envelope. A product under review refuses changes (`PUB_BIZCHECK_PRODUCT_IN_AUDITING`):
that is not a failure of the listing but a wait, so it is `InAudit`, a RetriableError that
asks to come back after the review (the engine retries it on a later run).
"""

from __future__ import annotations

from typing import Any

from connectors.alibaba import api
from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
    ThrottledError,
)

# Reviews take minutes to hours (observed): come back in ten minutes, not at once.
IN_AUDIT_RETRY_SECONDS = 600.0


class TokenRefused(AuthError):
    """The access token was refused as invalid or expired: a refreshed one may succeed."""


class InAudit(RetriableError):
    """The product is under Alibaba.com's review; a change is accepted after it."""


def message_of(error: dict[str, Any]) -> str:
    """`msg: sub_msg` (or `message`) of an error, never longer than 500 characters."""
    msg = str(error.get("msg") or error.get("message") or "")
    sub = str(error.get("sub_msg") or "")
    text = f"{msg}: {sub}" if msg and sub and sub not in msg else (msg or sub)
    return (text or str(error.get("code") or "error"))[:500]


def classify_error(
    error: dict[str, Any],
    *,
    account: str,
    status: int | None = None,
    retry_after: float | None = None,
) -> MarketplaceError:
    """The taxonomy error of a gateway or token-call error body."""
    code = str(error.get("code") or "")
    message = message_of(error)
    kw: dict[str, Any] = {"account": account, "status": status, "code": code or None}
    if code == api.THROTTLED:
        wait = api.ban_seconds(message)
        return ThrottledError(message, retry_after=wait if wait is not None else retry_after, **kw)
    if code in api.TOKEN_CODES:
        return TokenRefused(message, **kw)
    if code in api.AUTH_CODES:
        return AuthError(message, **kw)
    if code in api.PLATFORM_CODES or error.get("type") in ("ISP", "SYSTEM"):
        return RetriableError(message, retry_after=retry_after, **kw)
    return ItemRejected(message, **kw)  # ISV: this call is wrong, no retry fixes it


def business_error(answer: dict[str, Any], *, account: str) -> MarketplaceError | None:
    """The error a method's answer stands for when `biz_success` is false, else None."""
    if answer.get("biz_success", True) is not False:
        return None
    code = str(answer.get("msg_code") or "")
    message = str(answer.get("message") or code or "refused")[:500]
    kw: dict[str, Any] = {"account": account, "code": code or None}
    if code == api.IN_AUDIT:
        return InAudit(message, retry_after=IN_AUDIT_RETRY_SECONDS, **kw)
    if code == api.PRODUCT_NOT_FOUND:
        return NotFoundError(message, **kw)
    return ItemRejected(message, **kw)


def classify_rest(
    body: object, *, account: str, status: int | None = None, retry_after: float | None = None
) -> MarketplaceError | None:
    """A token call's answer: None when `code` is "0"."""
    if not isinstance(body, dict) or "code" not in body:
        return RetriableError("unreadable token answer", account=account, status=status)
    if str(body["code"]) == api.OK:
        return None
    return classify_error(body, account=account, status=status, retry_after=retry_after)
