"""The account lease and the create claim, in the state database.

One row per account says who is pushing it: every run of every path (inline, Celery,
reconcile, demo) takes it before sending anything and renews it while it works. A holder
that dies (SIGKILL, power loss) stops renewing, and the next run takes the lease over once
it expired. Taking it is one conditional upsert, so two processes — or two machines on one
PostgreSQL — can never both hold it.

The create claim is the belt to the lease's braces: a listing's create is only sent by the
run whose token is in `bindings.create_claim`, taken with one conditional UPDATE. A claim
whose owner no longer holds the account's live lease is stale and may be taken over (the
taker looks the SKU up first: `create_attempted` is set).

Times are the clients' UTC clocks; the lease lifetime (tens of seconds at least) is what
absorbs the skew between machines.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sync.batching import chunks
from sync.state.models import BindingRecord, BindingStatus, LeaseRecord, utcnow
from sync.state.store import StateStore


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes (it stores no zone); every time here is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def who_am_i(trigger: str) -> str:
    """A holder description for people: what runs it, which process, which machine."""
    return f"{trigger} pid {os.getpid()} on {socket.gethostname()}"


def holder_is_dead(holder: str) -> bool:
    """True when `holder` names a process of this machine that no longer exists (killed):
    its lease need not be waited out. Holders on other machines are never judged."""
    found = re.search(r" pid (\d+) on (\S+)$", holder)
    if found is None or found.group(2) != socket.gethostname():
        return False
    try:
        os.kill(int(found.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Lease:
    """One account's lease as stored."""

    account: str
    owner: str
    run_id: int | None
    holder: str
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        """ "account A is being synced by run N (started …, by …)"."""
        run = f"run {self.run_id}" if self.run_id is not None else "a run still planning"
        started = self.acquired_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"account {self.account} is being synced by {run} (started {started}, by {self.holder})"
        )


class LeaseBusy(Exception):
    """Another run holds the account's lease."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(lease.describe())
        self.lease = lease


class LeaseLost(Exception):
    """This run's lease expired or was taken over: it must stop sending."""


