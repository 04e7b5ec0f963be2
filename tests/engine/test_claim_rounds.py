"""How the push core cuts a run's creates: into chunks that never split a product, enough of
them to keep every worker busy, and claims (intent rows) taken a round of the workers at a
time — one transaction per `concurrency` chunks, not one per chunk and not the whole plan at
once, so a stopped run leaves at most about a round claimed but unsent."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from connectors.base import MarketplaceClient
from connectors.registry import REGISTRY, get_connector
from connectors.sandbox import SandboxServer
from sync.engine.clients import open_client
from sync.engine.push import CREATE_CHUNK, Pusher
from sync.executor import run_account
from sync.plan import OpKind, plan_account
from sync.state.models import BindingRecord
from sync.state.store import PushResult, StateStore
from sync.synthetic import synthetic_catalog
from tests.conftest import seller_stats
from tests.engine.helpers import TODAY


def test_creates_are_claimed_one_round_of_the_workers_at_a_time(
    state_url: str, sandboxes: dict[str, SandboxServer]
) -> None:
    concurrency = 2
    name = f"voso-{uuid.uuid4().hex[:6]}"
    account = (
        REGISTRY["voso"]
        .sandbox_kit.account(name, sandboxes["voso"].base_url)
        .model_copy(update={"concurrency": concurrency, "rate_limit": 1000.0})
    )
    connector = get_connector("voso")
    store = StateStore(state_url)
    try:
        plan = plan_account(synthetic_catalog(90), account, connector, {}, TODAY)
        creates = plan.counts["create"]
        report = asyncio.run(run_account(plan, connector, store, trigger="test"))
        with store.engine.connect() as conn:
            claimed_at = conn.execute(
                sa.select(BindingRecord.create_claimed_at).where(BindingRecord.account == name)
            ).scalars()
            # One `now` per claim transaction: the rows of a round share it.
            rounds = sorted(Counter(claimed_at).values(), reverse=True)
    finally:
        store.close()

    assert report.failed == 0 and report.done["create"] == creates == 180
    assert seller_stats(sandboxes["voso"], name)["duplicates"] == 0
    assert sum(rounds) == creates
    size = concurrency * CREATE_CHUNK
    # A round holds whole chunks (a product's creates are never split), so it may pass the
    # round size by less than one chunk; never a whole plan in one claim.
    assert len(rounds) == math.ceil(creates / (size + 1)) or len(rounds) == math.ceil(
        creates / size
    ), rounds
    assert all(r < size + CREATE_CHUNK + 2 for r in rounds), rounds
    assert rounds[0] >= size, rounds


def test_a_few_creates_are_spread_over_every_worker_without_splitting_a_product(
    tmp_path: Path,
) -> None:
    # A Celery batch holds 50 operations: in chunks of 25 only two of the account's eight
    # connections would send them.
    account = REGISTRY["voso"].sandbox_kit.account("voso-few", "http://127.0.0.1:9")
    connector = get_connector("voso")
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        for products, concurrency in ((25, 8), (3, 8), (1000, 8), (25, 1)):
            account = account.model_copy(update={"concurrency": concurrency})
            plan = plan_account(synthetic_catalog(products), account, connector, {}, TODAY)
            creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
            pusher = Pusher(
                account, connector, store, client=_no_client, settle=_no_settle, owner="me"
            )
            chunks = pusher.group(plan.operations)
            assert [op for chunk in chunks for op in chunk] == creates  # all, in order
            chunks_of = Counter(sku for chunk in chunks for sku in {op.product_sku for op in chunk})
            assert set(chunks_of.values()) == {1}  # a product's creates are in one chunk
            assert len(chunks) >= min(concurrency, products), (products, concurrency)
            assert max(len(chunk) for chunk in chunks) <= CREATE_CHUNK + 1
    finally:
        store.close()


def _no_client() -> MarketplaceClient:
    raise AssertionError("grouping sends nothing")


async def _no_settle(results: list[PushResult]) -> None:
    raise AssertionError("grouping records nothing")


def test_when_recording_fails_the_other_workers_stop_sending(
    state_url: str, sandboxes: dict[str, SandboxServer]
) -> None:
    # The state database goes away under a run: the first result cannot be recorded. The
    # error reaches the run's caller, and none of the account's other workers keeps sending
    # creates whose answers nobody would record.
    name = f"voso-{uuid.uuid4().hex[:6]}"
    account = (
        REGISTRY["voso"]
        .sandbox_kit.account(name, sandboxes["voso"].base_url)
        .model_copy(update={"concurrency": 4, "rate_limit": 1000.0})
    )
    connector = get_connector("voso")
    store = StateStore(state_url)

    async def gone(results: list[PushResult]) -> None:
        raise ConnectionError("the state database went away")

    async def scenario() -> tuple[int, int]:
        client = open_client(account, store)
        try:
            plan = plan_account(synthetic_catalog(100), account, connector, {}, TODAY)
            pusher = Pusher(
                account, connector, store, client=lambda: client, settle=gone, owner="run-1"
            )
            try:
                await pusher.send(pusher.group(plan.operations))
            except ConnectionError:
                pass
            else:
                raise AssertionError("the recording error did not reach the caller")
            at_error = seller_stats(sandboxes["voso"], name)["listings"]
            await asyncio.sleep(0.5)  # workers left running would go on creating meanwhile
            return at_error, seller_stats(sandboxes["voso"], name)["listings"]
        finally:
            await client.aclose()

    try:
        at_error, later = asyncio.run(scenario())
    finally:
        store.close()
    assert later == at_error < 200
