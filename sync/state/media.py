"""Uploaded images remembered in the state database (table `media_uploads`, migration 0005).

Shopee, Lazada and TikTok Shop name the images of a listing read back by references of
their own (an image id, a Lazada URL, a TikTok URI), and none lists what an account
uploaded. The client's per-process cache knows the references it uploaded; this table
tells any other process — a later `reconcile`, another Celery worker — which source image a
reference stands for, and which uploads can be used again instead of uploading once more.

`MediaStore` is the table; `StoredMediaMemory` is the connectors.image_upload.MediaMemory
the engine hands a client (`sync/engine/clients.open_client`), so connectors never import
the state layer. Two processes that upload one image at once both try to write its key's
row: the first writer wins and the second uses that upload instead of its own, so the
reference every listing carries maps back to its key (the second upload stays unused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from connectors.image_upload import Remembered
from sync.state.models import MediaRecord, utcnow

# References per look-up query: a scan's page asks for a few hundred at most, and SQLite
# before 3.32 allowed 999 bound parameters a statement.
FIND_CHUNK = 500

_COLUMNS = (MediaRecord.key, MediaRecord.digest, MediaRecord.ref, MediaRecord.uploaded)


class MediaStore:
    """The accounts' remembered uploads (an Engine, or a StateStore's)."""

    def __init__(self, engine: Engine | Any) -> None:
        self.engine: Engine = getattr(engine, "engine", engine)  # a StateStore carries one

    def load(self, account: str) -> list[Remembered]:
        """Every upload remembered for `account`, oldest first."""
        query = select(*_COLUMNS).where(MediaRecord.account == account).order_by(MediaRecord.id)
        with self.engine.connect() as conn:
            return [Remembered(*row) for row in conn.execute(query)]

    def find(self, account: str, refs: Sequence[str]) -> list[Remembered]:
        """The uploads of `account` whose reference is among `refs`, oldest first."""
        unique = list(dict.fromkeys(refs))
        found: list[Remembered] = []
        with self.engine.connect() as conn:
            for start in range(0, len(unique), FIND_CHUNK):
                query = (
                    select(*_COLUMNS)
                    .where(
                        MediaRecord.account == account,
                        MediaRecord.ref.in_(unique[start : start + FIND_CHUNK]),
                    )
                    .order_by(MediaRecord.id)
                )
                found.extend(Remembered(*row) for row in conn.execute(query))
        return found

    def remember(self, account: str, upload: Remembered) -> Remembered:
        """Keep one upload of `account` unless its key has one; the key's upload as kept.

        The first writer wins: a second process that uploaded the same image meanwhile gets
        the first one's upload back and uses it, so the reference its listings carry is the
        one this table maps back to the key (see the module doc)."""
        values = {
            "account": account,
            "key": upload.key,
            "digest": upload.digest,
            "ref": upload.ref,
            "uploaded": upload.uploaded,
            "created_at": utcnow(),
        }
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(MediaRecord).values(**values)
            conn.execute(insert.on_conflict_do_nothing(index_elements=["account", "key"]))
            # PostgreSQL: a conflicting insert waited for the other transaction, and this
            # statement's snapshot (READ COMMITTED) sees its row.
            mine = (MediaRecord.account == account, MediaRecord.key == upload.key)
            kept = conn.execute(select(*_COLUMNS).where(*mine)).one()
        return Remembered(*kept)

    def forget(self, account: str, uploads: Sequence[Remembered]) -> int:
        """Drop these uploads of `account` where the key still has that reference (another
        process may have kept a newer upload since: it stays); the rows dropped."""
        dropped = 0
        with self.engine.begin() as conn:
            for upload in uploads:
                rows = conn.execute(
                    delete(MediaRecord).where(
                        MediaRecord.account == account,
                        MediaRecord.key == upload.key,
                        MediaRecord.ref == upload.ref,
                    )
                )
                dropped += int(rows.rowcount)
        return dropped


class StoredMediaMemory:
    """connectors.image_upload.MediaMemory of one account over a StateStore: its reads and
    writes go through `StateStore.call` (in the event loop on SQLite, in a thread on a
    server), like the engine's own."""

    def __init__(self, store: Any, account: str) -> None:
        self.store = store
        self.media = MediaStore(store)
        self.account = account

    def __repr__(self) -> str:
        return f"StoredMediaMemory(account={self.account!r})"

    async def load(self) -> list[Remembered]:
        """Every upload remembered for the account."""
        loaded: list[Remembered] = await self.store.call(self.media.load, self.account)
        return loaded

    async def find(self, refs: Sequence[str]) -> list[Remembered]:
        """The account's uploads under these references."""
        found: list[Remembered] = await self.store.call(self.media.find, self.account, refs)
        return found

    async def remember(self, upload: Remembered) -> Remembered:
        """Keep one new upload of the account; the key's upload as kept."""
        kept: Remembered = await self.store.call(self.media.remember, self.account, upload)
        return kept

    async def forget(self, uploads: Sequence[Remembered]) -> None:
        """Drop uploads of the account the marketplace refused as unknown."""
        await self.store.call(self.media.forget, self.account, uploads)
