"""The pieces under the workers, against the real Redis: limiter, locks, run records,
and the configuration invariants that keep messages from being delivered twice."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
import redis
import redis.asyncio
from celery import Celery

from sync.plan import AccountPlan, Operation, OpKind
from sync.queues import expand
from sync.settings import Account, Schedule, Settings
from workers.app import celery_config
from workers.beat import beat_schedule
from workers.locks import ListingLocks
from workers.ratelimit import HEADROOM, RedisRateLimiter
from workers.runs import RunBook
from workers.tasks import batch_plan
from workers.tuning import WorkerTuning

pytestmark = pytest.mark.redis


async def _slots(url: str, rate: float, n: int, clients: int, cooldown: float = 0) -> list[float]:
    """n slots taken concurrently over `clients` connections (as separate workers), in
    Redis time; with `cooldown`, one client first reports a throttle."""
    limiters = [
        RedisRateLimiter(redis.asyncio.Redis.from_url(url), "acc", rate) for _ in range(clients)
    ]
    if cooldown:
        await limiters[0].cooldown(cooldown)
    granted = await asyncio.gather(*(limiters[i % clients].reserve() for i in range(n)))
    for limiter in limiters:
        await limiter.redis.aclose()
    return sorted(slot - wait for wait, slot in granted[:1]) + sorted(s for _, s in granted)


def test_limiter_spaces_requests_evenly_across_clients(redis_url: str) -> None:
    rate, n = 20.0, 60
    now, *slots = asyncio.run(_slots(redis_url, rate, n=n, clients=4))
    spacing = HEADROOM / rate
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= spacing - 1e-5  # evenly spaced across clients: never a burst
    for start in slots:  # so never more than `rate` in any one-second window
        assert sum(1 for t in slots if start <= t < start + 1) <= rate
    assert slots[0] - now < 0.05


def test_a_throttle_pushes_every_clients_next_slot_past_the_cooldown(redis_url: str) -> None:
    now, *slots = asyncio.run(_slots(redis_url, 50.0, n=10, clients=3, cooldown=1.5))
    assert slots[0] - now >= 1.5 - 0.05


def test_a_cooldown_pauses_every_client_of_the_account(redis_url: str) -> None:
    async def scenario() -> tuple[float, float]:
        a = RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), "acc", 50)
        b = RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), "acc", 50)
        other = RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), "other", 50)
        await a.cooldown(1.5)  # a ban (longer than a one-second window): everyone waits
        started = time.monotonic()
        await other.acquire()  # another account is not affected
        free = time.monotonic() - started
        await b.acquire()
        paused = time.monotonic() - started
        for limiter in (a, b, other):
            await limiter.redis.aclose()
        return free, paused

    free, paused = asyncio.run(scenario())
    assert free < 0.2
    assert 1.45 <= paused < 3.5


def test_a_caller_asleep_for_its_slot_honours_a_throttle_reported_meanwhile(
    redis_url: str,
) -> None:
    async def scenario() -> float:
        a = RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), "acc", 5)
        b = RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), "acc", 5)
        await a.acquire()  # the slot now: b's is ~0.2 s away, and b sleeps for it
        waiting = asyncio.create_task(b.acquire())
        await asyncio.sleep(0.05)
        await a.cooldown(1.5)  # a ban reported while b sleeps
        await waiting
        left = await a.cooldown_left()  # b must not have gone before the ban's end
        for limiter in (a, b):
            await limiter.redis.aclose()
        return left

    assert asyncio.run(scenario()) <= 0


def test_a_slot_that_is_due_costs_one_round_trip(redis_url: str) -> None:
    async def scenario() -> int:
        limiter = RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), "acc", 1_000_000)
        checks = 0
        left = limiter.cooldown_left

        async def counted() -> float:
            nonlocal checks
            checks += 1
            return await left()

        limiter.cooldown_left = counted  # type: ignore[method-assign]
        for _ in range(50):
            await limiter.acquire()
        await limiter.redis.aclose()
        return checks

    assert asyncio.run(scenario()) == 0


def test_a_high_rate_takes_slots_in_blocks_and_still_never_overfills_a_second(
    redis_url: str,
) -> None:
    """At 300 requests/s a caller takes 5 slots a round trip; four callers together still
    send at most 300 in any one-second window. At 50/s each slot is its own round trip."""

    async def scenario(rate: float, n: int) -> tuple[list[float], int]:
        limiters = [
            RedisRateLimiter(redis.asyncio.Redis.from_url(redis_url), f"acc{rate}", rate)
            for _ in range(4)
        ]
        trips = 0
        for limiter in limiters:
            script = limiter._reserve

            async def counted(*args: object, _script: object = script, **kw: object) -> object:
                nonlocal trips
                trips += 1
                return await _script(*args, **kw)  # type: ignore[operator]

            limiter._reserve = counted  # type: ignore[assignment]
        sent: list[float] = []

        async def caller(limiter: RedisRateLimiter) -> None:
            for _ in range(n // len(limiters)):
                await limiter.acquire()
                sent.append(time.monotonic())
                await asyncio.sleep(0)  # the request itself

        await asyncio.gather(*(caller(limiter) for limiter in limiters))
        for limiter in limiters:
            await limiter.redis.aclose()
        return sorted(sent), trips

    sent, trips = asyncio.run(scenario(300.0, 900))
    assert trips <= 900 / 5 + 8, trips  # a block per round trip (a few dropped when late)
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 1) <= 300
    assert sent[-1] - sent[0] >= 900 * HEADROOM / 300 - 0.5  # paced, not in bursts
    _, trips = asyncio.run(scenario(50.0, 40))
    assert trips == 40


def test_a_window_overflow_pauses_every_client_a_few_slots_doubling_up_to_the_ask(
    redis_url: str,
) -> None:
    """A throttle asking for one second: a pause of two slots, doubling while throttles
    repeat, never more than asked; the cooldown end is read from Redis, not timed."""
    from workers.ratelimit import limiter_keys

    async def scenario() -> list[float]:
        client = redis.asyncio.Redis.from_url(redis_url)
        limiter = RedisRateLimiter(client, "acc", 50)
        pauses = []
        for _ in range(7):
            await client.delete(limiter_keys("acc")[1])  # the last pause is over
            await limiter.cooldown(1.0)
            pauses.append(await limiter.cooldown_left())
        await client.aclose()
        return pauses

    pauses = asyncio.run(scenario())
    assert pauses[0] <= 2 * HEADROOM / 50 + 0.01
    assert all(b > a for a, b in itertools.pairwise(pauses[:5]))  # doubling
    assert max(pauses) <= 1.0 and pauses[-1] > 0.8


def test_listing_locks_let_only_a_redelivery_take_over_its_own_locks(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    first = ListingLocks(client, "acc", "batch-7", ttl=10)
    assert first.acquire(["A", "B"], redelivered=False) == (["A", "B"], [])
    duplicate = ListingLocks(client, "acc", "batch-7", ttl=10)
    assert duplicate.acquire(["A", "C"], redelivered=False) == (["C"], ["A"])
    stranger = ListingLocks(client, "acc", "batch-9", ttl=10)
    assert stranger.acquire(["B"], redelivered=True) == ([], ["B"])
    redelivery = ListingLocks(client, "acc", "batch-7", ttl=10)
    assert redelivery.acquire(["A", "B"], redelivered=True) == (["A", "B"], [])
    first.release(["A", "B"])  # no longer its locks: they stay
    assert stranger.acquire(["B"], redelivered=False) == ([], ["B"])
    redelivery.release(["A", "B"])
    assert stranger.acquire(["B"], redelivered=False) == (["B"], [])


def test_a_batch_counts_once_however_often_it_is_delivered(redis_url: str) -> None:
    book = RunBook(redis.Redis.from_url(redis_url), ttl=60)
    book.open(
        1,
        "acc",
        "tok",
        catalog=None,
        force=False,
        batches=[("create", ["A", "B"]), ("fast", ["C"])],
    )
    assert book.batch_done(1, 0, requests=3) == 1
    assert book.batch_done(1, 0, requests=3) == 1  # redelivered: counted once
    assert book.batch_done(1, 1, requests=1) == 0
    progress = book.progress(1)
    assert progress is not None and (progress.finished_ops, progress.total_ops) == (3, 3)
    assert book.requests(1) == 4
    assert book.batch_done(99, 0, requests=0) == -1  # unknown run
    assert book.run_for_token("tok") == 1


def test_a_new_run_replaces_what_redis_still_holds_under_its_id(redis_url: str) -> None:
    # A state database started afresh numbers its runs from 1 again, while Redis keeps the
    # old run 1's record: 20 batches, all done, and the account's refusal.
    book = RunBook(redis.Redis.from_url(redis_url), ttl=60)
    old = [("create", [f"OLD-{i}"]) for i in range(20)]
    book.open(1, "acc", "old-token", catalog="old.csv", force=True, batches=old)
    for index in range(20):
        book.batch_done(1, index, requests=1)
    book.block(1, "credentials refused")
    book.mark_finished(1)

    new = [("create", ["A", "B"]), ("fast", ["C"])]
    book.open(1, "acc", "new-token", catalog="new.csv", force=False, batches=new)
    info = book.info(1)
    assert info is not None
    assert (info.token, info.catalog, info.force) == ("new-token", "new.csv", False)
    assert not info.finished and info.auth_error is None
    assert book.batches(1) == {0: ("create", ["A", "B"]), 1: ("fast", ["C"])}
    assert book.done_batches(1) == set()
    assert book.batch_done(1, 0, requests=2) == 1  # not finished by the old done-set
    assert book.requests(1) == 2


@pytest.mark.parametrize("visibility", [12, 60, 120, 900])
def test_every_wait_that_holds_a_message_stays_below_the_visibility_timeout(
    visibility: int,
) -> None:
    tuning = WorkerTuning(visibility_timeout=visibility)
    conf = celery_config(Settings(), tuning)
    v = conf["broker_transport_options"]["visibility_timeout"]
    assert (
        v
        == conf["result_backend_transport_options"]["visibility_timeout"]
        == conf["visibility_timeout"]
        == visibility
    )
    assert tuning.max_countdown + conf["task_time_limit"] < v
    assert tuning.batch_deadline < conf["task_soft_time_limit"] < conf["task_time_limit"]
    assert conf["task_time_limit"] < tuning.listing_lock_ttl < v
    assert tuning.http_retry_budget < tuning.batch_deadline
    # A dead worker's messages come back within seconds of V, not kombu's defaults.
    options = conf["broker_transport_options"]
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 5
    assert options["unacked_mutex_expire"] < v


def test_celery_is_configured_for_at_least_once_delivery_with_json_only() -> None:
    conf = celery_config(Settings(), WorkerTuning())
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["task_acks_on_timeout"] is False
    assert conf["worker_prefetch_multiplier"] == 1
    assert conf["accept_content"] == ["json"] == conf["result_accept_content"]
    assert conf["task_serializer"] == conf["result_serializer"] == "json"


def test_beat_schedule_follows_the_configuration() -> None:
    entries = beat_schedule(
        Schedule(sync_every_minutes=10, reconcile_at="03:45", timezone="Asia/Ho_Chi_Minh")
    )
    sync = entries["incremental-sync"]
    assert sync["task"] == "ocop_sync.sync_all" and sync["schedule"].total_seconds() == 600
    assert sync["options"]["expires"] == 600
    nightly = entries["nightly-reconcile"]["schedule"]
    assert nightly.hour == {3} and nightly.minute == {45}
    conf = celery_config(Settings(schedule=Schedule(timezone="Asia/Ho_Chi_Minh")), WorkerTuning())
    assert conf["timezone"] == "Asia/Ho_Chi_Minh"
    watch = entries["catalog-watch"]  # the change-triggered sync: a stat every 5 s by default
    assert watch["task"] == "ocop_sync.watch_catalog" and watch["schedule"].total_seconds() == 5
    assert routed_queue(conf, "ocop_sync.watch_catalog") == "ocop-plan"
    assert "catalog-watch" not in beat_schedule(Schedule(watch_every_seconds=0))


def routed_queue(conf: dict, task: str, args: tuple = ()) -> str:
    """The queue Celery's own router sends `task` to under this configuration."""
    app = Celery(set_as_current=False)
    app.conf.update(conf)
    return str(app.amqp.router.route({}, task, args=args, kwargs={})["queue"].name)


