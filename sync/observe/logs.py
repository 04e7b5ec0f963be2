"""Logging for every command and worker: text or JSON lines, each line of a run carrying
its run id, account and (where there is one) SKU.

The run's identity lives in context variables (`bind_run`, `bind_sku`): asyncio copies the
context into every task a run starts, so the lines of concurrent accounts never mix up
their ids. Query strings never reach a log line: httpx logs every request's full URL at
INFO, and marketplaces carry session keys, signatures and tokens in them.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from connectors.oauth import hide_tokens_in_http_logs
from sync.observe.context import ACCOUNT, RUN_ID, SKU
from sync.state.store import PushResult

FORMATS = ("text", "json")
_QUERY = re.compile(r"(https?://[^\s\"'?]+)\?[^\s\"']*")
log = logging.getLogger("ocop_sync.push")


class RunContext(logging.Filter):
    """Adds run_id, account and sku to every record (an explicit `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("run_id", RUN_ID), ("account", ACCOUNT), ("sku", SKU)):
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


class HideQueryStrings(logging.Filter):
    """Cuts the query string off every URL a log line quotes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY.sub(r"\1?<hidden>", message), ()
        return True


class TextFormatter(logging.Formatter):
    """`time level logger [run=… account=… sku=…] message`, the brackets only in a run."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        parts = [
            f"{name}={value}"
            for name in ("run", "account", "sku")
            if (value := getattr(record, "run_id" if name == "run" else name, None)) is not None
        ]
        if not parts:
            return line
        head, _, message = line.partition(" | ")
        return f"{head} [{' '.join(parts)}] {message}"


class _Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of each record: a command run
    in-process with its streams swapped (a test's CliRunner) leaves no handler behind that
    holds a closed stream."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def handler(fmt: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) with the context filter and the chosen format."""
    out = logging.StreamHandler(stream) if stream is not None else _Stderr()
    out.addFilter(RunContext())
    out.addFilter(HideQueryStrings())
    if fmt == "json":
        out.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(run_id)s %(account)s %(sku)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        out.setFormatter(TextFormatter("%(asctime)s %(levelname)-7s %(name)s | %(message)s"))
    return out


def level_for(verbosity: int) -> int:
    """-q: errors only; default: warnings; -v: info; -vv: debug."""
    return {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-1, min(verbosity, 2)), logging.DEBUG
    )


def style_handlers(logger: logging.Logger, fmt: str | None = None) -> None:
    """Give handlers someone else installed (Celery's) our format and filters: the workers'
    lines then carry run, account and SKU like the CLI's, as JSON when asked."""
    fmt = fmt or os.environ.get("OCOP_SYNC_LOG_FORMAT", "text")
    model = handler(fmt if fmt in FORMATS else "text")
    for existing in logger.handlers:
        existing.setFormatter(model.formatter)
        for flt in model.filters:
            if not any(type(f) is type(flt) for f in existing.filters):
                existing.addFilter(flt)


def setup_logging(fmt: str = "text", verbosity: int = 0, stream: Any = None) -> None:
    """Configure the root logger for a command (replacing what an earlier call installed)."""
    os.environ["OCOP_SYNC_LOG_FORMAT"] = fmt  # Celery workers started by this command too
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_ocop_sync", False)]:
        root.removeHandler(old)
    new = handler(fmt, stream)
    new._ocop_sync = True  # type: ignore[attr-defined]
    root.addHandler(new)
    root.setLevel(level_for(verbosity))
    # httpcore's DEBUG lines are about sockets, not our work; httpx's request lines stay.
    logging.getLogger("httpcore").setLevel(max(logging.INFO, root.level))
    # Alembic says "Context impl SQLiteImpl" on every command that opens the state.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    hide_tokens_in_http_logs()
    from sync.state import groupcommit

    if log_results not in groupcommit.committed_observers:
        groupcommit.committed_observers.append(log_results)


def log_results(results: list[PushResult]) -> None:
    """One line per recorded result: failures as warnings, successes at debug level."""
    for r in results:
        if r.ok:
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s ok (HTTP %s, %.0f ms)",
                    r.operation,
                    r.http_status or "-",
                    r.duration_ms,
                    extra={"sku": r.sku},
                )
        else:
            log.warning(
                "%s failed (HTTP %s): %s",
                r.operation,
                r.http_status or "-",
                r.message,
                extra={"sku": r.sku},
            )
