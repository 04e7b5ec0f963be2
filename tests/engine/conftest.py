"""Engine fixtures: a small catalog, accounts on the real sandboxes, a settings object."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import pytest

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.settings import Account, Settings, load_settings
from sync.state.store import StateStore
from sync.state.token_provider import authorize_sandbox_accounts
from tests.factories import make_product, product_data

TODAY = date(2026, 11, 29)


def small_catalog() -> Catalog:
    """Five listable products (two variants each) and three that must not be listed."""
    products = [make_product(f"BK-E{i}") for i in range(1, 6)]
    expired = product_data("BK-OLD")
    expired["certificate"] = {**expired["certificate"], "decision_date": "2021-01-10"}
    proposed = product_data("BK-NEW")
    proposed["ocop"] = {**proposed["ocop"], "status": "proposed"}
    no_image = product_data("BK-NOIMG", images=[])
    from sync.catalog import Product

    products += [Product.model_validate(d) for d in (expired, proposed, no_image)]
    return Catalog(products=products)


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    """The small catalog written as XLSX (exercises the importer too)."""
    path = tmp_path / "catalog.xlsx"
    export_catalog(small_catalog(), path)
    return path


def write_test_config(
    path: Path, sandboxes: dict[str, SandboxServer], state_url: str, catalog_path: Path
) -> Path:
    """A TOML configuration with one fresh account per marketplace (unique seller names)."""
    suffix = uuid.uuid4().hex[:6]
    accounts = [
        REGISTRY[name]
        .sandbox_kit.account(f"{name}-{suffix}", server.base_url)
        .model_copy(
            # Short timeouts and bounded retries keep fault tests quick; 200 req/s keeps the
            # limiter in the path without making it the bottleneck.
            update={"timeout": 1.0, "max_attempts": 6, "max_retry_delay": 20.0, "rate_limit": 200.0}
        )
        for name, server in sorted(sandboxes.items())
    ]
    write_config(path, catalog_path, state_url, accounts)
    authorize_sandboxes(state_url, accounts)
    return path


def authorize_sandboxes(state_url: str, accounts: list[Account]) -> None:
    """Store a grant for every OAuth account (the shop owner's consent, on its sandbox)."""
    store = StateStore(state_url)
    try:
        asyncio.run(authorize_sandbox_accounts(store, accounts))
    finally:
        store.close()


@pytest.fixture
def config_path(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], state_url: str, catalog_path: Path
) -> Path:
    """The test configuration for the parametrised state store."""
    return write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, catalog_path)


@pytest.fixture
def settings(config_path: Path) -> Settings:
    """Settings loaded from that file."""
    return load_settings(config_path)