def test_each_accounts_batches_have_a_queue_and_a_worker_consumes_them_all() -> None:
    accounts = [Account(name=n, marketplace="voso", base_url="http://x") for n in ("a", "b")]
    conf = celery_config(Settings(accounts=accounts), WorkerTuning())
    push = "ocop_sync.push_batch"
    assert routed_queue(conf, push, ("a", 1, 0, "create", ["S"])) == "ocop-push.a"
    assert routed_queue(conf, push, ("b", 1, 0, "create", ["S"])) == "ocop-push.b"
    assert routed_queue(conf, "ocop_sync.plan_account") == "ocop-plan"
    # A worker started without -Q consumes every queue of the app; the legacy shared push
    # queue stays among them so batches enqueued before an upgrade are still pushed.
    assert [q.name for q in conf["task_queues"]] == [
        "ocop-plan",
        "ocop-push",
        "ocop-push.a",
        "ocop-push.b",
    ]
    # `ocop-sync worker -Q ocop-plan,ocop-push` expands to the same list.
    assert expand("ocop-plan,ocop-push", ["a", "b"]) == (
        "ocop-plan,ocop-push,ocop-push.a,ocop-push.b"
    )
    assert expand("ocop-plan", ["a"]) == "ocop-plan"
    assert expand("ocop-push.b, ocop-push.b", ["a", "b"]) == "ocop-push.b"


