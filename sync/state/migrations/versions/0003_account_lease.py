"""One lease per account, and the claim that lets exactly one run send a listing's create.

Every run of every path (inline, Celery, reconcile, demo) holds its account's lease while it
pushes, so a scheduled run and an operator's run never push one account at once. A lease
whose holder died stops being renewed and expires; the next run takes it over. The create
claim sits beside it: a create is only sent by the run whose token is in `create_claim`,
taken with one conditional UPDATE, so even a broken lease cannot send one create twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the leases table and the bindings' create claim."""
    op.create_table(
        "leases",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("acquired_at", TZ, nullable=False),
        sa.Column("heartbeat_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    with op.batch_alter_table("bindings") as batch:
        batch.add_column(sa.Column("create_claim", sa.String(64)))
        batch.add_column(sa.Column("create_claimed_at", TZ))


def downgrade() -> None:
    """Drop the create claim and the leases table."""
    with op.batch_alter_table("bindings") as batch:
        batch.drop_column("create_claimed_at")
        batch.drop_column("create_claim")
    op.drop_table("leases")
