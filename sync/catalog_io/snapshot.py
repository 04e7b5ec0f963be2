"""A catalog file's valid products, keyed by SKU, in a local SQLite file: what the Celery
workers read instead of holding the whole catalog in every pool process.

A worker plans a run by streaming the snapshot (memory flat, like `ocop-sync sync`), and a
batch re-plans its SKUs by reading only their products. The snapshot is built once per
version of the catalog file (its path, size and modification time) by whichever process
needs it first, under a file lock; the others wait for it and then share it. It holds what
the streamed reader admitted — the same products, in the same order, with the same slugs —
and the SKUs held by row errors (their listings are left alone, not delisted).

A Celery task must not build a large one itself: at 100k products a build takes 30–60 s,
past a task's hard time limit, and a killed build would be retried (and killed) forever.
Workers ask with `wait=False`: a small file (up to INLINE_BYTES, ~10k products: a few
seconds) is built right there; a larger one by a detached process
(`python -m sync.catalog_io.snapshot FILE`, outside any task's time limit), which the task
waits for up to `patience` seconds before it gives up the pool process and comes back
later (`SnapshotPending`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from sync.batching import chunks
from sync.catalog import Product
from sync.catalog_io.formats import open_catalog
from sync.catalog_io.row_digest import code_salt

SCHEMA = """
CREATE TABLE products (
    seq INTEGER PRIMARY KEY, sku TEXT UNIQUE NOT NULL, body TEXT NOT NULL, source BLOB
);
CREATE TABLE variants (sku TEXT PRIMARY KEY, product_sku TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
READ_CHUNK = 500  # products per query while streaming the snapshot
# A failed build is reported to the tasks waiting for it for this long; after it, the next
# task starts another build (the failure may have been passing: a full disk, a copy going on).
FAILURE_MEMORY = 300.0
# Built by the asking task itself up to this size (a 10k-product CSV is ~17 MB and builds
# in 2–4 s); starting a builder process costs ~1.5 s of imports, a lot for a small file.
INLINE_BYTES = 24 * 2**20
PATIENCE_POLL = 0.1


class SnapshotPending(Exception):
    """The snapshot of this version of the catalog is being built by another process."""


class SnapshotFailed(Exception):
    """The catalog file could not be read into a snapshot (the builder's message)."""


def cache_dir() -> Path:
    """Where snapshots live: OCOP_SYNC_CACHE_DIR, else a folder in the system's temp dir."""
    configured = os.environ.get("OCOP_SYNC_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "ocop-sync-catalogs"


class CatalogSnapshot:
    """Read side of one snapshot (open with `CatalogSnapshot.of(path)`)."""

    def __init__(self, file: Path) -> None:
        self.file = file
        # Read-only, one connection per process (a pool process never shares it).
        self._db = sqlite3.connect(f"file:{file}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        self.source = meta["source"]
        self.held: frozenset[str] = frozenset(json.loads(meta["held"]))
        self.count = int(meta["count"])

    @classmethod
    def of(cls, path: Path | str) -> CatalogSnapshot:
        """The snapshot of the catalog file as it is now, built first when missing."""
        return cls(snapshot_file(path))

    def __iter__(self) -> Iterator[Product]:
        """Every product, in the order the streamed reader gave them."""
        last = 0
        while True:
            rows = self._db.execute(
                "SELECT seq, body, source FROM products WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, READ_CHUNK),
            ).fetchall()
            if not rows:
                return
            for seq, body, source in rows:
                last = seq
                yield _product(body, source)

    def products(self, skus: Iterable[str]) -> list[Product]:
        """The products owning these variant (or product) SKUs, each once, in file order."""
        wanted = set(skus)
        owners: set[str] = set()
        for part in chunks(sorted(wanted), 500):
            marks = ",".join("?" * len(part))
            owners.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT product_sku FROM variants WHERE sku IN ({marks})", part
                )
            )
            owners.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT sku FROM products WHERE sku IN ({marks})", part
                )
            )
        found: list[tuple[int, Product]] = []
        for part in chunks(sorted(owners), 500):
            marks = ",".join("?" * len(part))
            found += [
                (seq, _product(body, source))
                for seq, body, source in self._db.execute(
                    f"SELECT seq, body, source FROM products WHERE sku IN ({marks})", part
                )
            ]
        return [product for _, product in sorted(found, key=lambda item: item[0])]

    def product_sku(self, variant_sku: str) -> str | None:
        """The product a variant SKU belongs to, or None."""
        row = self._db.execute(
            "SELECT product_sku FROM variants WHERE sku = ?", (variant_sku,)
        ).fetchone()
        return str(row[0]) if row else None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def _product(body: str, source: bytes | None) -> Product:
    """A stored product, with the digest of the rows it was read from (if any), so that it
    hashes as it did when the file itself was read (`sync.plan.product_hash`)."""
    product = Product.model_validate_json(body)
    if source is not None:
        product.read_from(source)
    return product