def test_batches_keep_one_kind_of_work_each_and_respect_the_size() -> None:
    account = Account(name="acc", marketplace="voso", base_url="http://x")
    plan = AccountPlan(account)
    kinds = [OpKind.CREATE] * 5 + [OpKind.PRICE, OpKind.STOCK] * 2 + [OpKind.DELIST]
    plan.operations = [Operation(k, "acc", f"S{i}", f"P{i}") for i, k in enumerate(kinds)]
    batches = batch_plan(plan, size=2)
    assert [lane for lane, _ in batches] == ["create"] * 3 + ["fast"] * 2 + ["other"]
    assert sum(len(skus) for _, skus in batches) == len(kinds)
    assert all(len(skus) <= 2 for _, skus in batches)


def test_a_products_operations_are_never_split_between_batches() -> None:
    account = Account(name="acc", marketplace="shopee", base_url="http://x")
    plan = AccountPlan(account)
    # Three products with 3, 1 and 2 variants (on Shopee: one item each, with models).
    owners = ["A", "A", "A", "B", "C", "C"]
    plan.operations = [Operation(OpKind.CREATE, "acc", f"{p}-{i}", p) for i, p in enumerate(owners)]
    batches = [skus for _, skus in batch_plan(plan, size=2)]
    assert batches == [["A-0", "A-1", "A-2"], ["B-3", "C-4", "C-5"]]


