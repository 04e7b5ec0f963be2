"""OAuth grants in the state database, encrypted, refreshed once across every process.

`TokenStore` keeps one row per account (migration 0004): the tokens and `extra` as Fernet
ciphertext (sync/state/cipher.py), expiries, shop / seller ids and a version. A refresh
happens inside `TokenStore.refresh_locked`: the row is locked for the whole exchange with
the marketplace (PostgreSQL: SELECT … FOR UPDATE; SQLite: BEGIN IMMEDIATE, which holds the
database's write lock), the version read before the lock is compared with the locked one —
a process that finds it changed lost the race and takes the winner's pair instead of
refreshing again — and the new pair is written with a compare-and-swap on the version and
committed before anyone uses it.

The engine's side is `StoredTokenProvider` (connectors.oauth.TokenProvider) and
`token_provider_for`, in sync/state/token_provider.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from connectors.oauth import TokenGrant, Tokens
from sync.state.cipher import TokenCipher
from sync.state.models import TokenRecord, utcnow

log = logging.getLogger("ocop_sync.tokens")

_COLUMNS = [c for c in TokenRecord.__table__.columns]


class VersionConflict(RuntimeError):
    """The row changed under a held lock: a bug or a lock that does not hold, never normal."""


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes (stored as UTC text); PostgreSQL aware ones.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class TokenStatus:
    """What `ocop-sync auth --status` shows: dates and ids only, never a token."""

    account: str
    marketplace: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    authorization_expires_at: datetime | None
    shop_id: str | None
    version: int
    authorized_at: datetime
    updated_at: datetime


class TokenStore:
    """Encrypted OAuth grants of the state database (an Engine, or a StateStore's)."""

    def __init__(self, engine: Engine | Any, cipher: TokenCipher | None) -> None:
        self.engine: Engine = getattr(engine, "engine", engine)  # a StateStore carries one
        self.cipher = cipher

    def __repr__(self) -> str:
        return f"TokenStore({self.engine.url.render_as_string(hide_password=True)})"

    # -- rows <-> Tokens --------------------------------------------------------------------
    def _need_cipher(self) -> TokenCipher:
        if self.cipher is None:
            raise RuntimeError("TokenStore built without a cipher cannot read or write tokens")
        return self.cipher

    def _tokens(self, row: Any) -> Tokens:
        cipher = self._need_cipher()
        extra = json.loads(cipher.decrypt(row.extra, account=row.account)) if row.extra else {}
        return Tokens(
            access_token=cipher.decrypt(row.access_token, account=row.account),
            refresh_token=cipher.decrypt(row.refresh_token, account=row.account),
            access_expires_at=_utc(row.access_expires_at) or utcnow(),
            refresh_expires_at=_utc(row.refresh_expires_at),
            authorization_expires_at=_utc(row.authorization_expires_at),
            shop_id=row.shop_id,
            seller_id=row.seller_id,
            extra=extra,
            version=row.version,
        )

    def _values(self, grant: TokenGrant, before: Tokens | None) -> dict[str, Any]:
        # A refresh answer often omits what does not change: keep the stored value then.
        cipher = self._need_cipher()
        kept = grant.keeping(before) if before else grant
        return {
            "access_token": cipher.encrypt(kept.access_token),
            "refresh_token": cipher.encrypt(kept.refresh_token),
            "access_expires_at": _utc(kept.access_expires_at),
            "refresh_expires_at": _utc(kept.refresh_expires_at),
            "authorization_expires_at": _utc(kept.authorization_expires_at),
            "shop_id": kept.shop_id,
            "seller_id": kept.seller_id,
            "extra": cipher.encrypt(json.dumps(kept.extra, sort_keys=True)) if kept.extra else None,
            "updated_at": utcnow(),
        }

    # -- reads ------------------------------------------------------------------------------
    def load(self, account: str) -> Tokens | None:
        """The account's current tokens (decrypted), or None when it was never authorised."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(TokenRecord.account == account)).first()
        return self._tokens(row) if row else None

    def has(self, account: str) -> bool:
        """True when the account has a stored grant (needs no key)."""
        query = select(TokenRecord.account).where(TokenRecord.account == account)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def statuses(self) -> list[TokenStatus]:
        """Every stored grant's dates and ids (needs no key: nothing is decrypted)."""
        query = select(
            TokenRecord.account,
            TokenRecord.marketplace,
            TokenRecord.access_expires_at,
            TokenRecord.refresh_expires_at,
            TokenRecord.authorization_expires_at,
            TokenRecord.shop_id,
            TokenRecord.version,
            TokenRecord.authorized_at,
            TokenRecord.updated_at,
        ).order_by(TokenRecord.account)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            TokenStatus(
                account=row.account,
                marketplace=row.marketplace,
                access_expires_at=_utc(row.access_expires_at) or utcnow(),
                refresh_expires_at=_utc(row.refresh_expires_at),
                authorization_expires_at=_utc(row.authorization_expires_at),
                shop_id=row.shop_id,
                version=row.version,
                authorized_at=_utc(row.authorized_at) or utcnow(),
                updated_at=_utc(row.updated_at) or utcnow(),
            )
            for row in rows
        ]

    # -- writes -----------------------------------------------------------------------------
    def save(self, account: str, marketplace: str, grant: TokenGrant) -> Tokens:
        """Store a new authorisation (a code exchange): replaces any earlier grant."""
        with self.locked(account) as (conn, before):
            values = self._values(grant, None)
            values["authorized_at"] = values["updated_at"]
            if before is None:
                values.update(account=account, marketplace=marketplace, version=1)
                conn.execute(insert(TokenRecord).values(**values))
            else:
                values.update(marketplace=marketplace, version=before.version + 1)
                conn.execute(
                    update(TokenRecord).where(TokenRecord.account == account).values(**values)
                )
        log.info("account %s: authorisation stored (version %d)", account, values["version"])
        stored = self.load(account)
        assert stored is not None
        return stored

    def delete(self, account: str) -> bool:
        """Forget an account's grant; True when there was one."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(delete(TokenRecord).where(TokenRecord.account == account)).rowcount
            )

    def rekey(self) -> int:
        """Re-encrypt every stored grant under the first key; the number of rows."""
        cipher = self._need_cipher()
        done = 0
        for status in self.statuses():
            with self.locked(status.account) as (conn, _):
                row = conn.execute(
                    select(*_COLUMNS).where(TokenRecord.account == status.account)
                ).one()
                values = {
                    name: cipher.rotate(getattr(row, name), account=row.account)
                    for name in ("access_token", "refresh_token", "extra")
                    if getattr(row, name)
                }
                conn.execute(
                    update(TokenRecord).where(TokenRecord.account == row.account).values(**values)
                )
                done += 1
        return done

    @contextmanager
    def locked(self, account: str) -> Iterator[tuple[Connection, Tokens | None]]:
        """A transaction holding the account's row against every other process; commits
        on a clean exit, rolls back on an exception."""
        with self.engine.connect() as conn:
            query = select(*_COLUMNS).where(TokenRecord.account == account)
            if conn.dialect.name == "sqlite":
                # SQLite has no row locks: take the database's write lock up front (a plain
                # BEGIN would let two readers in and fail one of them at its write).
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                query = query.with_for_update()
            try:
                row = conn.execute(query).first()
                yield conn, (self._tokens(row) if row else None)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def refresh_locked(
        self,
        account: str,
        seen_version: int,
        refresh: Callable[[Tokens], TokenGrant],
    ) -> tuple[Tokens, bool]:
        """Refresh the account's tokens unless someone already did.

        Under the lock: a stored version other than `seen_version` means another process
        refreshed meanwhile, and its pair is returned as is (`False`). Otherwise `refresh`
        (the marketplace call) runs with the lock held, and its pair is written with a
        compare-and-swap on the version and committed before it is returned (`True`). An
        exception from `refresh` rolls back and leaves the stored pair as it was.
        """
        with self.locked(account) as (conn, current):
            if current is None:
                raise LookupError(account)
            if current.version != seen_version:
                return current, False
            grant = refresh(current)
            values = self._values(grant, current)
            values["version"] = current.version + 1
            written = conn.execute(
                update(TokenRecord)
                .where(TokenRecord.account == account, TokenRecord.version == current.version)
                .values(**values)
            ).rowcount
            if written != 1:
                raise VersionConflict(f"account {account}: token row changed under its lock")
        log.info("account %s: tokens refreshed (version %d)", account, values["version"])
        fresh = self.load(account)
        assert fresh is not None
        return fresh, True
