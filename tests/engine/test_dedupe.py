"""Duplicates made visible and repairable: `reconcile` lists SKUs the marketplace carries more
than once, `dedupe` shows them, `dedupe --apply` leaves exactly one per SKU, the bound one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.engine.clients import open_client
from sync.settings import Account, Settings
from sync.state.store import StateStore
from tests.conftest import seller_listings
from tests.engine.conftest import TODAY, small_catalog
from tests.engine.helpers import run_pass
from tests.engine.test_cli_engine import ocop

PLANTED = ("BK-E1-100G", "BK-E2-500G")


async def plant_duplicates(account: Account, store: StateStore) -> None:
    """What two runs racing used to leave behind: a second listing for SKUs already listed."""
    connector = REGISTRY[account.marketplace]
    listings = {
        listing.sku: listing
        for product in small_catalog().products
        for listing in connector.mapping.map_product(product, account, TODAY)
    }
    client = open_client(account, store)
    try:
        for sku in PLANTED:
            await client.create(listings[sku])
    finally:
        await client.aclose()


def active_ids(server: SandboxServer, account: Account) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in seller_listings(server, account.name):
        if item.get("active", True) and item.get("status", "active") == "active":
            out.setdefault(item["sku"], []).append(str(item["id"]))
    return out


def test_reconcile_lists_planted_duplicates_and_dedupe_keeps_the_bound_copy(
    settings: Settings, sandboxes: dict[str, SandboxServer], config_path: Path
) -> None:
    run_pass(settings)
    account = next(a for a in settings.accounts if a.marketplace == "postmart")
    server = sandboxes[account.marketplace]
    store = StateStore(settings.state_url)
    try:
        asyncio.run(plant_duplicates(account, store))
        bound = {sku: store.binding(account.name, sku).remote_id for sku in PLANTED}  # type: ignore[union-attr]
    finally:
        store.close()
    assert all(len(active_ids(server, account)[sku]) == 2 for sku in PLANTED)

    observed = ocop("reconcile", "--config", str(config_path), "--account", account.name, "--json")
    assert observed.returncode == 0, observed.stdout + observed.stderr
    report = json.loads(observed.stdout)["observed"][0]
    duplicates = {d["sku"]: d for d in report["duplicates"]}
    assert sorted(duplicates) == sorted(PLANTED)
    assert all(d["count"] == 2 and bound[sku] in d["remote_ids"] for sku, d in duplicates.items())
    assert report["edited"] == [] and report["missing"] == []  # the bound copies are intact

    shown = ocop("dedupe", "--config", str(config_path), "--account", account.name, "--json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    dry = json.loads(shown.stdout)
    assert not dry["applied"] and {d["sku"]: d["keep"] for d in dry["duplicates"]} == bound
    assert all(len(active_ids(server, account)[sku]) == 2 for sku in PLANTED)  # dry run

    applied = ocop(
        "dedupe", "--config", str(config_path), "--account", account.name, "--apply", "--json"
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    after = active_ids(server, account)
    assert {sku: after[sku] for sku in PLANTED} == {sku: [rid] for sku, rid in bound.items()}
    assert all(len(ids) == 1 for ids in after.values())

    again = ocop("reconcile", "--config", str(config_path), "--account", account.name, "--json")
    assert json.loads(again.stdout)["observed"][0]["duplicates"] == []


def test_older_bare_tiktok_ids_still_name_their_listings_and_are_brought_up_to_date(
    settings: Settings, sandboxes: dict[str, SandboxServer], config_path: Path
) -> None:
    # Bindings stored before TikTok remote ids carried the SKU id hold the bare product id:
    # reconcile and dedupe must still see them as the bound listing, not as strangers.
    run_pass(settings)
    account = next(a for a in settings.accounts if a.marketplace == "tiktok")
    store = StateStore(settings.state_url)
    try:
        current = {
            sku: b.remote_id for sku, b in store.bindings(account.name).items() if b.remote_id
        }
        assert current and all(":" in rid for rid in current.values())
        bare = {sku: rid.partition(":")[0] for sku, rid in current.items()}
        store.apply_observations(account.name, {s: {"remote_id": r} for s, r in bare.items()})
        asyncio.run(plant_duplicates(account, store))
    finally:
        store.close()

    observed = ocop("reconcile", "--config", str(config_path), "--account", account.name, "--json")
    assert observed.returncode == 0, observed.stdout + observed.stderr
    report = json.loads(observed.stdout)["observed"][0]
    # Compared as they are, every bound listing was taken for an extra copy of its SKU: never
    # compared, its id never brought up to date, and dedupe kept whichever copy came first.
    assert report["missing"] == [] and report["unknown"] == []
    assert sorted(d["sku"] for d in report["duplicates"]) == sorted(PLANTED)
    store = StateStore(settings.state_url)
    try:  # the stored ids are the full ones again
        assert {s: store.binding(account.name, s).remote_id for s in current} == current  # type: ignore[union-attr]
    finally:
        store.close()

    applied = ocop(
        "dedupe", "--config", str(config_path), "--account", account.name, "--apply", "--json"
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    kept = {d["sku"]: d["keep"] for d in json.loads(applied.stdout)["duplicates"]}
    assert kept == {sku: current[sku] for sku in PLANTED}