def snapshot_file(path: Path | str, *, wait: bool = True, patience: float = 0.0) -> Path:
    """The snapshot file of the catalog file as it is now (path, size, modification time).

    Missing, it is built first (`wait=True`, the caller's own time). With `wait=False` (a
    worker's task) only a small file is built here; for a larger one a detached builder is
    started when none is at work, waited for up to `patience` seconds, and then
    `SnapshotPending` is raised. `SnapshotFailed` when the last build of this version failed
    a short while ago."""
    source = Path(path).resolve()
    file, lock = _places(source)
    if file.exists():
        return file
    if wait:
        return _build_here(source, file, lock)
    if source.stat().st_size > INLINE_BYTES:
        return _from_builder(source, file, lock, patience)
    try:
        return _build_here(source, file, lock)
    except Exception as exc:  # a task tells its caller why, it does not crash on it
        raise SnapshotFailed(f"{source}: {exc}") from exc


def _build_here(source: Path, file: Path, lock: Path) -> Path:
    with _locked(lock):
        if not file.exists():  # another process may have built it meanwhile
            _build(source, file)
            _drop_older(lock.parent, file)
    return file


def _from_builder(source: Path, file: Path, lock: Path, patience: float) -> Path:
    """The file once a detached builder made it, waiting up to `patience` seconds."""
    _raise_recent_failure(file)
    _start_builder(source, lock)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        time.sleep(PATIENCE_POLL)
        if file.exists():
            return file
        _raise_recent_failure(file)
    raise SnapshotPending(f"the snapshot of {source} is being built")


def _places(source: Path) -> tuple[Path, Path]:
    """The snapshot file of this version of `source`, and the lock of its builders."""
    stat = source.stat()
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    place = hashlib.sha256(str(source).encode()).hexdigest()[:16]
    # The code's salt too: a snapshot holds products as this code reads them (and the
    # digests of their rows, which the salt starts), and the table layout of this code.
    version = hashlib.sha256(
        f"{stat.st_size}:{stat.st_mtime_ns}:{code_salt().hex()}".encode()
    ).hexdigest()[:16]
    return folder / f"catalog-{place}-{version}.sqlite", folder / f"catalog-{place}.lock"


_builders: list[subprocess.Popen[bytes]] = []


def _start_builder(source: Path, lock: Path) -> None:
    """Start a detached builder unless one holds the lock already."""
    _builders[:] = [b for b in _builders if b.poll() is None]  # reap the finished ones
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a builder is at work
        fcntl.flock(handle, fcntl.LOCK_UN)
    # Two tasks may both get here: the second builder waits on the lock, then finds the
    # file built and exits.
    _builders.append(
        subprocess.Popen(
            [sys.executable, "-m", "sync.catalog_io.snapshot", str(source)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the task's pool process if that is recycled
        )
    )


def _failure_file(file: Path) -> Path:
    return file.with_suffix(".failed")


def _raise_recent_failure(file: Path) -> None:
    marker = _failure_file(file)
    with contextlib.suppress(FileNotFoundError):
        if time.time() - marker.stat().st_mtime < FAILURE_MEMORY:
            raise SnapshotFailed(marker.read_text(encoding="utf-8"))
        marker.unlink()


def build_detached(path: Path | str) -> int:
    """Entry of the detached builder: build, or leave the reason beside the snapshot."""
    source = Path(path).resolve()
    try:
        snapshot_file(source)
    except Exception as exc:  # reported to the tasks waiting for it, not lost
        file, _ = _places(source)
        _failure_file(file).write_text(f"{source}: {exc}", encoding="utf-8")
        return 1
    return 0


def _build(source: Path, file: Path) -> None:
    """Stream the catalog into a new snapshot file, moved into place when complete."""
    stream = open_catalog(source)
    partial = file.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.executescript(SCHEMA)
        count = 0
        for batch in chunks(iter(stream), 1000):
            db.executemany(
                "INSERT INTO products (sku, body, source) VALUES (?, ?, ?)",
                [(p.sku, p.model_dump_json(), p.source_digest()) for p in batch],
            )
            db.executemany(
                "INSERT OR IGNORE INTO variants (sku, product_sku) VALUES (?, ?)",
                [(v.sku, p.sku) for p in batch for v in p.variants],
            )
            count += len(batch)
        meta = {"source": str(source), "held": json.dumps(sorted(stream.held())), "count": count}
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
        db.commit()
    finally:
        db.close()
    os.replace(partial, file)


def _drop_older(folder: Path, keep: Path) -> None:
    # Older versions of the same file: a process still reading one keeps its open handle.
    place = keep.name.split("-")[1]
    for old in [
        *folder.glob(f"catalog-{place}-*.sqlite"),
        *folder.glob(f"catalog-{place}-*.failed"),
    ]:
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


if __name__ == "__main__":
    sys.exit(build_detached(sys.argv[1]))
