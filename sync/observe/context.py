"""The identity of the work in progress, for log lines: run id, account, SKU. Context
variables, so that asyncio tasks of concurrent runs each see their own."""

from __future__ import annotations

from contextvars import ContextVar, Token

RUN_ID: ContextVar[int | None] = ContextVar("ocop_run_id", default=None)
ACCOUNT: ContextVar[str | None] = ContextVar("ocop_account", default=None)
SKU: ContextVar[str | None] = ContextVar("ocop_sku", default=None)

RunTokens = tuple[Token[int | None], Token[str | None]]


def bind_run(run_id: int | None, account: str) -> RunTokens:
    """Every log line of this task (and the tasks it starts) carries the run and account."""
    return RUN_ID.set(run_id), ACCOUNT.set(account)


def unbind_run(tokens: RunTokens) -> None:
    """Undo `bind_run` (the run is over); harmless from another context."""
    try:
        RUN_ID.reset(tokens[0])
        ACCOUNT.reset(tokens[1])
    except ValueError:  # reset from a context other than the one that bound
        RUN_ID.set(None)
        ACCOUNT.set(None)


def clear_run() -> None:
    """Forget the run, account and SKU of this thread's context: a Celery pool process runs
    one task after another in one context, and a batch's run must not name the next task's
    log lines."""
    RUN_ID.set(None)
    ACCOUNT.set(None)
    SKU.set(None)