class Leases:
    """Take, renew, hand over and release account leases."""

    def __init__(self, store: StateStore, ttl: float = 60.0) -> None:
        self.store = store
        self.ttl = ttl

    def acquire(
        self, account: str, owner: str, holder: str, run_id: int | None = None
    ) -> Lease | None:
        """Take the lease for `owner` (also when it already holds it, or the holder's lease
        expired). Returns None when taken, else the lease that holds the account."""
        now = utcnow()
        row = {
            "account": account,
            "owner": owner,
            "run_id": run_id,
            "holder": holder,
            "acquired_at": now,
            "heartbeat_at": now,
            "expires_at": now + timedelta(seconds=self.ttl),
        }
        with self.store.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            stmt = dialect.insert(LeaseRecord).values(**row)
            mine = LeaseRecord.owner == owner
            stmt = stmt.on_conflict_do_update(
                index_elements=["account"],
                set_={
                    "owner": stmt.excluded.owner,
                    "run_id": stmt.excluded.run_id,
                    "holder": stmt.excluded.holder,
                    "heartbeat_at": stmt.excluded.heartbeat_at,
                    "expires_at": stmt.excluded.expires_at,
                    # A holder taking its own lease again (a redelivered task) keeps its start.
                    "acquired_at": case((mine, LeaseRecord.acquired_at), else_=now),
                },
                where=or_(mine, LeaseRecord.expires_at < now),
            )
            conn.execute(stmt)
            current = _read(conn, account)
        assert current is not None
        return None if current.owner == owner else current

    def take_over(self, account: str, owner: str, holder: str, dead: Lease) -> bool:
        """Take the lease from `dead` (a holder known to be gone) before its expiry; False
        when it changed hands meanwhile."""
        now = utcnow()
        with self.store.engine.begin() as conn:
            result = conn.execute(
                update(LeaseRecord)
                .where(LeaseRecord.account == account, LeaseRecord.owner == dead.owner)
                .values(
                    owner=owner,
                    run_id=None,
                    holder=holder,
                    acquired_at=now,
                    heartbeat_at=now,
                    expires_at=now + timedelta(seconds=self.ttl),
                )
            )
        return result.rowcount == 1

    def renew(self, account: str, owner: str, run_id: int | None = None) -> bool:
        """Heartbeat: push the expiry out. False when `owner` no longer holds the lease."""
        now = utcnow()
        values: dict[str, object] = {
            "heartbeat_at": now,
            "expires_at": now + timedelta(seconds=self.ttl),
        }
        if run_id is not None:
            values["run_id"] = run_id
        with self.store.engine.begin() as conn:
            result = conn.execute(
                update(LeaseRecord)
                .where(LeaseRecord.account == account, LeaseRecord.owner == owner)
                .values(**values)
            )
        return result.rowcount == 1

    def release(self, account: str, owner: str) -> None:
        """Free the lease if `owner` still holds it (idempotent)."""
        with self.store.engine.begin() as conn:
            conn.execute(
                delete(LeaseRecord).where(
                    LeaseRecord.account == account, LeaseRecord.owner == owner
                )
            )

    def holder(self, account: str) -> Lease | None:
        """The live lease of the account, or None when free (or expired)."""
        with self.store.engine.connect() as conn:
            lease = _read(conn, account)
        if lease is None or lease.expires_at < utcnow():
            return None
        return lease

    def claim_creates(
        self, account: str, owner: str, items: Sequence[tuple[str, str]]
    ) -> dict[str, bool]:
        """Record the create intent of these (sku, product_sku) and claim each for `owner`.

        Returns the SKUs `owner` now holds the claim of — only those may be created — each
        with whether it must be looked up first: True when a create of it was attempted
        before (that attempt, another run's, may have created it). A claim of
        a run that still holds the account's live lease is never taken."""
        if not items:
            return {}
        now = utcnow()
        live_owner = exists().where(
            LeaseRecord.account == account,
            LeaseRecord.owner == BindingRecord.create_claim,
            LeaseRecord.expires_at >= now,
        )
        claimed: dict[str, bool] = {}
        with self.store.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            for part in chunks(list(items), 500):
                rows = [_intent_row(account, sku, product, owner, now) for sku, product in part]
                fresh = set(
                    conn.execute(
                        dialect.insert(BindingRecord)
                        .on_conflict_do_nothing(index_elements=["account", "sku"])
                        .returning(BindingRecord.sku),
                        rows,
                    ).scalars()
                )
                claimed.update(dict.fromkeys(fresh, False))
                others = [sku for sku, _ in part if sku not in fresh]
                # Rows that exist but never saw a create (a skipped listing, a delivery
                # counted) are as fresh; rows whose create was attempted are looked up.
                for attempted in (False, True):
                    if not others:
                        break
                    taken = set(
                        conn.execute(
                            update(BindingRecord)
                            .where(
                                BindingRecord.account == account,
                                BindingRecord.sku.in_(others),
                                BindingRecord.create_attempted == attempted,
                                or_(
                                    BindingRecord.create_claim.is_(None),
                                    BindingRecord.create_claim == owner,
                                    ~live_owner,
                                ),
                            )
                            .values(
                                create_claim=owner,
                                create_claimed_at=now,
                                create_attempted=True,
                                updated_at=now,
                            )
                            .returning(BindingRecord.sku)
                            .execution_options(synchronize_session=False)
                        ).scalars()
                    )
                    claimed.update(dict.fromkeys(taken, attempted))
                    others = [sku for sku in others if sku not in taken]
        return claimed


def _intent_row(
    account: str, sku: str, product_sku: str, owner: str, now: datetime
) -> dict[str, Any]:
    return {
        "account": account,
        "sku": sku,
        "product_sku": product_sku,
        "status": BindingStatus.PENDING.value,
        "create_attempted": True,
        "create_claim": owner,
        "create_claimed_at": now,
        "attempts": 0,
        "deliveries": 0,
        "created_at": now,
        "updated_at": now,
    }


def _read(conn: Connection, account: str) -> Lease | None:
    row = conn.execute(
        select(
            LeaseRecord.account,
            LeaseRecord.owner,
            LeaseRecord.run_id,
            LeaseRecord.holder,
            LeaseRecord.acquired_at,
            LeaseRecord.heartbeat_at,
            LeaseRecord.expires_at,
        ).where(LeaseRecord.account == account)
    ).first()
    if row is None:
        return None
    return Lease(row[0], row[1], row[2], row[3], _aware(row[4]), _aware(row[5]), _aware(row[6]))
