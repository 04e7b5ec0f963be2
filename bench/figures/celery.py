"""Celery ÷ inline: listings per second of `ocop-sync sync --via celery --wait` with one
worker of 2 pool processes on the real Redis, ÷ the same of `ocop-sync sync` (inline).

Both sides are the operator's command as a subprocess, timed from start to exit, so both
pay process start and catalog loading; the worker is started (and warm) before timing.
They alternate in ABBA order (inline, celery, celery, inline) over four disjoint quarters
of a catalog prefix, each quarter into fresh accounts. Redis: a database of the bench's
own (claimed, flushed before and after; never another one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.accounts import authorized
from bench.context import Bench
from bench.report import Figure
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.demo import write_config

GOAL = 0.7
MAX_PRODUCTS = 2000  # 4 quarters of 500 products: 1 000 listings × 3 accounts each
BENCH_DBS = range(6, 10)  # the worker tests claim 10-15
WORKER_PROCESSES = 2
READY_TIMEOUT = 60.0
RUN_TIMEOUT = 900.0
CLI = str(Path(sys.executable).parent / "ocop-sync")
KEY = "celery_inline_ratio"
TITLE = "Celery ÷ inline throughput"


class CeleryUnavailable(Exception):
    """The Celery path cannot be measured here (the message says why)."""


@contextmanager
def redis_db(base_url: str) -> Iterator[str]:
    """A Redis database claimed for this run, flushed at start and end."""
    try:
        import redis
    except ImportError as exc:
        raise CeleryUnavailable(f"redis client missing: {exc}") from None
    claims = redis.Redis.from_url(f"{base_url}/0", socket_connect_timeout=2)
    token = uuid.uuid4().hex
    try:
        db = next(
            (
                d
                for d in BENCH_DBS
                if claims.set(f"ocop-sync:bench-claim:{d}", token, nx=True, ex=3600)
            ),
            None,
        )
    except redis.RedisError as exc:
        raise CeleryUnavailable(f"Redis at {base_url} unreachable: {exc}") from None
    if db is None:
        raise CeleryUnavailable(f"every bench Redis database {list(BENCH_DBS)} is claimed")
    url = f"{base_url}/{db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        if claims.get(f"ocop-sync:bench-claim:{db}") == token.encode():
            claims.delete(f"ocop-sync:bench-claim:{db}")


@contextmanager
def worker(
    config: Path, env: dict[str, str], log: Path, processes: int = WORKER_PROCESSES
) -> Iterator[subprocess.Popen[bytes]]:
    """`ocop-sync worker --concurrency N` (2), ready (bounded wait), stopped at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                CLI,
                "worker",
                "--concurrency",
                str(processes),
                "--config",
                str(config),
                "--name",
                f"bench-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel",
                "INFO",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while b"ready." not in log.read_bytes():
            if proc.poll() is not None:
                raise CeleryUnavailable(f"the worker exited with {proc.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise CeleryUnavailable(f"the worker was not ready in {READY_TIMEOUT:g} s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()  # warm shutdown: the pool processes exit with it
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def timed_sync(
    config: Path, catalog: Path, accounts: list[str], env: dict[str, str], via: str
) -> dict[str, Any]:
    """One `ocop-sync sync` (inline or --via celery --wait) as a subprocess; its figures."""
    command = [CLI, "sync", "--config", str(config), "--catalog", str(catalog), "--json"]
    command += [arg for name in accounts for arg in ("--account", name)]
    if via == "celery":
        command += ["--via", "celery", "--wait"]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, env=env, timeout=RUN_TIMEOUT)
    seconds = time.perf_counter() - started
    try:
        reports = json.loads(proc.stdout)
    except ValueError:
        raise CeleryUnavailable(
            f"`sync --via {via}` exited {proc.returncode}: {proc.stderr.decode()[-300:]}"
        ) from None
    done = sum(sum(r["done"].values()) for r in reports)
    failed = sum(r["failed"] for r in reports)
    return {"side": via, "listings": done, "failed": failed, "seconds": round(seconds, 3)}


def measure(bench: Bench) -> list[Figure]:
    """The ratio, or the figure marked missing with the reason the path is unusable."""
    try:
        return [measure_ratio(bench)]
    except (CeleryUnavailable, subprocess.TimeoutExpired) as why:
        return [Figure.missing(KEY, TITLE, f"≥ {GOAL}", f"not measured: {why}")]


def measure_ratio(bench: Bench) -> Figure:
    """ABBA over four quarters; throughput = listings ÷ command wall time per side."""
    products = bench.catalog.products[: min(len(bench.catalog.products), MAX_PRODUCTS)]
    quarter = len(products) // 4
    sides = ("inline", "celery", "celery", "inline")
    work = bench.workdir / "celery"
    work.mkdir(exist_ok=True)
    catalogs, accounts = [], []
    for index in range(4):
        path = work / f"catalog-{index}.json"
        export_catalog(Catalog(products=products[index * quarter : (index + 1) * quarter]), path)
        catalogs.append(path)
        accounts.append(bench.accounts(f"{sides[index][:3]}{index}"))
    configs = {}
    for side in ("inline", "celery"):
        configs[side] = work / f"{side}.toml"
        own = [a for i, group in enumerate(accounts) if sides[i] == side for a in group]
        state_url = f"sqlite:///{work / side}.db"
        write_config(configs[side], catalogs[0], state_url, authorized(state_url, own))
    with redis_db(bench.options.redis) as redis_url:
        env = {**os.environ, "OCOP_SYNC_REDIS_URL": redis_url}
        env.pop("OCOP_SYNC_CONFIG", None)
        with worker(configs["celery"], env, work / "worker.log"):
            segments = [
                timed_sync(configs[side], catalogs[i], [a.name for a in accounts[i]], env, side)
                for i, side in enumerate(sides)
            ]
    rates = {}
    for side in ("inline", "celery"):
        mine = [s for s in segments if s["side"] == side]
        rates[side] = sum(s["listings"] for s in mine) / sum(s["seconds"] for s in mine)
    ratio = rates["celery"] / rates["inline"] if rates["inline"] else 0.0
    expected = quarter * 2 * len(accounts[0])
    details = {
        "products_per_segment": quarter,
        "listings_expected_per_segment": expected,
        "worker_processes": WORKER_PROCESSES,
        "inline_listings_per_s": round(rates["inline"], 1),
        "celery_listings_per_s": round(rates["celery"], 1),
        "segments": segments,
    }
    incomplete = [s for s in segments if s["listings"] != expected]
    note = f"celery {rates['celery']:.0f}/s ÷ inline {rates['inline']:.0f}/s, command wall time"
    if incomplete:
        note += f"; {len(incomplete)} segment(s) incomplete: see details"
    return Figure(
        KEY, TITLE, ratio, f"≥ {GOAL}", ratio >= GOAL and not incomplete, details=details, note=note
    )
