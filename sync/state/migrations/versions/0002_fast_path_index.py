"""The no-op fast path reads its two columns from an index alone.

`BindingIndex.load` asks for (sku, source_hash) of an account's listed bindings and the SKUs
of the others. With those columns in the (account, status) index the query never touches
the table. On the 600k rows a real 100k full sync left (each create writes a small intent
row that its result then grows, so rows end up scattered), a cold-cache load took 1.39 s
through the table and 0.87 s through this index built over them in one go; an index grown
during the sync is scattered too (6.9 s cold, 0.69 s warm: docs/benchmarks.md). The old
index was its prefix, so the status counts and failure listings keep using it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace (account, status) with (account, status, sku, source_hash)."""
    op.drop_index("ix_bindings_account_status", table_name="bindings")
    op.create_index(
        "ix_bindings_fast_path", "bindings", ["account", "status", "sku", "source_hash"]
    )


def downgrade() -> None:
    """Back to the plain (account, status) index."""
    op.drop_index("ix_bindings_fast_path", table_name="bindings")
    op.create_index("ix_bindings_account_status", "bindings", ["account", "status"])
