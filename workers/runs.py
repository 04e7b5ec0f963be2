"""Run bookkeeping without chords: a Redis record per run, counted down by its batches.

A run's record holds what its batches need (catalog path, force flag, the run lock's
token), its batches (SKU lists, so a redelivered planning task can re-send them), and the
counters the CLI shows (operations finished, requests sent). Each batch, when it is done
for good, adds itself to the run's done-set in one script: a batch delivered twice counts
once. The batch that sees nothing left finishes the run in the state store and frees the
run lock; finishing is idempotent, so two batches racing to the end are harmless.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def run_key(run_id: int) -> str:
    """Redis key of a run's record (a hash)."""
    return f"ocop:run:{run_id}"


def finished_channel(run_id: int) -> str:
    """Redis pub/sub channel told when a run closes (its followers wake at once)."""
    return f"ocop:run:{run_id}:finished"


def token_key(token: str) -> str:
    """Redis key mapping a planning task's token to the run it started."""
    return f"ocop:runtoken:{token}"


@dataclass(frozen=True)
class RunInfo:
    """What a batch needs to know about its run."""

    run_id: int
    account: str
    token: str
    catalog: str | None
    force: bool
    finished: bool
    auth_error: str | None


@dataclass(frozen=True)
class Progress:
    """How far a run is: operations finished of planned, and whether it is over."""

    run_id: int
    account: str
    finished_ops: int
    total_ops: int
    finished: bool


# KEYS[1] run hash, KEYS[2] done-set; ARGV[1] batch index, ARGV[2] requests, ARGV[3] ttl.
# Returns the number of batches still to finish.
_BATCH_DONE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  local size = redis.call('HGET', KEYS[1], 'size:' .. ARGV[1]) or '0'
  redis.call('HINCRBY', KEYS[1], 'finished_ops', tonumber(size))
  redis.call('HINCRBY', KEYS[1], 'requests', tonumber(ARGV[2]))
end
local batches = tonumber(redis.call('HGET', KEYS[1], 'batches'))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return batches - redis.call('SCARD', KEYS[2])
"""


class RunBook:
    """Read and write run records in Redis."""

    def __init__(self, redis: Redis, ttl: int) -> None:
        self.redis = redis
        self.ttl = ttl
        self._batch_done = redis.register_script(_BATCH_DONE)

    def open(
        self,
        run_id: int,
        account: str,
        token: str,
        *,
        catalog: str | None,
        force: bool,
        batches: Sequence[tuple[str, list[str]]],
        requests: int = 0,
    ) -> None:
        """Record a new run and its batches (lane, SKUs) before any batch is sent.

        Whatever Redis still holds under this run id is replaced, not merged: run ids come
        from the state database, so a state database started afresh (or restored) numbers
        its runs from 1 again while Redis keeps the old runs' records for days. Merged, an
        old run's done-set finished the new run after its first batch, its extra batches
        were sent again on a redelivery and its auth error stopped the new run."""
        record: dict[Any, str | int] = {  # Any: redis-py types its keys invariantly
            "account": account,
            "token": token,
            "catalog": catalog or "",
            "force": int(force),
            "batches": len(batches),
            "total_ops": sum(len(skus) for _, skus in batches),
            "finished_ops": 0,
            "requests": requests,
            "finished": 0,
        }
        for index, (lane, skus) in enumerate(batches):
            record[f"size:{index}"] = len(skus)
            record[f"batch:{index}"] = json.dumps([lane, skus])
        pipe = self.redis.pipeline()  # MULTI/EXEC: no batch sees half of it
        pipe.delete(run_key(run_id), run_key(run_id) + ":done")
        pipe.hset(run_key(run_id), mapping=record)
        pipe.expire(run_key(run_id), self.ttl)
        pipe.set(token_key(token), run_id, ex=self.ttl)
        pipe.execute()

    def run_for_token(self, token: str) -> int | None:
        """The run a planning task (by its token) already started, if any."""
        value = self.redis.get(token_key(token))
        return int(value) if value else None

    def info(self, run_id: int) -> RunInfo | None:
        """The run's record, or None when Redis no longer has it."""
        raw = self.redis.hmget(
            run_key(run_id), ["account", "token", "catalog", "force", "finished", "auth_error"]
        )
        if raw[0] is None:
            return None
        account, token, catalog, force, finished, auth = (
            _text(v) if v is not None else None for v in raw
        )
        return RunInfo(
            run_id, str(account), str(token), catalog or None, force == "1", finished == "1", auth
        )

    def batches(self, run_id: int) -> dict[int, tuple[str, list[str]]]:
        """The run's batches by index."""
        out: dict[int, tuple[str, list[str]]] = {}
        for field, value in self.redis.hgetall(run_key(run_id)).items():
            name = _text(field)
            if name.startswith("batch:"):
                lane, skus = json.loads(value)
                out[int(name.split(":", 1)[1])] = (lane, skus)
        return out

    def done_batches(self, run_id: int) -> set[int]:
        """Indexes of the batches already finished."""
        return {int(v) for v in self.redis.smembers(run_key(run_id) + ":done")}

    def batch_done(self, run_id: int, batch: int, requests: int) -> int:
        """Count a batch as finished (once); returns batches left, -1 if the run is unknown."""
        keys = [run_key(run_id), run_key(run_id) + ":done"]
        return int(self._batch_done(keys=keys, args=[batch, requests, self.ttl]))

    def add_requests(self, run_id: int, requests: int) -> None:
        """Count requests sent for a run outside its batches (e.g. the remote scan)."""
        if requests:
            self.redis.hincrby(run_key(run_id), "requests", requests)

    def block(self, run_id: int, message: str) -> None:
        """The marketplace refused the account's credentials: the run's batches stop sending."""
        self.redis.hsetnx(run_key(run_id), "auth_error", message)

    def mark_finished(self, run_id: int) -> None:
        """The run is closed in the state store: recorded, and its followers told."""
        pipe = self.redis.pipeline()
        pipe.hset(run_key(run_id), "finished", 1)
        pipe.publish(finished_channel(run_id), 1)
        pipe.execute()

    def requests(self, run_id: int) -> int:
        """Requests sent by the run so far."""
        return int(self.redis.hget(run_key(run_id), "requests") or 0)

    def progress(self, run_id: int) -> Progress | None:
        """How far the run is, or None when Redis no longer has it."""
        raw = self.redis.hmget(
            run_key(run_id), ["account", "finished_ops", "total_ops", "finished"]
        )
        if raw[0] is None:
            return None
        return Progress(
            run_id, _text(raw[0]), int(raw[1] or 0), int(raw[2] or 0), (raw[3] or b"0") == b"1"
        )
