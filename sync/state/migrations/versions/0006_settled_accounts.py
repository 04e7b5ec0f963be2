"""Settled accounts: the mark of a streamed sync that found nothing to do.

A no-op sync at 100k products spent about half its time loading each account's binding
index to learn that nothing had changed. A run that planned nothing now leaves a row per
account with, per catalog chunk, the digest of the chunk's SKUs and product hashes; the next
run settles a chunk whose digest is the same without loading the index.

That is only sound while the account's bindings are as the run left them. Every path that
writes a binding (a run, a Celery push, reconcile, dedupe, a requeue, a hand-edit in SQL) is
covered by triggers here rather than by the code: any insert, update or delete of a binding
deletes its account's row. SQLite has row triggers only; PostgreSQL gets statement triggers
with transition tables, one DELETE per statement instead of one per row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE = {  # event: which accounts' rows go
    "insert": "account = NEW.account",
    "update": "account IN (NEW.account, OLD.account)",
    "delete": "account = OLD.account",
}
_POSTGRES_EVENTS = {"insert": "NEW", "update": "NEW", "delete": "OLD"}


def upgrade() -> None:
    """Add the settled table and the triggers that keep it honest."""
    op.create_table(
        "settled",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("context", sa.String(64), nullable=False),
        sa.Column("chunks", sa.JSON, nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION ocop_unsettle() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM settled WHERE account IN (SELECT account FROM changed_rows);
                RETURN NULL;
            END $$
            """
        )
        for event, table in _POSTGRES_EVENTS.items():
            op.execute(
                f"CREATE TRIGGER bindings_unsettle_{event} AFTER {event.upper()} ON bindings "
                f"REFERENCING {table} TABLE AS changed_rows "
                "FOR EACH STATEMENT EXECUTE FUNCTION ocop_unsettle()"
            )
        return
    for event, where in _SQLITE.items():
        op.execute(
            f"CREATE TRIGGER bindings_unsettle_{event} AFTER {event.upper()} ON bindings "
            f"BEGIN DELETE FROM settled WHERE {where}; END"
        )


def downgrade() -> None:
    """Drop the triggers and the settled table."""
    for event in _SQLITE:
        op.execute(f"DROP TRIGGER IF EXISTS bindings_unsettle_{event}" + _on_bindings())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ocop_unsettle()")
    op.drop_table("settled")


def _on_bindings() -> str:
    return " ON bindings" if op.get_bind().dialect.name == "postgresql" else ""
