"""The Celery app, configured from the same settings as everything else.

    celery -A workers.app worker --pool prefork -c 4     (or: ocop-sync worker -c 4)
    celery -A workers.app beat                           (or: ocop-sync beat)

Settings come from ``OCOP_SYNC_CONFIG`` (plus ``OCOP_SYNC_*`` variables; credentials can live
in the environment only). Broker and results: ``settings.redis_url``.

Delivery guarantees, and why each setting is here:
- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged after its
  batch ran; if the pool process dies mid-batch (SIGKILL, OOM) the parent puts the message
  back at the head of the queue at once. ``task_acks_on_timeout=False`` does the same for a
  batch killed by the hard time limit. A batch that kills its process every time is caught
  by the delivery counter (`workers.push`), not looped forever.
- If the whole worker dies (machine lost), nobody is left to reject: the message stays in
  kombu's ``unacked`` hash, with its delivery time in ``unacked_index``. Every live
  worker sweeps that index every ``unacked_restore_interval`` seconds (the sweep runs on
  every ``unacked_restore_throttle``-th call; we set 1) under the ``unacked_mutex`` (held
  at most ``unacked_mutex_expire`` seconds if a sweeper dies) and puts back every message
  older than the visibility timeout V (``unacked_restore_limit``: how many per sweep; None
  = all). So a dead worker's messages return V + a few seconds after their delivery.
  Kombu's defaults (V = 1 h, sweep every 10 x 10 s, mutex 5 min) would mean an hour.
- V is small (120 s by default, see `workers.tuning`), so everything that keeps a message
  unacknowledged stays below it: hard time limit 0.5 V, retry countdowns at most 0.25 V,
  a batch's own deadline 0.3 V (batches are sized from the account's rate to fit in a
  third of it). Longer waits (a marketplace ban) re-enqueue the batch instead of sleeping.
- Prefetch multiplier 1: a worker reserves one message per pool process, so a message's
  delivery time is its start time and nothing waits in a busy worker's buffer.
- JSON only: task arguments are ids (account name, SKUs, run id), never payloads or secrets.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import (
    after_setup_logger,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)
from kombu import Queue

from sync.engine.clients import load_config
from sync.observe.context import clear_run
from sync.observe.logs import style_handlers
from sync.queues import PLAN_QUEUE, PUSH_QUEUE, push_queue, push_queues
from sync.settings import Settings
from sync.state.store import StateStore
from workers import context
from workers.beat import TICK, beat_schedule
from workers.tuning import WorkerTuning

log = logging.getLogger("ocop_sync.workers")


def route_push(
    name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any
) -> dict[str, str] | None:
    """A push batch goes to its account's queue (the account is its first argument), so
    the workers take turns between accounts (see `sync.queues`)."""
    if name == "ocop_sync.push_batch" and args:
        return {"queue": push_queue(str(args[0]))}
    return None


def celery_config(settings: Settings, tuning: WorkerTuning) -> dict[str, Any]:
    """Every Celery setting the project relies on (see the module docstring for why)."""
    v = tuning.visibility_timeout
    transport = {
        "visibility_timeout": v,
        "unacked_restore_interval": tuning.restore_interval,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": tuning.mutex_expire,
        "unacked_restore_limit": None,
        # A dead TCP connection (Redis restarted, failover) is noticed and reopened.
        "socket_timeout": 15,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 10,
    }
    return {
        "broker_url": settings.redis_url,
        "result_backend": settings.redis_url,
        "broker_transport_options": transport,
        "result_backend_transport_options": {"visibility_timeout": v},
        "visibility_timeout": v,
        "task_serializer": "json",
        "result_serializer": "json",
        "event_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_timeout": False,
        "task_acks_on_failure": True,  # tasks record their own failures; a crash is a bug
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": tuning.soft_time_limit,
        "task_time_limit": tuning.hard_time_limit,
        "task_annotations": {
            "ocop_sync.plan_account": {
                "time_limit": tuning.plan_time_limit,
                "soft_time_limit": tuning.plan_time_limit - 0.1 * v,
            }
        },
        "task_default_queue": PUSH_QUEUE,
        # Consumed by a worker started without -Q: planning, and every account's pushes.
        "task_queues": [
            Queue(name) for name in (PLAN_QUEUE, *push_queues(a.name for a in settings.accounts))
        ],
        "task_routes": (
            route_push,
            {
                "ocop_sync.plan_account": {"queue": PLAN_QUEUE},
                "ocop_sync.sync_all": {"queue": PLAN_QUEUE},
                "ocop_sync.reconcile_all": {"queue": PLAN_QUEUE},
                "ocop_sync.reconcile_account": {"queue": PLAN_QUEUE},
                "ocop_sync.watch_catalog": {"queue": PLAN_QUEUE},
            },
        ),
        "task_ignore_result": True,
        "result_expires": 24 * 3600,
        # Redis restarts must not kill workers or lose publishes: reconnect forever, retry
        # a publish for ~30 s (it happens inside tasks: fan-out, retries).
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 15,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 3,
        },
        # A batch running when the connection drops finishes its pushes (they are
        # recorded in the state store); if its ack is lost it comes back after V and
        # re-plans to no-ops. Cancelling it would only redo the work.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_send_task_events": False,
        "timezone": settings.schedule.timezone,
        "enable_utc": True,
        "beat_schedule": beat_schedule(settings.schedule),
        "beat_scheduler": "workers.beat:GuardedScheduler",
        "beat_max_loop_interval": TICK,
    }


def create_app(settings: Settings, tuning: WorkerTuning | None = None) -> Celery:
    """A Celery app for these settings; tasks are registered by importing workers.tasks."""
    tuning = tuning or WorkerTuning()
    celery = Celery("ocop_sync", include=["workers.tasks", "workers.watch"])
    celery.conf.update(celery_config(settings, tuning))
    context.configure(settings, tuning)
    return celery


settings = load_config()
tuning = WorkerTuning()
app = create_app(settings, tuning)


@after_setup_logger.connect
def _quiet_http_logs(logger: logging.Logger | None = None, **_: object) -> None:
    """httpx logs every request URL at INFO, and some marketplaces (Alibaba's TOP) carry the
    session key in the query string: keep those lines out of worker logs. Lines get the
    format asked for (OCOP_SYNC_LOG_FORMAT: text or json) with run, account and SKU."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if logger is not None:
        style_handlers(logger)


@worker_init.connect
def _migrate_once(**_: object) -> None:
    """Bring the state schema up to date in the worker's main process, before forking,
    one worker at a time (a Redis lock) so replicas starting together do not race."""
    redis = context.sync_redis(settings.redis_url)
    with redis.lock("ocop:lock:migrate", timeout=300, blocking_timeout=300):
        StateStore(settings.state_url).close()


@worker_process_init.connect
def _open_context(**_: object) -> None:
    """Each pool process opens its loop, clients and connections after the fork."""
    context.get_context()


@task_prerun.connect
def _forget_the_last_run(**_: object) -> None:
    """Each task's log lines name only its own run: a push batch binds its run and account
    for its lines, and without this the next task in the same pool process (a plan task of
    another account) was logged under that run."""
    clear_run()


@worker_process_shutdown.connect
def _close_context(**_: object) -> None:
    context.close_context()
