"""Noticing that the catalog file changed, cheaply, and only once it is complete on disk.

One poll is a `stat` (size + modification time). Only when those moved is the file read and
hashed, and only once its modification time is `debounce` seconds old: a spreadsheet saved
twice in a row, or a file still being copied, is read once, after the last write. A file
whose content hash did not change (touched, saved unchanged) triggers nothing.

The first sight of a file is a baseline, not a change: the periodic sync (beat, or the first
run of `ocop-sync sync --watch`) covers whatever was there before the watch began.

Both watchers — the Celery task `ocop_sync.watch_catalog` (workers/watch.py) and `ocop-sync
sync --watch` (sync/cli/watch.py) — keep, per account, that a change still has to be synced:
an account busy with another run (its lease) keeps it, and the run after picks it up. A
catalog stored elsewhere later plugs in by giving its own `Seen` (a version and a digest).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class Seen:
    """The version of the catalog file last looked at: its stat and its content hash."""

    size: int
    mtime_ns: int
    digest: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the Celery watcher keeps it in Redis)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Seen | None:
        """The inverse of `as_dict` (None stays None)."""
        return None if not data else cls(int(data["size"]), int(data["mtime_ns"]), data["digest"])


def content_digest(path: Path) -> str:
    """blake2b of the file's bytes (a 150 MB catalog: ~0.3 s)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def observe(
    path: Path, known: Seen | None, debounce: float, now: float | None = None
) -> tuple[Seen | None, bool]:
    """One poll: (what is now known of the file, whether its content changed).

    The known version is kept (and no change reported) while the file is missing, while
    its last write is less than `debounce` seconds old, or when it moved while being hashed:
    the next poll looks again.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:  # replaced right now (save to temp + rename), or removed
        return known, False
    if known is not None and (stat.st_size, stat.st_mtime_ns) == (known.size, known.mtime_ns):
        return known, False
    now = time.time() if now is None else now
    if now - stat.st_mtime_ns / 1e9 < debounce:
        return known, False  # still being written, or saved again just now
    digest = content_digest(path)
    after = os.stat(path)
    if (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
        return known, False  # written while we read it
    seen = Seen(stat.st_size, stat.st_mtime_ns, digest)
    return seen, known is not None and digest != known.digest


__all__ = ["Seen", "content_digest", "observe"]
