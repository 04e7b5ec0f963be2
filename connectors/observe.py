"""Hooks the HTTP layer calls for every answer, so that metrics (sync/observe/metrics.py)
can count requests without the request loop knowing about them. With no observer
installed a request pays one list check.

`LAST_STATUS` is the HTTP status of the last answer seen in the current task: the push
core reads it after an operation to record the status of a success in the audit trail.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol

LAST_STATUS: ContextVar[int | None] = ContextVar("ocop_last_http_status", default=None)


class HttpObserver(Protocol):
    """Told about each request a marketplace client sends."""

    def answered(
        self, account: str, marketplace: str, status: int | None, error: BaseException | None
    ) -> None:
        """One attempt ended: its HTTP status (None: no answer) and the classified error."""
        ...

    def retrying(self, account: str, marketplace: str) -> None:
        """A failed attempt will be tried again."""
        ...

    def waited(self, account: str, seconds: float) -> None:
        """Time one request spent waiting on the account's rate limiter."""
        ...


observers: list[HttpObserver] = []


def retrying(account: str, marketplace: str) -> None:
    """Tell the observers that a failed attempt will be tried again."""
    for observer in observers:
        observer.retrying(account, marketplace)
