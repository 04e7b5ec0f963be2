"""The error taxonomy every layer uses (design.md §4).

- RetriableError: connect error, timeout, 5xx, 429, a marketplace's throttle answer.
- ItemRejected: fatal for this listing (validation), recorded with the marketplace message.
- AccountError: fatal for the whole account — AuthError (bad credentials or signature),
  Unreachable (the marketplace did not answer connections N times in a row) or
  ImagesUnreachable (no source image could be downloaded, connectors/image_upload.py).
Messages never contain secrets: clients build them from the marketplace's answer only.
"""

from __future__ import annotations


class MarketplaceError(Exception):
    """Base of every error a connector raises."""

    def __init__(
        self,
        message: str,
        *,
        account: str = "",
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.account = account
        self.status = status
        self.code = code

    def __str__(self) -> str:
        where = f"[{self.account}] " if self.account else ""
        detail = f" (HTTP {self.status}" if self.status else ""
        if self.code:
            detail += f", code {self.code}" if detail else f" (code {self.code}"
        return f"{where}{self.message}{detail + ')' if detail else ''}"


class RetriableError(MarketplaceError):
    """Transient: try again later; `retry_after` is the marketplace's own wait, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ThrottledError(RetriableError):
    """The marketplace refused the call for rate reasons (HTTP 429 or its throttle code)."""


class ItemRejected(MarketplaceError):
    """Fatal for this item: the marketplace rejected the listing (its message is kept)."""


class NotFoundError(ItemRejected):
    """The remote listing does not exist (deleted on the marketplace)."""


class AccountError(MarketplaceError):
    """Fatal for the whole account: nothing more is sent to it in this run."""


class AuthError(AccountError):
    """Fatal for the account: credentials or signature refused. Never retried."""


class Unreachable(AccountError):
    """The account's marketplace refused or dropped connections too often in a row (the
    circuit breaker is open): fail fast instead of retrying every listing on its own."""


class ImagesUnreachable(AccountError):
    """No source image could be downloaded for a marketplace that takes image bytes
    (connectors/image_upload.py): every listing would fail on its own, so the account stops."""
