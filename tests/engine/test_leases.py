"""The account lease and the create claim, each side on its own connection pool (as two
processes would be), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sync.engine.lease import HeldLease
from sync.state.leases import LeaseBusy, Leases
from sync.state.store import StateStore


def two_stores(url: str) -> tuple[StateStore, StateStore]:
    first = StateStore(url)
    return first, StateStore(url, migrate=False)


def test_only_one_of_two_runs_takes_a_free_lease(state_url: str) -> None:
    a, b = two_stores(state_url)
    assert Leases(a).acquire("voso-1", "run-a", "cli pid 1") is None
    busy = Leases(b).acquire("voso-1", "run-b", "beat pid 2")
    assert busy is not None and busy.owner == "run-a" and busy.holder == "cli pid 1"
    assert "account voso-1 is being synced by" in busy.describe()
    # Other accounts are independent.
    assert Leases(b).acquire("postmart-1", "run-b", "beat pid 2") is None


def test_simultaneous_acquires_from_many_connections_have_one_winner(state_url: str) -> None:
    stores = [StateStore(state_url, migrate=i == 0) for i in range(8)]

    def take(i: int) -> bool:
        return Leases(stores[i]).acquire("acc", f"owner-{i}", f"pid {i}") is None

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(take, range(8)))
    assert wins.count(True) == 1


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew(state_url: str) -> None:
    a, b = two_stores(state_url)
    assert Leases(a, ttl=0.3).acquire("acc", "dead", "cli pid 1") is None
    assert Leases(b).acquire("acc", "next", "cli pid 2") is not None  # still live
    time.sleep(0.5)
    assert Leases(b).acquire("acc", "next", "cli pid 2") is None  # expired: taken over
    assert Leases(a).renew("acc", "dead") is False
    Leases(a).release("acc", "dead")  # a late release of the dead holder frees nothing
    holder = Leases(a).holder("acc")
    assert holder is not None and holder.owner == "next"


def test_the_holder_may_take_its_lease_again_and_names_its_run(state_url: str) -> None:
    a, _ = two_stores(state_url)
    leases = Leases(a)
    assert leases.acquire("acc", "me", "celery pid 1") is None
    first = leases.holder("acc")
    assert leases.acquire("acc", "me", "celery pid 1") is None  # a redelivered plan task
    assert leases.renew("acc", "me", run_id=42)
    again = leases.holder("acc")
    assert first is not None and again is not None
    assert again.run_id == 42 and again.acquired_at == first.acquired_at
    leases.release("acc", "me")
    assert leases.holder("acc") is None


def test_a_create_claim_is_held_by_one_owner_while_its_lease_lives(state_url: str) -> None:
    a, b = two_stores(state_url)
    Leases(a).acquire("acc", "run-a", "cli")
    items = [("SKU-1", "P1"), ("SKU-2", "P2")]
    assert Leases(a).claim_creates("acc", "run-a", items) == {"SKU-1": False, "SKU-2": False}
    # Another owner (a bug in the lease, say) gets none of them while run-a's lease lives.
    assert Leases(b).claim_creates("acc", "run-b", [*items, ("SKU-3", "P3")]) == {"SKU-3": False}
    # The same owner again (a retry): it keeps them, and now looks them up first.
    assert Leases(a).claim_creates("acc", "run-a", items[:1]) == {"SKU-1": True}
    Leases(a).release("acc", "run-a")
    # run-a is gone: its claims are stale and the next run takes them, looking up first.
    assert Leases(b).claim_creates("acc", "run-b", items) == {"SKU-1": True, "SKU-2": True}
    binding = b.binding("acc", "SKU-1")
    assert binding is not None and binding.create_attempted


def test_a_row_that_never_saw_a_create_is_claimed_as_fresh(state_url: str) -> None:
    store = StateStore(state_url)
    store.add_deliveries("acc", [("SKU-9", "P9")])  # a Celery delivery counted first
    assert Leases(store).claim_creates("acc", "run-a", [("SKU-9", "P9")]) == {"SKU-9": False}


def test_held_lease_waits_for_a_busy_account_then_reports_the_holder(state_url: str) -> None:
    a, b = two_stores(state_url)

    async def scenario() -> None:
        async with HeldLease(a, "acc", holder="beat pid 1") as first:
            await first.attach_run(7)
            started = time.monotonic()
            with pytest.raises(LeaseBusy) as info:
                async with HeldLease(b, "acc", holder="cli pid 2", wait=0.6):
                    pass
            assert time.monotonic() - started >= 0.5
            assert "run 7" in str(info.value) and "beat pid 1" in str(info.value)
        # Released on exit: the next run takes it at once.
        async with HeldLease(b, "acc", holder="cli pid 2") as second:
            second.check()

    asyncio.run(scenario())


def test_a_heartbeat_keeps_a_short_lease_alive_and_a_lost_one_is_noticed(
    state_url: str,
) -> None:
    a, b = two_stores(state_url)

    async def scenario() -> None:
        async with HeldLease(a, "acc", holder="cli", ttl=0.6) as held:
            await asyncio.sleep(1.5)  # past the lifetime: only the heartbeat kept it
            assert Leases(b).acquire("acc", "intruder", "x") is not None
            held.check()
            # Simulate a stall: the lease is stolen after expiry; the next beat notices.
            Leases(b).release("acc", held.owner)
            assert Leases(b).acquire("acc", "intruder", "x") is None
            await asyncio.sleep(0.5)
            assert held.lost

    asyncio.run(scenario())
