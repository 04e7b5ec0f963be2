"""The create claims (intent rows) of a run are taken a round of its workers at a time: one
transaction per `concurrency` chunks of creates, not one per chunk and not the whole plan
at once — so a stopped run leaves at most about a round claimed but unsent."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import Counter

import sqlalchemy as sa

from connectors.registry import REGISTRY, get_connector
from connectors.sandbox import SandboxServer
from sync.engine.push import CREATE_CHUNK
from sync.executor import run_account
from sync.plan import plan_account
from sync.state.models import BindingRecord
from sync.state.store import StateStore
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
