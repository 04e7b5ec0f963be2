"""The engine end to end against the real sandboxes, state on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog, load_catalog
from sync.engine.clients import open_client
from sync.runner import open_job, reconcile_accounts
from sync.settings import Account, Settings
from sync.state.models import SettledRecord
from sync.state.store import StateStore
from tests.conftest import seller_listings, seller_stats, set_sandbox
from tests.engine.helpers import TODAY, run_pass

LISTABLE_VARIANTS = 10  # 5 listable products x 2 variants
SKIPPED_VARIANTS = 6  # expired, proposed, no image x 2 variants


def _server(sandboxes: dict[str, SandboxServer], settings: Settings, account: str) -> SandboxServer:
    return sandboxes[settings.account(account).marketplace]


def test_first_sync_lists_every_listable_variant_once_and_skips_the_rest_with_reasons(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    _, reports = run_pass(settings)
    for report in reports:
        assert report.failed == 0, report.errors
        assert report.done["create"] == LISTABLE_VARIANTS
        reasons = {sku.rsplit("-", 1)[0]: why for sku, why in report.skipped}
        assert "expired" in reasons["BK-OLD"]
        assert "proposed" in reasons["BK-NEW"]
        assert "image" in reasons["BK-NOIMG"]
        assert len(report.skipped) == SKIPPED_VARIANTS
        stats = seller_stats(_server(sandboxes, settings, report.account), report.account)
        assert (stats["listings"], stats["duplicates"]) == (LISTABLE_VARIANTS, 0)
    store = StateStore(settings.state_url)
    counts = store.status_counts()
    assert {a: (c.get("listed"), c.get("skipped")) for a, c in counts.items()} == {
        a.name: (LISTABLE_VARIANTS, SKIPPED_VARIANTS) for a in settings.accounts
    }


def test_state_agrees_with_the_sandbox_after_a_sync(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    run_pass(settings)
    store = StateStore(settings.state_url)
    for account in settings.accounts:
        remote = {
            item["sku"]: str(item["id"])
            for item in seller_listings(sandboxes[account.marketplace], account.name)
        }
        ours = {
            sku: b.remote_id
            for sku, b in store.bindings(account.name).items()
            if b.status == "listed"
        }
        assert ours == remote


def test_noop_sync_after_a_complete_one_sends_no_request(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    run_pass(settings)
    before = {a.name: _requests(sandboxes, a.marketplace) for a in settings.accounts}
    plans, reports = run_pass(settings)
    for plan, report in zip(plans, reports, strict=True):
        assert plan.operations == []
        assert plan.counts["noop"] == LISTABLE_VARIANTS
        assert report.requests == 0
    assert {a.name: _requests(sandboxes, a.marketplace) for a in settings.accounts} == before


def _requests(sandboxes: dict[str, SandboxServer], marketplace: str) -> int:
    return int(httpx.get(sandboxes[marketplace].base_url + "/_sandbox/stats").json()["requests"])


def test_incremental_pass_pushes_only_what_changed_and_delists_the_expired(
    settings: Settings, sandboxes: dict[str, SandboxServer], catalog_path: Path
) -> None:
    run_pass(settings)
    catalog = load_catalog(catalog_path).catalog
    products = catalog.by_sku()
    products["BK-E1"].variants[0].price += 5000
    products["BK-E2"].variants[1].stock += 9
    products["BK-E3"].description = "Mô tả mới: tinh bột nghệ sạch, đóng gói tại Ba Bể."
    assert products["BK-E4"].certificate is not None
    products["BK-E4"].certificate.valid_until = TODAY.replace(day=1)
    export_catalog(catalog, catalog_path)

    plans, reports = run_pass(settings)
    for plan, report in zip(plans, reports, strict=True):
        kinds = {op.sku: op.kind.value for op in plan.operations}
        assert kinds == {
            "BK-E1-100G": "price",
            "BK-E2-500G": "stock",
            "BK-E3-100G": "update",
            "BK-E3-500G": "update",
            "BK-E4-100G": "delist",
            "BK-E4-500G": "delist",
        }
        assert report.failed == 0, report.errors
        server = sandboxes[plan.account.marketplace]
        assert seller_stats(server, report.account)["active"] == LISTABLE_VARIANTS - 2
        assert seller_stats(server, report.account)["duplicates"] == 0


def test_a_change_only_one_marketplace_shows_updates_there_and_refreshes_the_others(
    settings: Settings, sandboxes: dict[str, SandboxServer], catalog_path: Path
) -> None:
    run_pass(settings)
    catalog = load_catalog(catalog_path).catalog
    catalog.by_sku()["BK-E1"].name_en = "Bac Kan red turmeric starch, new label"
    export_catalog(catalog, catalog_path)
    before = {m: _requests(sandboxes, m) for m in sandboxes if m != "alibaba"}

    plans, reports = run_pass(settings)
    by_marketplace = {p.account.marketplace: p for p in plans}
    alibaba = by_marketplace.pop("alibaba")  # its English title carries name_en
    assert {op.kind.value for op in alibaba.operations} == {"update"}
    for marketplace, plan in by_marketplace.items():
        # Same listings everywhere else: nothing sent, the new source hash recorded.
        assert not plan.operations
        assert sorted(sku for sku, _ in plan.refreshes) == ["BK-E1-100G", "BK-E1-500G"]
        assert _requests(sandboxes, marketplace) == before[marketplace]
    assert all(r.failed == 0 for r in reports)

    again, _ = run_pass(settings)
    assert all(not p.operations and not p.refreshes for p in again)


def test_removed_product_is_delisted_and_a_returning_one_relisted_without_duplicate(
    settings: Settings, sandboxes: dict[str, SandboxServer], catalog_path: Path
) -> None:
    run_pass(settings)
    full = load_catalog(catalog_path).catalog
    shorter = full.model_copy(update={"products": [p for p in full.products if p.sku != "BK-E5"]})
    export_catalog(shorter, catalog_path)
    _, reports = run_pass(settings)
    assert all(r.done["delist"] == 2 for r in reports)
    export_catalog(full, catalog_path)
    plans, reports = run_pass(settings)
    for plan, report in zip(plans, reports, strict=True):
        assert {op.kind.value for op in plan.operations} == {"relist"}
        assert report.done["relist"] == 2 and report.failed == 0
        stats = seller_stats(sandboxes[plan.account.marketplace], report.account)
        assert (stats["listings"], stats["active"], stats["duplicates"]) == (10, 10, 0)


def test_sync_under_20_percent_faults_finishes_and_a_second_run_leaves_nothing_failed(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    for server in sandboxes.values():
        set_sandbox(
            server, fault_rate=0.2, faults=["error500", "error503", "throttle", "slow", "drop"]
        )
    try:
        _, reports = run_pass(settings)  # finishes; some listings may have failed
    finally:
        for server in sandboxes.values():
            set_sandbox(server, fault_rate=0.0)
    assert all(r.done["create"] + r.done["adopt"] + r.failed == LISTABLE_VARIANTS for r in reports)
    _, reports = run_pass(settings)
    store = StateStore(settings.state_url)
    for account in settings.accounts:
        counts = store.status_counts(account.name)[account.name]
        assert counts.get("failed", 0) == 0 and counts["listed"] == LISTABLE_VARIANTS
        stats = seller_stats(sandboxes[account.marketplace], account.name)
        assert (stats["listings"], stats["duplicates"]) == (LISTABLE_VARIANTS, 0)


def test_wrong_credentials_stop_that_account_only_and_name_it(
    settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    victim = settings.accounts[0]
    wrong = {k: SecretStr("nope-" + v.get_secret_value()) for k, v in victim.credentials.items()}
    broken = settings.model_copy(
        update={
            "accounts": [victim.model_copy(update={"credentials": wrong}), *settings.accounts[1:]]
        }
    )
    _, reports = run_pass(broken)
    bad, *good = reports
    assert bad.account == victim.name and bad.stopped  # the marketplace's own words
    assert bad.failed == LISTABLE_VARIANTS and bad.requests <= 4
    for secret in wrong.values():
        assert secret.get_secret_value() not in bad.stopped
    assert all(r.failed == 0 and r.done["create"] == LISTABLE_VARIANTS for r in good)


async def _change_by_hand(
    account: Account, server: SandboxServer, catalog: Catalog, store: StateStore
) -> None:
    """As a seller in the web portal: delete a listing, edit another's stock, add a foreign one."""
    connector = REGISTRY[account.marketplace]
    listings = sorted(seller_listings(server, account.name), key=lambda item: item["sku"])
    seller = next(
        s for s in httpx.get(server.base_url + "/_sandbox/listings").json() if account.name in s
    )
    deleted = listings[0]
    where = f"{quote(seller, safe='')}/{quote(str(deleted['id']), safe='')}"
    httpx.delete(f"{server.base_url}/_sandbox/listings/{where}").raise_for_status()
    client = open_client(account, store)
    try:
        edited = await client.find_by_sku(listings[1]["sku"])
        assert edited is not None
        product = next(p for p in catalog.products if any(v.sku == edited.sku for v in p.variants))
        mapped = connector.mapping.map_product(product, account, TODAY)
        target = next(item for item in mapped if item.sku == edited.sku)
        await client.update_stock(edited.remote_id, dataclasses.replace(target, stock=999))
        await client.create(dataclasses.replace(target, sku="HAND-MADE-1"))
    finally:
        await client.aclose()


