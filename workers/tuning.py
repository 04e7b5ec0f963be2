"""Time budgets of the workers, all derived from one number: the Redis visibility timeout.

Why one number: with the Redis transport a message that is delivered but not acknowledged
is put back in the queue once it is older than the visibility timeout V. Everything that
keeps a message unacknowledged — running the task, waiting for a retry's countdown — must
therefore end well before V, or a second worker runs the same batch while the first one
still does. Keeping every budget a fraction of V makes that true by construction:

    countdown cap (0.25 V) + hard time limit (0.5 V)  <  V
    batch deadline (0.3 V) < soft limit (0.4 V) < hard limit (0.5 V) < listing lock (0.6 V) < V
    planning task: soft limit (0.8 V) < hard limit (0.9 V) < V (no countdown, no listing lock)

Environment variables (``OCOP_SYNC_WORKER_*``) change them; tests use a small V so that a
killed worker's messages come back in seconds.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerTuning(BaseSettings):
    """Worker time budgets and limits (environment: ``OCOP_SYNC_WORKER_<NAME>``)."""

    model_config = SettingsConfigDict(env_prefix="OCOP_SYNC_WORKER_", extra="ignore")

    # 120 s: long enough for a batch of tens of pushes at a marketplace's usual 5-20 req/s,
    # short enough that a machine that dies mid-batch delays those listings by ~2 minutes.
    visibility_timeout: Annotated[int, Field(ge=8, le=3600)] = 120
    max_deliveries: Annotated[int, Field(ge=1, le=50)] = 4  # poison guard per listing
    max_retries: Annotated[int, Field(ge=0, le=50)] = 6  # task retries for retriable errors
    ops_per_request: Annotated[float, Field(gt=0)] = 2.5  # for sizing batches (lookup+create)
    # How long `sync --via celery` waits for a worker to take its planning task before it
    # asks the workers whether they are alive (and then says "busy" or "no worker").
    plan_answer_timeout: Annotated[float, Field(gt=0)] = 60.0

    @property
    def hard_time_limit(self) -> float:
        """The pool process is killed (and the batch requeued) after this long."""
        return 0.5 * self.visibility_timeout

    @property
    def soft_time_limit(self) -> float:
        """SoftTimeLimitExceeded is raised in the task after this long."""
        return 0.4 * self.visibility_timeout

    @property
    def plan_time_limit(self) -> float:
        """Hard limit of a planning task: nothing of it waits in a countdown and it holds no
        listing lock, so it may use more of V than a batch (at 100k products a plan took
        38 s on a busy 2-core machine: planning 200 000 operations and sending 4 000 batches)."""
        return 0.9 * self.visibility_timeout

    @property
    def batch_deadline(self) -> float:
        """A batch stops sending and re-enqueues what it did not finish after this long."""
        return 0.3 * self.visibility_timeout

    @property
    def max_countdown(self) -> float:
        """Cap of every retry countdown and cooldown deferral."""
        return 0.25 * self.visibility_timeout

    @property
    def http_retry_budget(self) -> float:
        """Total seconds the HTTP layer may spend waiting between attempts inside a batch."""
        return 0.1 * self.visibility_timeout

    @property
    def listing_lock_ttl(self) -> float:
        """Outlives any live holder (hard limit) and expires before a restored message runs."""
        return 0.6 * self.visibility_timeout

    @property
    def run_lock_ttl(self) -> float:
        """Run lock lifetime, renewed by every batch of the run."""
        return max(600.0, 5.0 * self.visibility_timeout)

    @property
    def restore_interval(self) -> int:
        """Seconds between kombu's sweeps for messages older than V (dead workers' ones)."""
        return max(1, min(5, self.visibility_timeout // 8))

    @property
    def mutex_expire(self) -> int:
        """Lifetime of kombu's restore mutex: how long a sweeper that died blocks the others."""
        return max(5, self.visibility_timeout // 4)

    @cached_property
    def run_keys_ttl(self) -> int:
        """How long run bookkeeping stays in Redis after the last touch."""
        return 7 * 24 * 3600

    def batch_ops(self, rate: float, batch_size: int) -> int:
        """Operations per batch: at most `batch_size`, and few enough to finish in a third
        of the batch deadline at the account's rate."""
        fits = int(rate * self.batch_deadline / (3 * self.ops_per_request))
        return max(1, min(batch_size, fits))
