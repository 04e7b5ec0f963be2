"""SQLAlchemy tables of the state store. Schema changes go through Alembic migrations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Timezone-aware now (UTC)."""
    return datetime.now(UTC)


class Timestamp(TypeDecorator[datetime]):
    """A timezone-aware DateTime whose SQLite text form is computed once per value.

    A group of results or claims is written with one `now` in several columns of hundreds
    of rows; SQLite's DateTime formats each of them anew (~2 µs each, 7 per create). The
    processor remembers the last value it formatted (by identity) — as one tuple, so a
    thread sharing the engine never sees one value's text paired with another's.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The impl's processor (None on PostgreSQL: the driver takes datetimes), memoised."""
        inner = self.impl_instance.bind_processor(dialect)
        if inner is None:
            return None
        last: tuple[object, Any] = (object(), None)

        def process(value: Any) -> Any:
            nonlocal last
            seen = last
            if seen[0] is value:
                return seen[1]
            text = inner(value)
            last = (value, text)
            return text

        return process


class BindingStatus(StrEnum):
    """Where one listing stands on one account."""

    PENDING = "pending"  # planned, not pushed yet
    LISTED = "listed"
    IN_REVIEW = "in_review"  # pushed; the marketplace reviews it before it goes on sale
    FAILED = "failed"  # last push failed; last_error has the marketplace's message
    DELISTED = "delisted"
    SKIPPED = "skipped"  # not listable / fails the marketplace's rules; reason says why


class Base(DeclarativeBase):
    """Declarative base of the state tables."""


class BindingRecord(Base):
    """The centre of the model: one (account, SKU) and what we last pushed for it."""

    __tablename__ = "bindings"
    __table_args__ = (
        UniqueConstraint("account", "sku", name="uq_bindings_account_sku"),
        # Covers the no-op fast path's query (migration 0002 says why).
        Index("ix_bindings_fast_path", "account", "status", "sku", "source_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    product_sku: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=BindingStatus.PENDING.value)
    reason: Mapped[str | None] = mapped_column(Text)  # skip reason or last error message
    error_kind: Mapped[str | None] = mapped_column(String(32))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    source_hash: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[str | None] = mapped_column(String(32))  # as pushed (VND int or USD text)
    stock: Mapped[int | None] = mapped_column(Integer)
    create_attempted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Token of the run allowed to send this listing's create (migration 0003 says why).
    create_claim: Mapped[str | None] = mapped_column(String(64))
    create_claimed_at: Mapped[datetime | None] = mapped_column(Timestamp())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    synced_at: Mapped[datetime | None] = mapped_column(Timestamp())


class AuditRecord(Base):
    """One push: what was sent, how it went."""

    __tablename__ = "audit"
    __table_args__ = (
        Index("ix_audit_account_sku", "account", "sku"),
        Index("ix_audit_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    run_id: Mapped[int | None] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | failed
    http_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text)


class RunRecord(Base):
    """One sync/resync/reconcile run of one account."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_account_started", "account", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # sync | resync | reconcile
    trigger: Mapped[str] = mapped_column(String(16))  # cli | beat | demo | celery
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp())
    planned: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    outcome: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class LeaseRecord(Base):
    """Who is pushing one account right now: one row per account, renewed by heartbeats."""

    __tablename__ = "leases"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))  # the holder's token
    run_id: Mapped[int | None] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(255))  # who, for people: "cli pid 123 on host"
    acquired_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp())


class TokenRecord(Base):
    """One OAuth account's current grant (migration 0004). Tokens and `extra` are Fernet
    ciphertext (sync/state/tokens.py); `version` grows by one with each refresh."""

    __tablename__ = "oauth_tokens"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(32))
    access_token: Mapped[str] = mapped_column(Text)  # ciphertext
    refresh_token: Mapped[str] = mapped_column(Text)  # ciphertext
    access_expires_at: Mapped[datetime] = mapped_column(Timestamp())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(Timestamp())
    authorization_expires_at: Mapped[datetime | None] = mapped_column(Timestamp())
    shop_id: Mapped[str | None] = mapped_column(String(64))
    seller_id: Mapped[str | None] = mapped_column(String(64))
    extra: Mapped[str | None] = mapped_column(Text)  # ciphertext of a JSON object
    version: Mapped[int] = mapped_column(Integer, default=1)
    authorized_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class MediaRecord(Base):
    """One image an account uploaded to a marketplace that cannot list its uploads (migration
    0005): our source key, the content hash, the marketplace's reference and what the
    client needs to use the upload again (sync/state/media.py)."""

    __tablename__ = "media_uploads"
    __table_args__ = (
        UniqueConstraint("account", "key", name="uq_media_uploads_account_key"),
        # A scan reads references back: which key does this one stand for?
        Index("ix_media_uploads_account_ref", "account", "ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), default="")
    ref: Mapped[str] = mapped_column(Text)
    uploaded: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class SettledRecord(Base):
    """The mark a streamed sync leaves on an account when it found nothing to do (migration
    0006, sync/state/settled.py): per chunk of the catalog, the digest of its keys and what
    the plan counted. A trigger on `bindings` deletes the account's row on any write, so a
    row that exists says the account's state is as that run left it."""

    __tablename__ = "settled"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))  # the run that may confirm this row
    context: Mapped[str] = mapped_column(String(64))  # code, day, account settings, chunk size
    chunks: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))  # NULL: pending
    settled_at: Mapped[datetime | None] = mapped_column(Timestamp())
