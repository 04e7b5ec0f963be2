"""Settled accounts meet the workers: a Celery run's writes remove the marks an inline run
left, so a catalog that comes back to the content of a mark is still pushed back. Real
worker, Redis, PostgreSQL (statement triggers) and sandboxes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.demo import change_catalog
from sync.state.models import SettledRecord
from sync.state.store import StateStore
from tests.workers.conftest import (
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def _settled(pg_url: str) -> set[str]:
    store = StateStore(pg_url, migrate=False)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(SettledRecord.__table__.select()).mappings().all()
    finally:
        store.close()
    return {row["account"] for row in rows if row["chunks"]}


def test_a_catalog_back_to_its_settled_content_after_a_celery_push_is_pushed_back(
    deploy: Callable[..., Deployment], sandboxes: dict[str, SandboxServer], pg_url: str
) -> None:
    catalog = sample_catalog(30)
    accounts = [
        sandbox_account(name, sandboxes[name].base_url, rate_limit=200.0)
        for name in ("postmart", "voso")
    ]
    d = deploy(accounts, catalog, batch_size=10)
    worker = d.worker("w", concurrency=2)
    for _ in range(2):  # the operator lists everything, then checks: nothing to do
        result = d.cli("sync", "--json")
        assert result.returncode == 0, result.stderr
    assert _settled(pg_url) == {a.name for a in accounts}

    # A changed catalog goes out through the workers (prices, stock, an expired certificate).
    changed, _ = change_catalog(catalog, date.today())
    export_catalog(changed, d.root / "catalog.json")
    result = d.cli("sync", "--via", "celery", "--wait", "--json")
    assert result.returncode == 0, result.stderr + worker.text()[-3000:]
    for report in json.loads(result.stdout):
        assert report["done"] == {"price": 3, "stock": 3, "delist": 1}, report
    assert _settled(pg_url) == set()  # the workers wrote bindings: no mark outlives that

    # Back to the catalog the marks were made from: the inline sync must undo the change,
    # not take the catalog for the one it checked before.
    export_catalog(catalog, d.root / "catalog.json")
    result = d.cli("sync", "--json")
    assert result.returncode == 0, result.stderr
    for report in json.loads(result.stdout):
        assert report["failed"] == 0, report
        assert report["done"]["price"] == 3 and report["done"]["stock"] == 3, report
        assert sum(report["done"].values()) == 7, report  # and the product relisted
    for account in accounts:
        expected = listable_count(catalog, account.marketplace, account)
        assert listed_exactly_once(sandboxes[account.marketplace], account, pg_url) == expected
