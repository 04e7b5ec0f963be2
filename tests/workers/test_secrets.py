"""Nothing secret ever reaches Redis: task messages carry ids, workers hold credentials."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from typing import cast

import pytest
import redis

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.settings import Account
from sync.state.cipher import cipher_from_env
from sync.state.store import StateStore
from sync.state.tokens import TokenStore
from tests.workers.conftest import (
    Deployment,
    listable_count,
    listed_exactly_once,
    sample_catalog,
    sandbox_account,
)

pytestmark = [pytest.mark.celery, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def undecoded(replies: Iterable[object]) -> list[bytes]:
    """Redis replies as what they are: bytes, since the client leaves decode_responses off
    (redis-py's annotations also allow str, and for zrange scored tuples, not asked for)."""
    return [cast(bytes, reply) for reply in replies]


def everything_in(url: str) -> tuple[bytes, list[dict]]:
    """Every value in the Redis database as one blob, and the decoded task messages."""
    client = redis.Redis.from_url(url)
    blob: list[bytes] = []
    messages: list[dict] = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"list":
            values = undecoded(client.lrange(key, 0, -1))
        elif kind == b"hash":
            values = undecoded([*client.hkeys(key), *client.hvals(key)])
        elif kind == b"set":
            values = undecoded(client.smembers(key))
        elif kind == b"zset":
            values = undecoded(client.zrange(key, 0, -1))
        else:
            values = undecoded([client.get(key) or b""])
        blob += [key, *values]
        for value in values:
            try:
                envelope = json.loads(value)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(envelope, list) and envelope and isinstance(envelope[0], dict):
                envelope = envelope[0]  # the unacked hash keeps [message, exchange, key]
            if isinstance(envelope, dict) and "body" in envelope and "headers" in envelope:
                body = base64.b64decode(envelope["body"])
                blob.append(body)
                messages.append({"headers": envelope["headers"], "body": json.loads(body)})
    return b"\n".join(blob), messages


def oauth_tokens(state_url: str, accounts: list[Account]) -> set[str]:
    """The access and refresh tokens stored for the OAuth accounts, decrypted."""
    store = StateStore(state_url, migrate=False)
    try:
        tokens = TokenStore(store, cipher_from_env())
        found = [tokens.load(a.name) for a in accounts if REGISTRY[a.marketplace].oauth]
    finally:
        store.close()
    return {t for pair in found if pair for t in (pair.access_token, pair.refresh_token)}


def test_broker_messages_and_results_contain_no_secret(
    deploy: Callable[..., Deployment],
    sandboxes: dict[str, SandboxServer],
    redis_url: str,
    pg_url: str,
) -> None:
    catalog = sample_catalog(12)
    accounts = [
        sandbox_account(name, sandboxes[name].base_url, rate_limit=200.0)
        for name in sorted(REGISTRY)
    ]
    d = deploy(accounts, catalog, batch_size=5)
    planner = d.worker("planner", concurrency=1, queues="ocop-plan")  # nobody pushes yet
    queued = d.cli("sync", "--via", "celery")
    assert queued.returncode == 0, queued.stdout + queued.stderr

    blob, messages = everything_in(redis_url)
    pushes = [m for m in messages if m["headers"]["task"] == "ocop_sync.push_batch"]
    assert len(pushes) >= len(accounts)
    for message in pushes:  # ids only: account, run id, batch index, lane, SKUs
        args, kwargs, _ = message["body"]
        name, run_id, batch, lane, skus = args
        assert kwargs == {} and isinstance(run_id, int) and isinstance(batch, int)
        assert lane == "create" and name in {a.name for a in accounts}
        assert all(isinstance(sku, str) and sku.startswith("BK-") for sku in skus)

    secrets = {
        value.get_secret_value()
        for account in accounts
        for value in account.credentials.values()
        if value.get_secret_value() != account.name  # Voso's sandbox login is the name
    }
    assert secrets
    for secret in secrets:
        assert secret.encode() not in blob, "a credential reached Redis"
        assert secret not in planner.text(), "a credential reached the worker log"
    # The OAuth shops' tokens (issued by their sandboxes, kept encrypted in the state) are
    # nowhere in Redis either: the workers read them from the state themselves.
    tokens = oauth_tokens(pg_url, accounts)
    assert len(tokens) >= 2 * sum(1 for a in accounts if REGISTRY[a.marketplace].oauth)
    for token in tokens:
        assert token.encode() not in blob, "an OAuth token reached Redis"
        assert token not in planner.text(), "an OAuth token reached the worker log"

    # A second trigger finds the runs in progress and waits for them; a worker that
    # pushes joins, and they complete.
    waiting = d.popen("sync", "--via", "celery", "--wait", log="wait.log")
    deadline = time.monotonic() + 60
    while (d.root / "wait.log").read_text().count("already running") < len(accounts):
        assert time.monotonic() < deadline, (d.root / "wait.log").read_text()
        time.sleep(0.1)
    d.worker("pusher", concurrency=2)
    assert waiting.wait(60) == 0, (d.root / "wait.log").read_text()
    for account in accounts:
        expected = listable_count(catalog, account.marketplace, account)
        assert listed_exactly_once(sandboxes[account.marketplace], account, pg_url) == expected
