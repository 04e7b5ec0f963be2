"""Settled accounts in the state database: the mark a streamed sync leaves on an account
when it found nothing to do, so that the next sync need not load the account's bindings to
learn the same (sync.settled decides; this module stores).

A mark is only as good as the bindings it was taken over. Migration 0006 puts triggers on
`bindings` that delete the account's row on any insert, update or delete, by any code or by
hand: a row that exists says no binding of the account was written since it was made.

The handshake has two steps so that a write during the run also counts:

    open_mark:     read the last confirmed mark, replace it by a pending row (this run's token)
    confirm_mark:  fill the pending row, only if it still exists with this run's token

A binding written between the two deletes the pending row, and the confirmation finds
nothing; another run opening its own mark meanwhile changes the token.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from sync.state.models import SettledRecord, utcnow
from sync.state.store import StateStore


@dataclass(frozen=True)
class SettledChunk:
    """One chunk of a run that planned nothing: the digest of its keys, and what its plan
    counted (so that a chunk settled from the mark reports the same)."""

    digest: str
    noops: int
    out_of_scope: tuple[tuple[str, str], ...]  # (sku, rule)
    skips: tuple[tuple[str, str, str], ...]  # (sku, product_sku, reason)

    def as_json(self) -> list[Any]:
        """The stored form (JSON has no tuples)."""
        return [self.digest, self.noops, self.out_of_scope, self.skips]

    @classmethod
    def from_json(cls, value: list[Any]) -> SettledChunk:
        """Back from `as_json`."""
        digest, noops, out, skips = value
        return cls(digest, noops, tuple(map(tuple, out)), tuple(map(tuple, skips)))


TRIGGERS = ("bindings_unsettle_insert", "bindings_unsettle_update", "bindings_unsettle_delete")
log = logging.getLogger("ocop_sync.settled")


def read_mark(store: StateStore, account: str, context: str) -> list[SettledChunk]:
    """The chunks of the account's confirmed mark made in `context` (empty if there is none).
    Alone, for a dry run: it opens nothing, so nothing it plans can leave a mark."""
    with store.engine.connect() as conn:
        return _chunks(conn, account, context) if _guarded(conn) else []


def settled_since(store: StateStore) -> dict[str, datetime]:
    """Per settled account, when the run that left its mark ended: no binding of the account
    was written since (the triggers would have deleted the mark). Whether the mark also fits
    the catalog of the next run is that run's question (its chunks, its day)."""
    with store.engine.connect() as conn:
        if not _guarded(conn):
            return {}
        rows = conn.execute(
            select(SettledRecord.account, SettledRecord.settled_at).where(
                SettledRecord.chunks.is_not(None)
            )
        )
        return {account: at for account, at in rows if at is not None}


def open_mark(store: StateStore, account: str, context: str) -> tuple[list[SettledChunk], str]:
    """The chunks of the account's confirmed mark made in `context` (empty if there is none),
    and the token of the pending row that replaces it for this run ("" when the triggers
    are missing: then no mark is read or left)."""
    token = secrets.token_hex(16)
    row = {"account": account, "token": token, "context": context, "chunks": None}
    with store.engine.begin() as conn:
        if not _guarded(conn):
            # Marks left from before may have outlived writes: none is trusted again.
            conn.execute(delete(SettledRecord))
            return [], ""
        found = _chunks(conn, account, context)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(SettledRecord).values(row)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["account"],
                set_={"token": token, "context": context, "chunks": None, "settled_at": None},
            )
        )
    return found, token


def _guarded(conn: Connection) -> bool:
    """Are the triggers that delete marks in place? A later migration that rebuilds the
    bindings table (SQLite's batch mode copies it) would drop them silently, and a mark would
    then outlive the writes it must not: without them, marks are neither read nor left."""
    if conn.dialect.name == "postgresql":
        query = text(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'bindings'::regclass "
            "AND NOT tgisinternal AND tgname = ANY(:names)"
        ).bindparams(names=list(TRIGGERS))
    else:
        query = text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'bindings' AND name IN (:a, :b, :c)"
        ).bindparams(a=TRIGGERS[0], b=TRIGGERS[1], c=TRIGGERS[2])
    if conn.execute(query).scalar() == len(TRIGGERS):
        return True
    log.warning("the triggers on bindings are missing: accounts are not settled (migration 0006)")
    return False


def _chunks(conn: Connection, account: str, context: str) -> list[SettledChunk]:
    found = conn.execute(
        select(SettledRecord.context, SettledRecord.chunks).where(SettledRecord.account == account)
    ).first()
    if found is None or found.context != context or not found.chunks:
        return []
    return [SettledChunk.from_json(c) for c in found.chunks]


def confirm_mark(store: StateStore, account: str, token: str, chunks: list[SettledChunk]) -> bool:
    """Fill this run's pending row with its chunks; False when a binding of the account was
    written since `open_mark` (the row is gone) or another run opened a mark (other token)."""
    with store.engine.begin() as conn:
        done = conn.execute(
            update(SettledRecord)
            .where(SettledRecord.account == account, SettledRecord.token == token)
            .values(chunks=[c.as_json() for c in chunks], settled_at=utcnow())
        )
    return done.rowcount == 1
