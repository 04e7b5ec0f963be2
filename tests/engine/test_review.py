"""Listings in a marketplace's review (TikTok Shop's audit on its sandbox): shown as in
review, never as failed; price and stock wait for the review's end; approval and rejection
are followed by the next runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from connectors.errors import RetriableError
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.catalog_io import export_catalog, load_catalog
from sync.engine.clients import open_client
from sync.engine.review import follow_reviews
from sync.settings import Account, Settings
from sync.state.store import StateStore
from tests.conftest import seller_stats
from tests.engine.conftest import small_catalog
from tests.engine.helpers import by_account, run_pass
from tests.engine.test_cli_engine import ocop

LISTABLE_VARIANTS = 10


def audit_for(server: SandboxServer, seconds: float) -> None:
    httpx.post(server.base_url + "/_sandbox/audit", json={"seconds": seconds}).raise_for_status()


def advance_clock(server: SandboxServer, seconds: float) -> None:
    httpx.post(server.base_url + "/_sandbox/clock", json={"advance": seconds}).raise_for_status()


# The marketplaces that review new listings (TikTok Shop's audit, Alibaba.com's product
# audit): both sandboxes answer /_sandbox/audit and /_sandbox/clock alike.
REVIEWING = ["alibaba", "tiktok"]


@pytest.mark.parametrize("marketplace", REVIEWING)
def test_listings_in_review_are_shown_as_such_and_follow_the_review_to_its_end(
    settings: Settings,
    sandboxes: dict[str, SandboxServer],
    config_path: Path,
    catalog_path: Path,
    marketplace: str,
) -> None:
    server = sandboxes[marketplace]
    reviewed = next(a for a in settings.accounts if a.marketplace == marketplace)
    clock = httpx.get(server.base_url + "/_sandbox/clock").json()["offset"]
    audit_for(server, 3600)
    try:
        _, reports = run_pass(settings)
        assert by_account(reports)[reviewed.name].failed == 0
        status = {
            row["account"]: row
            for row in json.loads(ocop("status", "--config", str(config_path), "--json").stdout)
        }
        assert status[reviewed.name]["in_review"] == LISTABLE_VARIANTS
        assert status[reviewed.name]["failed"] == 0 and status[reviewed.name]["listed"] == 0
        others = [a for a in settings.accounts if a.marketplace != marketplace]
        assert all(status[a.name]["listed"] == LISTABLE_VARIANTS for a in others)

        # A price change while in review waits: nothing is sent for it yet.
        catalog = load_catalog(catalog_path).catalog
        catalog.by_sku()["BK-E1"].variants[0].price += 5000
        export_catalog(catalog, catalog_path)
        plans, reports = run_pass(settings)
        plan = next(p for p in plans if p.account.name == reviewed.name)
        assert not plan.operations
        assert by_account(reports)[reviewed.name].done.total() == 0

        # The review ends (the sandbox clock passes the audit time): the next run records
        # the listings as listed and sends the price that waited.
        advance_clock(server, 3700)
        _, reports = run_pass(settings)
        assert by_account(reports)[reviewed.name].done["price"] == 1
    finally:
        audit_for(server, 0)
        # The sandboxes live for the session: later tests' tokens see the clock as it was.
        httpx.post(server.base_url + "/_sandbox/clock", json={"offset": clock}).raise_for_status()
    store = StateStore(settings.state_url)
    try:
        counts = store.status_counts(reviewed.name)[reviewed.name]
    finally:
        store.close()
    assert counts == {"listed": LISTABLE_VARIANTS, "skipped": 6}
    assert seller_stats(server, reviewed.name)["duplicates"] == 0


def test_a_listing_rejected_in_review_is_failed_with_the_marketplaces_reasons(
    settings: Settings, sandboxes: dict[str, SandboxServer], catalog_path: Path
) -> None:
    server = sandboxes["tiktok"]
    tiktok = next(a for a in settings.accounts if a.marketplace == "tiktok")
    catalog = small_catalog()
    # The sandbox's audit refuses medical claims, as TikTok's policy does.
    product = catalog.by_sku()["BK-E2"]
    product.description = (product.description or "") + " Sản phẩm chữa khỏi mọi bệnh."
    export_catalog(catalog, catalog_path)
    run_pass(settings)
    store = StateStore(settings.state_url)
    try:
        rejected = {b.sku: b for b in store.failures(tiktok.name)}
    finally:
        store.close()
    assert sorted(rejected) == ["BK-E2-100G", "BK-E2-500G"]
    assert all(b.reason and b.reason.startswith("rejected in review") for b in rejected.values())
    assert all("medical claim" in (b.reason or "") for b in rejected.values())
    assert seller_stats(server, tiktok.name)["duplicates"] == 0


def sandbox_config(server: SandboxServer, **changes: object) -> None:
    httpx.post(server.base_url + "/_sandbox/config", json=changes).raise_for_status()


def test_the_review_follow_up_asks_concurrently_and_stops_on_an_error(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    server = sandboxes["alibaba"]
    reviewed = next(a for a in settings.accounts if a.marketplace == "alibaba")
    audit_for(server, 3600)
    try:
        run_pass(settings)  # 10 listings in review, pushed 8 at a time at most
        assert seller_stats(server, reviewed.name)["max_in_flight"] <= reviewed.concurrency
        store = StateStore(settings.state_url)
        wider = reviewed.model_copy(update={"concurrency": LISTABLE_VARIANTS, "max_attempts": 1})
        try:
            # Each lookup answers 0.2 s late: asked one at a time, never two in progress.
            sandbox_config(server, latency_ms=200)
            counts = asyncio.run(_follow(wider, store))
            assert counts == {"listed": 0, "failed": 0, "in_review": LISTABLE_VARIANTS}
            assert seller_stats(server, reviewed.name)["max_in_flight"] == LISTABLE_VARIANTS

            # Every lookup refused: the error reaches the caller and nothing is recorded.
            sandbox_config(server, latency_ms=0, fault_rate=1.0, faults=["error500"])
            with pytest.raises(RetriableError):
                asyncio.run(_follow(wider, store))
            assert (
                store.status_counts(reviewed.name)[reviewed.name]["in_review"] == LISTABLE_VARIANTS
            )
        finally:
            store.close()
    finally:
        sandbox_config(server, latency_ms=0, fault_rate=0.0, faults=list(SandboxConfig().faults))
        audit_for(server, 0)


async def _follow(account: Account, store: StateStore) -> dict[str, int]:
    client = open_client(account, store)
    try:
        return await follow_reviews(client, store)
    finally:
        await client.aclose()
