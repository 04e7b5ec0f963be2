"""A token call sent as a signed form POST, and its answer of lifetimes read as a grant.

Alibaba.com (ICBU) and Lazada speak one open-platform protocol for OAuth: `/auth/token/
create` and `/auth/token/refresh` take form parameters signed like any call and answer the
pair with `expires_in` / `refresh_expires_in` in seconds. What differs (signature, URL,
error codes, where the seller id sits in the answer) each connector passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from connectors.errors import AuthError, MarketplaceError, RetriableError
from connectors.http import parse_retry_after
from connectors.oauth import RefreshAnswerLost, TokenGrant
from sync.settings import Account


class Classify(Protocol):
    """A connector's answer classifier: the taxonomy error a body stands for, or None."""

    def __call__(
        self, body: object, *, account: str, status: int | None, retry_after: float | None
    ) -> MarketplaceError | None: ...


async def post_token_form(
    account: Account,
    http: httpx.AsyncClient,
    url: str,
    form: dict[str, str],
    *,
    path: str,
    refresh: bool,
    classify: Classify,
    refused: type[AuthError],
) -> tuple[httpx.Response, Any]:
    """POST the signed `form` to `url`; (response, body) of an answer that is no error.

    A token the marketplace refuses (`refused`, its "invalid or expired" error) becomes a
    plain AuthError: here no refresh can fix it. A refresh sent and never answered is
    RefreshAnswerLost, as the pair may have been rotated already.
    """
    try:
        response = await http.post(url, data=form)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise RetriableError(  # nothing was sent: safe to try again
            f"token call {path} failed ({type(exc).__name__})", account=account.name
        ) from None
    except httpx.HTTPError as exc:
        if refresh:
            # Sent, unanswered: the platform may have rotated the pair already.
            raise RefreshAnswerLost(
                f"token refresh unanswered ({type(exc).__name__})", account=account.name
            ) from None
        raise RetriableError(
            f"token call {path} failed ({type(exc).__name__})", account=account.name
        ) from None
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = classify(
        body,
        account=account.name,
        status=response.status_code if response.status_code != 200 else None,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
    if isinstance(error, refused):
        error = AuthError(error.message, account=account.name, code=error.code)
    if error is not None:
        raise error
    return response, body


def grant_of_lifetimes(
    body: dict[str, Any],
    account_name: str,
    identity: Callable[[dict[str, Any]], tuple[str | None, dict[str, str]]],
) -> TokenGrant:
    """A TokenGrant from a token answer whose lifetimes are seconds from now; `identity`
    reads the seller id and the extras the marketplace's answer carries."""
    now = datetime.now(UTC)
    try:
        access, refresh = str(body["access_token"]), str(body["refresh_token"])
        expires_in = int(body["expires_in"])
        refresh_in = body.get("refresh_expires_in")
    except (KeyError, TypeError, ValueError):
        raise MarketplaceError(
            "token answer without access_token, refresh_token or expires_in", account=account_name
        ) from None
    seller_id, extra = identity(body)
    return TokenGrant(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=now + timedelta(seconds=expires_in),
        refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        seller_id=seller_id,
        extra=extra,
    )
