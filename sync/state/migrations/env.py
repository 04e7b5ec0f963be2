"""Alembic environment: the URL and connection come from StateStore (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from sync.state.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # offline SQL generation: `alembic upgrade --sql`
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
