"""Initial schema: bindings, audit, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "bindings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("product_sku", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(128)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("source_hash", sa.String(64)),
        sa.Column("price", sa.String(32)),
        sa.Column("stock", sa.Integer),
        sa.Column("create_attempted", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("synced_at", TZ),
        sa.UniqueConstraint("account", "sku", name="uq_bindings_account_sku"),
    )
    op.create_index("ix_bindings_account_status", "bindings", ["account", "status"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("changed", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_audit_account_sku", "audit", ["account", "sku"])
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("planned", sa.JSON, nullable=False),
        sa.Column("outcome", sa.JSON, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
    )
    op.create_index("ix_runs_account_started", "runs", ["account", "started_at"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("runs")
    op.drop_table("audit")
    op.drop_table("bindings")
