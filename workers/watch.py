"""The catalog watch on Celery: beat sends `ocop_sync.watch_catalog` every few seconds
(`schedule.watch_every_seconds`); each tick is a `stat` of the configured catalog file, and
a content hash only when size or modification time moved (sync/watch.py).

A changed catalog makes every account pending; a pending account whose lease is free gets a
plan task (trigger "watch") — the same incremental sync beat's periodic tick sends. An
account busy with another run (a worker's, an operator's inline one) stays pending and is
sent on the first tick after that run released it: the run after picks the change up, and a
change never starts a second run beside a running one. What the watch knows (the last
version seen, the pending accounts) lives in Redis, so a restarted beat or another worker
carries on where the last tick stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from sync.state.leases import Leases
from sync.watch import Seen, observe
from workers.app import app
from workers.context import WorkerContext, get_context
from workers.tasks import plan_task

log = logging.getLogger("ocop_sync.watch")

LOCK_TTL = 120  # seconds: hashing a large catalog on a busy machine, with room to spare


def state_key(path: Path) -> str:
    """The Redis key of what the watch knows about this catalog file."""
    return "ocop:watch:" + hashlib.sha256(str(path).encode()).hexdigest()[:16]


@app.task(name="ocop_sync.watch_catalog")
def watch_catalog() -> dict[str, Any]:
    """One watch tick: notice a change of the catalog file, send the accounts it reaches."""
    ctx = get_context()
    if ctx.settings.catalog is None:
        return {"status": "no catalog configured"}
    path = Path(ctx.settings.catalog).resolve()
    # One tick at a time: a slow hash must not let the next tick send the same accounts.
    lock = ctx.redis.lock("ocop:lock:watch", timeout=LOCK_TTL, blocking=False)
    if not lock.acquire(blocking=False):
        return {"status": "another tick is watching"}
    try:
        return _tick(ctx, path)
    finally:
        lock.release()


def _tick(ctx: WorkerContext, path: Path) -> dict[str, Any]:
    key = state_key(path)
    raw = ctx.redis.get(key)
    state = json.loads(raw) if raw else {}
    known = Seen.from_dict(state.get("seen"))
    seen, changed = observe(path, known, ctx.settings.schedule.watch_debounce_seconds)
    pending = set(state.get("pending", []))
    if changed:
        pending.update(account.name for account in ctx.settings.accounts)
        log.info(
            "catalog %s changed (%d bytes): syncing %s",
            path,
            seen.size if seen else 0,
            ", ".join(sorted(pending)),
        )
    sent: list[str] = []
    leases = Leases(ctx.store, ctx.tuning.run_lock_ttl)
    for name in sorted(pending):
        if leases.holder(name) is not None:
            continue  # busy: the first tick after that run sends it
        # A plan task that still finds the lease taken (a run started since we looked)
        # answers "already running"; that run took its lease after the change was complete
        # on disk, so it reads the new catalog.
        plan_task.apply_async(kwargs={"account": name, "kind": "sync", "trigger": "watch"})
        sent.append(name)
    pending.difference_update(sent)
    if seen != known or sent or changed:
        body = {"seen": seen.as_dict() if seen else None, "pending": sorted(pending)}
        ctx.redis.set(key, json.dumps(body))
    if sent:
        log.info("catalog watch: sync sent for %s", ", ".join(sent))
    return {"changed": changed, "sent": sent, "pending": sorted(pending)}
