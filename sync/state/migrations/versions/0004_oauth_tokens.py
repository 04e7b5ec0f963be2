"""OAuth grants of the accounts whose shops authorise us (Shopee, later Lazada, TikTok Shop).

One row per account: the access and refresh tokens as Fernet ciphertext (the key comes from
OCOP_SYNC_SECRET_KEY, never from the database), their expiries, the shop / seller ids, when
the shop's consent itself ends, and a version that grows by one with each refresh. A refresh
locks the row (PostgreSQL) or the database (SQLite, BEGIN IMMEDIATE) and writes with a
compare-and-swap on `version`, so many processes make one refresh (sync/state/tokens.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the oauth_tokens table."""
    op.create_table(
        "oauth_tokens",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("marketplace", sa.String(32), nullable=False),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("access_expires_at", TZ, nullable=False),
        sa.Column("refresh_expires_at", TZ),
        sa.Column("authorization_expires_at", TZ),
        sa.Column("shop_id", sa.String(64)),
        sa.Column("seller_id", sa.String(64)),
        sa.Column("extra", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("authorized_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    """Drop the oauth_tokens table."""
    op.drop_table("oauth_tokens")
