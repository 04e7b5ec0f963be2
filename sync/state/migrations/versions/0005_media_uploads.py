"""Images uploaded to marketplaces that cannot list an account's uploads (Shopee's media
space, Lazada's migrated images, TikTok Shop's product images).

Their listings read back name images by the marketplace's own references, which only the
process that uploaded them knew: a `reconcile` in another process saw every listing as
edited. One row per account and source key (the last upload of that key wins): the content
hash, the reference, and what the client needs to use the upload again; looked up by
account and reference when a scan meets one (sync/state/media.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the media_uploads table."""
    op.create_table(
        "media_uploads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("uploaded", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account", "key", name="uq_media_uploads_account_key"),
    )
    op.create_index("ix_media_uploads_account_ref", "media_uploads", ["account", "ref"])


def downgrade() -> None:
    """Drop the media_uploads table."""
    op.drop_index("ix_media_uploads_account_ref", table_name="media_uploads")
    op.drop_table("media_uploads")
