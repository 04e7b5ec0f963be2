"""The CLI's side of a Celery run: enqueue a plan per account, follow the runs, report.

Planning happens in a worker (it takes the account's lease); the CLI waits only for the planning
task's answer (run id, or "already running") and then follows the run's counters in Redis
until the last batch closes it. The report is read back from the state store, so it is the
same `RunReport` the inline executor prints.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from celery import states
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult

from sync.engine.runs import RunReport, report_from_state, run_row
from sync.queues import PLAN_QUEUE
from sync.settings import Settings
from sync.state.leases import Leases
from sync.state.store import StateStore
from workers.context import sync_redis
from workers.runs import RunBook, finished_channel
from workers.tuning import WorkerTuning

HELD_UNFOLLOWED = (
    "another run held the account and there is no run to follow (a reconcile or dedupe "
    "scan, or a run that ended meanwhile)"
)


class NoWorker(Exception):
    """No worker answered the planning task in time (the task stays queued)."""


NoticeFn = Callable[[str], None]  # told once per task when the workers are all busy


def busy_planners(app: Any, timeout: float = 1.0) -> list[str]:
    """The live workers that consume the planning queue (asked by remote control): when a
    planning task waits and some answer, their pool processes are busy, not missing."""
    try:
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception:  # the broker itself is away: nobody can be told to be alive
        return []
    return sorted(
        worker
        for worker, queues in replies.items()
        if any(queue.get("name") == PLAN_QUEUE for queue in queues or ())
    )


@dataclass
class Dispatched:
    """The runs a trigger started or found running, per account."""

    answers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_ids(self) -> list[int]:
        """Run ids to follow (started now or already running)."""
        return [a["run_id"] for a in self.answers if a.get("run_id") is not None]


def enqueue_runs(
    accounts: Sequence[str],
    *,
    kind: str,
    skus: Sequence[str] = (),
    failed_only: bool = False,
    force: bool = False,
    catalog: str | None = None,
    plan_timeout: float | None = None,
    lease_wait: float = 0.0,
    patient: bool = False,
    notice: NoticeFn | None = None,
) -> Dispatched:
    """Send one planning task per account and wait for their answers. A task finding its
    account held by a run with nothing to follow (a scan) waits up to `lease_wait` seconds
    for it to end (the CLI's `--wait-lock`). A task no worker takes in `plan_timeout`
    while workers that consume the planning queue are alive (busy with pushes) is waited
    for when `patient` (`notice` is told so once), else answered "queued"; with no such
    worker, NoWorker."""
    from workers.tasks import plan_task

    pending = [
        plan_task.apply_async(
            kwargs={
                "account": name,
                "kind": kind,
                "trigger": "cli",
                "skus": list(skus),
                "failed_only": failed_only,
                "force": force,
                "catalog": catalog,
                "lease_wait": lease_wait,
            }
        )
        for name in accounts
    ]
    out = Dispatched()
    plan_timeout = plan_timeout or WorkerTuning().plan_answer_timeout
    deadline = time.monotonic() + plan_timeout
    for name, result in zip(accounts, pending, strict=True):
        try:
            out.answers.append(
                _answer(result, deadline, plan_timeout, lease_wait, name, patient, notice)
            )
        finally:
            result.forget()
    return out


def _answer(
    result: AsyncResult,
    deadline: float,
    plan_timeout: float,
    lease_wait: float = 0.0,
    account: str = "",
    patient: bool = False,
    notice: NoticeFn | None = None,
) -> dict[str, Any]:
    """A planning task's answer. Past the deadline only a task no worker has taken is given
    up on, unless workers are alive and busy (see `enqueue_runs`): one that started (or
    waits for the catalog's snapshot to be built, a retry, or for a held account) is waited
    for, up to the longest a worker waits for those."""
    from workers.tasks import SNAPSHOT_WAIT

    told = False
    while True:
        try:
            # Woken at the deadline, not up to 5 s after it: the "busy" notice is on time.
            wait = min(5.0, max(0.2, deadline - time.monotonic()))
            answer: dict[str, Any] = result.get(timeout=wait)
            return answer
        except CeleryTimeout:
            now = time.monotonic()
            taken = result.state in (states.STARTED, states.RETRY)
            if now > deadline and not taken:
                planners = busy_planners(result.app)
                if not planners:
                    raise NoWorker(
                        f"no worker answered within {plan_timeout:g}s; the runs stay queued "
                        "(start one with `ocop-sync worker`)"
                    ) from None
                busy = (
                    f"the workers ({', '.join(planners)}) are busy with other tasks; "
                    "the run is queued and planned when a pool process frees"
                )
                if not patient:
                    return {"account": account, "status": "queued", "note": busy}
                if notice is not None and not told:
                    notice(f"{account}: {busy}")
                    told = True
                deadline = now + plan_timeout  # look again later
                continue
            if now > deadline + SNAPSHOT_WAIT + lease_wait:
                raise NoWorker(
                    f"a worker took the run but has not planned it in "
                    f"{plan_timeout + SNAPSHOT_WAIT:g}s (see the worker's log)"
                ) from None


ProgressFn = Callable[[int, int], None]  # (operations finished, operations planned)


def wait_for_runs(
    settings: Settings,
    run_ids: Sequence[int],
    *,
    progress: ProgressFn | None = None,
    poll: float = 0.3,
    lost_after: float = 15.0,
) -> list[int]:
    """Block until every run is finished; returns the runs whose record was lost (Redis
    restarted without its data) — those are reported from the state store as is. A run
    that Redis does not know may be an inline one (an operator's `ocop-sync sync` that held
    the account when the workers were asked): it is followed in the state store while its
    lease lives.

    Between two looks it sleeps `poll` seconds or until a run it follows closes (told on
    the run's channel): the operator gets the report as soon as the last batch ends."""
    book = RunBook(sync_redis(settings.redis_url), WorkerTuning().run_keys_ttl)
    store = StateStore(settings.state_url, migrate=False)
    missing_since: dict[int, float] = {}
    lost: list[int] = []
    # Subscribed before the first look, so a run closing in between still wakes us.
    nap = _Nap(book.redis, [finished_channel(run_id) for run_id in run_ids])
    try:
        while True:
            finished, total, open_runs = 0, 0, 0
            for run_id in run_ids:
                if run_id in lost:
                    continue
                state = book.progress(run_id)
                if state is None:
                    if _running_elsewhere(store, run_id):
                        open_runs += 1
                        continue
                    row = run_row(store, run_id)
                    if row is not None and row["finished_at"] is not None:
                        continue
                    first = missing_since.setdefault(run_id, time.monotonic())
                    if time.monotonic() - first > lost_after:
                        lost.append(run_id)
                    else:
                        open_runs += 1
                    continue
                missing_since.pop(run_id, None)
                finished += state.finished_ops
                total += state.total_ops
                open_runs += 0 if state.finished else 1
            if progress:
                progress(finished, total)
            if not open_runs:
                return lost
            nap(poll)
    finally:
        nap.close()
        store.close()


class _Nap:
    """Sleep up to `seconds`, woken early by a message on any of `channels`. Without pub/sub
    (the broker refuses it, or the connection drops) it is a plain sleep: the loop around
    it looks at the runs' records anyway, the message only saves the wait."""

    def __init__(self, redis: Any, channels: Sequence[str]) -> None:
        self.pubsub: Any = None
        if not channels:
            return
        try:
            self.pubsub = redis.pubsub(ignore_subscribe_messages=True)
            self.pubsub.subscribe(*channels)
        except Exception:  # any Redis error: fall back to sleeping
            self.close()

    def __call__(self, seconds: float) -> None:
        if self.pubsub is None:
            time.sleep(seconds)
            return
        deadline = time.monotonic() + seconds
        try:
            while (left := deadline - time.monotonic()) > 0:
                # Subscription confirmations come back as None at once: wait again.
                if self.pubsub.get_message(timeout=left) is not None:
                    return
        except Exception:  # the connection dropped: sleep out the rest
            self.close()
            time.sleep(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                self.pubsub.close()
            self.pubsub = None


def _running_elsewhere(store: StateStore, run_id: int) -> bool:
    """True while `run_id` holds its account's lease (an inline run, say)."""
    row = run_row(store, run_id)
    if row is None or row["finished_at"] is not None:
        return False
    lease = Leases(store).holder(row["account"])
    return lease is not None and lease.run_id == run_id


def run_reports(
    settings: Settings, dispatched: Dispatched, store: StateStore | None = None
) -> list[RunReport]:
    """One RunReport per run, rebuilt from the state store the same way for every path."""
    own = store is None
    store = store or StateStore(settings.state_url)
    book = RunBook(sync_redis(settings.redis_url), WorkerTuning().run_keys_ttl)
    reports = []
    try:
        for answer in dispatched.answers:
            run_id = answer.get("run_id")
            if run_id is None and answer.get("status") == "already running":
                # No run to follow (a reconcile or dedupe scan held the account, or a run
                # that ended meanwhile): said, and counted busy as inline, not left out.
                reports.append(RunReport(str(answer["account"]), {}, busy=HELD_UNFOLLOWED))
                continue
            report = report_from_state(store, run_id) if run_id is not None else None
            if report is None:
                continue
            report.skipped = [(sku, reason) for sku, reason in answer.get("skipped") or []]
            info = book.info(report.run_id or 0)
            report.stopped = info.auth_error if info else None
            reports.append(report)
    finally:
        if own:
            store.close()
    return reports


@dataclass
class Reconciled:
    """`reconcile --via celery`: per account the scan's report (or why there is none), and
    the answers of the planning tasks that repair the drift (runs to follow)."""

    observed: list[dict[str, Any]] = field(default_factory=list)
    dispatched: Dispatched = field(default_factory=Dispatched)


WaitingFn = Callable[[str], None]  # told the account a scan waits for (another run holds it)


LOST_SCAN = "the worker scanning the account was lost (its lease expired); not reconciled"


def reconcile_on_workers(
    settings: Settings,
    accounts: Sequence[str],
    *,
    catalog: str | None = None,
    start_timeout: float = 60.0,
    plan_timeout: float = 60.0,
    lost_after: float = 20.0,
    poll: float = 0.3,
    waiting: WaitingFn | None = None,
) -> Reconciled:
    """Send one reconcile task per account; wait for each scan (a scan waits, retrying,
    while another run holds its account), then for the answer of the planning task it
    sent (like `enqueue_runs`'s). NoWorker when no task at all is taken up within
    `start_timeout` seconds (the
    later ones may wait behind the first scans). A scan is acknowledged on receipt, so a
    worker killed mid-scan loses it: one started whose account's lease stays free for
    `lost_after` seconds is reported lost instead of waited for forever."""
    from workers.tasks import plan_task, reconcile_task

    pending = {
        name: reconcile_task.apply_async(
            kwargs={"account": name, "trigger": "cli", "catalog": catalog}
        )
        for name in accounts
    }
    out = Reconciled()
    scans: dict[str, dict[str, Any]] = {}
    told: set[str] = set()
    free_since: dict[str, float] = {}
    taken = False
    deadline = time.monotonic() + start_timeout
    store = StateStore(settings.state_url, migrate=False)
    leases = Leases(store)
    try:
        while len(scans) < len(pending):
            for name, result in pending.items():
                if name in scans:
                    continue
                state = result.state
                taken = taken or state != "PENDING"
                if state == "RETRY" and name not in told and waiting is not None:
                    told.add(name)
                    waiting(name)
                if not taken and time.monotonic() > deadline:
                    raise NoWorker(
                        f"no worker took the reconcile of {name} within {start_timeout:g}s; "
                        "it stays queued (start one with `ocop-sync worker`)"
                    )
                if result.ready():
                    scans[name] = _scan_answer(name, result)
                elif state == "STARTED" and leases.holder(name) is None:
                    since = free_since.setdefault(name, time.monotonic())
                    if time.monotonic() - since > lost_after:
                        scans[name] = {
                            "observed": {"account": name, "error": LOST_SCAN},
                            "plan_task": None,
                        }
                else:
                    free_since.pop(name, None)
            if len(scans) < len(pending):
                time.sleep(poll)
    finally:
        store.close()
        for result in pending.values():
            if result.ready():
                result.forget()
    for name in accounts:
        answer = scans[name]
        out.observed.append(answer["observed"])
        if answer.get("plan_task"):
            # The planning task may wait for the catalog's snapshot, as a sync's does.
            planned = AsyncResult(answer["plan_task"], app=plan_task.app)
            try:
                out.dispatched.answers.append(
                    _answer(planned, time.monotonic() + plan_timeout, plan_timeout)
                )
            finally:
                planned.forget()
    return out


def _scan_answer(account: str, result: Any) -> dict[str, Any]:
    """The reconcile task's answer; a task that failed (gave up waiting for the account, or
    crashed: the state database away, say) becomes a report that says so."""
    if result.successful():
        return dict(result.result)
    error = result.result
    if type(error).__name__ == "MaxRetriesExceededError":
        why = "another run held the account for as long as the workers wait"
        return {"observed": {"account": account, "busy": why}, "plan_task": None}
    why = f"{type(error).__name__}: {error}" if error is not None else "the scan failed"
    return {"observed": {"account": account, "error": why}, "plan_task": None}
