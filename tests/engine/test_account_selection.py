"""Per-account selection and stock per channel, on the real sandboxes with the Bắc Kạn sample.

A cooperative's own shop takes only its own products; narrowing what it takes delists the
rest there and nowhere else; a share of stock is shown rounded down; at_zero = "delist"
takes a sold-out listing down and brings it back with the stock.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.samples.bac_kan import REFERENCE_DATE, build_bac_kan_catalog
from sync.settings import Account, Selection, StockRules, load_settings
from tests.conftest import seller_listings, seller_stats
from tests.engine.conftest import authorize_sandboxes
from tests.engine.helpers import by_account, run_pass

TODAY = REFERENCE_DATE


def _producer_with_products(catalog: Catalog) -> tuple[str, list[str]]:
    """A producer with at least two listable products (and their product SKUs)."""
    listable: dict[str, list[str]] = defaultdict(list)
    for product in catalog:
        if product.listability(TODAY).ok:
            listable[product.producer.name].append(product.sku)
    name, skus = max(listable.items(), key=lambda item: (len(item[1]), item[0]))
    assert len(skus) >= 2
    return name, skus


def _account(market: str, name: str, base_url: str, **update: Any) -> Account:
    kit = REGISTRY[market].sandbox_kit
    return kit.account(name, base_url).model_copy(update={"rate_limit": 200.0, **update})


def _write(tmp_path: Path, catalog_path: Path, state_url: str, accounts: list[Account]) -> Path:
    path = tmp_path / "ocop-sync.toml"
    write_config(path, catalog_path, state_url, accounts)
    authorize_sandboxes(state_url, accounts)
    return path


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    """The sample in the keeper's layout (Vietnamese headers and values)."""
    path = tmp_path / "catalog.xlsx"
    export_catalog(build_bac_kan_catalog(), path, lang="vi")
    return path


def test_an_account_limited_to_one_producer_lists_exactly_its_listable_variants_and_narrowing_delists_there_only(  # noqa: E501
    tmp_path: Path, sandboxes: dict[str, SandboxServer], sample_path: Path
) -> None:
    catalog = build_bac_kan_catalog()
    producer, products = _producer_with_products(catalog)
    by_sku = catalog.by_sku()
    mine = [v for sku in products for v in by_sku[sku].variants]
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    suffix = tmp_path.name[-6:].replace("_", "x").lower()
    shop, pavilion = f"voso-htx-{suffix}", f"postmart-htx-{suffix}"
    select = Selection(producers=[producer])
    half = StockRules(share_percent=50)
    accounts = [
        _account("voso", shop, sandboxes["voso"].base_url, select=select, stock=half),
        _account("postmart", pavilion, sandboxes["postmart"].base_url, select=select),
    ]
    plans, reports = run_pass(load_settings(_write(tmp_path, sample_path, state_url, accounts)))

    done = by_account(reports)
    assert done[shop].failed == 0 and done[pavilion].failed == 0
    assert done[shop].done["create"] == len(mine)
    assert seller_stats(sandboxes["voso"], shop)["active"] == len(mine)
    assert seller_stats(sandboxes["postmart"], pavilion)["active"] == len(mine)
    every = sum(1 for _ in catalog.variants())
    plan = next(p for p in plans if p.account.name == shop)
    assert plan.counts["out_of_scope"] == every - len(mine)
    assert all("select.producers" in rule for _, rule in plan.out_of_scope)
    # share_percent = 50: every listing shows half the catalog stock, rounded down.
    stock = {v.sku: v.stock for v in mine}
    shown = {item["sku"]: item["stock"] for item in seller_listings(sandboxes["voso"], shop)}
    assert shown == {sku: units // 2 for sku, units in stock.items()}
    assert any(units % 2 for units in stock.values()) or all(units == 0 for units in stock.values())

    # Narrow the shop: one of the producer's products leaves it.
    dropped = products[0]
    narrower = Selection(producers=[producer], exclude_skus=[dropped])
    accounts[0] = accounts[0].model_copy(update={"select": narrower})
    plans, reports = run_pass(load_settings(_write(tmp_path, sample_path, state_url, accounts)))

    plan = next(p for p in plans if p.account.name == shop)
    delists = [op for op in plan.operations if op.kind.value == "delist"]
    gone = {v.sku for v in by_sku[dropped].variants}
    assert {op.sku for op in delists} == gone
    assert all(op.reason == f"out of scope: {op.sku} is in select.exclude_skus" for op in delists)
    assert by_account(reports)[shop].done["delist"] == len(gone)
    assert seller_stats(sandboxes["voso"], shop)["active"] == len(mine) - len(gone)
    # The other account kept every listing.
    assert seller_stats(sandboxes["postmart"], pavilion)["active"] == len(mine)
    assert by_account(reports)[pavilion].done["delist"] == 0


def test_at_zero_delist_takes_a_sold_out_listing_down_and_relists_it_when_stock_returns(
    tmp_path: Path, sandboxes: dict[str, SandboxServer]
) -> None:
    catalog = build_bac_kan_catalog()
    producer, products = _producer_with_products(catalog)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    name = f"voso-zero-{tmp_path.name[-6:].replace('_', 'x').lower()}"
    account = _account(
        "voso",
        name,
        sandboxes["voso"].base_url,
        select=Selection(producers=[producer]),
        stock=StockRules(at_zero="delist"),
    )
    path = tmp_path / "catalog.json"
    export_catalog(catalog, path)
    settings = load_settings(_write(tmp_path, path, state_url, [account]))
    run_pass(settings)
    listed = seller_stats(sandboxes["voso"], name)["active"]

    variant = catalog.by_sku()[products[0]].variants[0]
    variant.stock = 0
    export_catalog(catalog, path)
    plans, reports = run_pass(settings)
    assert [(op.kind.value, op.sku) for op in plans[0].operations] == [("delist", variant.sku)]
    assert seller_stats(sandboxes["voso"], name)["active"] == listed - 1

    variant.stock = 9
    export_catalog(catalog, path)
    plans, reports = run_pass(settings)
    assert [(op.kind.value, op.sku) for op in plans[0].operations] == [("relist", variant.sku)]
    assert reports[0].failed == 0
    assert seller_stats(sandboxes["voso"], name)["active"] == listed
