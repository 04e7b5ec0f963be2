"""`ocop-sync sync --via celery --wait` against real workers, Redis, PostgreSQL, sandboxes."""

from __future__ import annotations

import json
import time

import pytest

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from tests.workers.conftest import (
    BIN,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
    stats,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def test_sync_via_celery_with_two_worker_processes_lists_the_whole_sample_everywhere(
    deploy, sandboxes: dict[str, SandboxServer], pg_url: str
) -> None:
    catalog = sample_catalog()
    accounts = [
        sandbox_account(name, sandboxes[name].base_url, rate_limit=200.0)
        for name in sorted(REGISTRY)
    ]
    d = deploy(accounts, catalog)
    worker = d.worker("w1", concurrency=2)
    assert len(worker.pool()) == 2

    started = time.monotonic()
    result = d.cli("sync", "--via", "celery", "--wait", "--json")
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr + worker.text()[-4000:]
    reports = {r["account"]: r for r in json.loads(result.stdout)}
    print(f"end to end: {seconds:.1f}s for {len(accounts)} accounts")

    for account in accounts:
        expected = listable_count(catalog, account.marketplace, account)
        report = reports[account.name]
        assert report["failed"] == 0, report["errors"]
        assert report["done"] == {"create": expected}
        assert len(report["skipped"]) == report["planned"]["skip"] > 0
        server = sandboxes[account.marketplace]
        assert listed_exactly_once(server, account, pg_url) == expected

    # Nothing changed: a second sync plans no-ops and sends nothing.
    before = {name: stats(server)["requests"] for name, server in sandboxes.items()}
    again = d.cli("sync", "--via", "celery", "--wait", "--json")
    assert again.returncode == 0, again.stderr
    assert all(r["requests"] == 0 and not r["done"] for r in json.loads(again.stdout))
    assert {name: stats(server)["requests"] for name, server in sandboxes.items()} == before


def test_the_compose_worker_healthcheck_answers_for_a_running_worker(deploy, sandboxes) -> None:
    account = sandbox_account("voso", sandboxes["voso"].base_url)
    d = deploy([account], sample_catalog(3))
    d.worker("hc", concurrency=1)
    import subprocess

    ping = subprocess.run(
        [
            str(BIN / "celery"),
            "-A",
            "workers.app",
            "inspect",
            "ping",
            "-d",
            "hc@test",
            "--timeout",
            "10",
        ],
        env=d.env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=d.root,
    )
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert "pong" in ping.stdout