@pytest.mark.parametrize("settled", [False, True], ids=["after-a-sync", "after-a-quiet-sync"])
def test_reconcile_repushes_hand_deleted_and_edited_listings_and_reports_unknown_ones(
    settings: Settings, sandboxes: dict[str, SandboxServer], catalog_path: Path, settled: bool
) -> None:
    run_pass(settings)
    if settled:
        # A second sync finds nothing and leaves every account settled (sync.settled):
        # what reconcile records must still reach the next sync.
        run_pass(settings)
        assert _settled_accounts(settings) == {a.name for a in settings.accounts}
    catalog = load_catalog(catalog_path).catalog
    store = StateStore(settings.state_url)
    for account in settings.accounts:
        asyncio.run(_change_by_hand(account, sandboxes[account.marketplace], catalog, store))
    store.close()
    job = open_job(settings)
    observed = {r.account: r for r in asyncio.run(reconcile_accounts(job))}
    for account in settings.accounts:
        reconciled = observed[account.name]
        assert len(reconciled.missing) == 1 and len(reconciled.edited) == 1
        assert reconciled.unknown == ["HAND-MADE-1"]
    assert _settled_accounts(settings) == set()  # reconcile wrote bindings of each
    _, reports = run_pass(settings)
    for account, report in zip(settings.accounts, reports, strict=True):
        assert report.failed == 0
        assert report.done["create"] == 1 and report.done["stock"] == 1
        stats = seller_stats(sandboxes[account.marketplace], account.name)
        assert stats["listings"] == LISTABLE_VARIANTS + 1  # ours again + the unknown one kept
        assert stats["duplicates"] == 0


def _settled_accounts(settings: Settings) -> set[str]:
    store = StateStore(settings.state_url)
    try:
        with store.engine.connect() as conn:
            query = sa.select(SettledRecord.account, SettledRecord.chunks)
            return {account for account, chunks in conn.execute(query) if chunks}
    finally:
        store.close()


def test_a_sync_prunes_audit_rows_past_their_retention(settings: Settings) -> None:
    run_pass(settings)
    store = StateStore(settings.state_url)
    sku = "BK-E1-100G"
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit SET at = :old WHERE sku = :sku"),
            {"old": "2020-01-01 00:00:00+00:00", "sku": sku},
        )
    run_pass(settings.model_copy(update={"audit_retention_days": 30}))
    assert store.history(sku) == []
    assert store.history("BK-E2-100G") != []