def test_batch_size_fits_the_account_rate_in_the_batch_deadline() -> None:
    tuning = WorkerTuning(visibility_timeout=120)
    assert tuning.batch_ops(rate=100, batch_size=50) == 50
    slow = tuning.batch_ops(rate=1, batch_size=50)
    assert slow * tuning.ops_per_request / 1 <= tuning.batch_deadline / 2


def test_the_follower_of_a_run_wakes_when_it_closes_not_at_its_next_look(
    redis_url: str, tmp_path: Path
) -> None:
    import threading

    from workers.dispatch import wait_for_runs

    book = RunBook(redis.Redis.from_url(redis_url), ttl=60)
    book.open(7, "acc", "tok", catalog=None, force=False, batches=[("create", ["A"])])
    settings = Settings(redis_url=redis_url, state_url=f"sqlite:///{tmp_path / 'state.db'}")
    seen: list[tuple[int, int]] = []
    follower = threading.Thread(
        target=wait_for_runs,
        args=(settings, [7]),
        kwargs={"poll": 120.0, "progress": lambda done, total: seen.append((done, total))},
        daemon=True,
    )
    follower.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:  # it looked once and went to sleep
        time.sleep(0.05)
    assert seen == [(0, 1)]
    book.batch_done(7, 0, requests=1)
    book.mark_finished(7)
    follower.join(timeout=30)  # a follower left asleep would wait out its 120 s poll
    assert not follower.is_alive()
    assert seen[-1] == (1, 1)
