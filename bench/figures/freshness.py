"""Freshness: how long a catalog change takes to reach the marketplaces with the workers
running — from the moment the changed catalog file is complete on disk (renamed into
place) to the moment the sandbox holds the listing's new price.

After the full sync, a worker (`ocop-sync worker`, 2 pool processes) and beat (`ocop-sync
beat`, the schedule as shipped: a look at the file every 5 s, a 2 s debounce) run on the
main accounts' state and catalog file. Each change event gives 1 % of the variants a new
price and writes the whole catalog (a temporary file renamed over the watched one, as a
careful save does); the bench then polls the sandboxes for those SKUs only
(`/_sandbox/listings?skus=…`, every 0.25 s) and notes when each listing's record changed.
p50 and p95 are over every changed listing of every account and event.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.catalogs import CHANGED_EVERY
from bench.context import Bench
from bench.figures.celery import CLI, CeleryUnavailable, redis_db, worker
from bench.report import Figure
from sync.catalog import Catalog, Product, Variant
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.settings import Account

GOALS = {10_000: 60.0, 100_000: 120.0}  # p95 seconds, by catalog size (the goals)
POLL = 0.25
EVENT_TIMEOUT = 900.0
SETTLE_TIMEOUT = 3600.0  # the first beat run after the workers start (re-syncs the file)
SKUS_PER_QUERY = 200
FIRST_LOOK = re.compile(r"ocop_sync\.watch_catalog\[[^]]+\] succeeded")


def goal_for(size: int) -> float:
    """The p95 goal: 60 s up to 10k products, 120 s above."""
    return GOALS[10_000] if size <= 10_000 else GOALS[100_000]


def events_for(size: int) -> int:
    """Change events of one measurement: three (one for a catalog under 1 000 products)."""
    return 3 if size >= 1000 else 1


def _repriced(catalog: Catalog, event: int) -> Iterator[tuple[Product, Variant]]:
    """The variants event number `event` reprices: 1 %, a different 1 % per event."""
    index = 0
    offset = (37 * (event + 1)) % CHANGED_EVERY
    for product in catalog.products:
        for variant in product.variants:
            if index % CHANGED_EVERY == offset:
                yield product, variant
            index += 1


def reprice(catalog: Catalog, event: int) -> list[str]:
    """New prices for 1 % of the variants (a different 1 % per event), in place; SKUs.
    +5 000 ₫, as the 1 % figure: it survives the marketplaces' rounding to 1 000 ₫ and
    Alibaba.com's USD conversion."""
    changed: list[str] = []
    for _, variant in _repriced(catalog, event):
        variant.price = variant.price + 5000
        changed.append(variant.sku)
    return changed


def changed_products(catalog: Catalog) -> list[Product]:
    """The products whose variants the measurement's events will reprice, in catalog
    order: with `--seeded-state` these are synced for real, the rest seeded (bench/seeded.py)."""
    events = events_for(len(catalog.products))
    skus = {product.sku for event in range(events) for product, _ in _repriced(catalog, event)}
    return [product for product in catalog.products if product.sku in skus]


def records(bench: Bench, accounts: list[Account], skus: list[str]) -> dict[tuple[str, str], str]:
    """(account, SKU) → the sandbox's record of that listing (JSON text), for these SKUs."""
    found: dict[tuple[str, str], str] = {}
    with httpx.Client(timeout=30) as http:
        for account in accounts:
            url = bench.sandbox.urls[account.marketplace] + "/_sandbox/listings"
            for start in range(0, len(skus), SKUS_PER_QUERY):
                part = ",".join(skus[start : start + SKUS_PER_QUERY])
                data = http.get(url, params={"skus": part}).json()
                for seller, items in data.items():
                    if account.name not in seller:
                        continue
                    for item in items:
                        found[(account.name, item["sku"])] = json.dumps(item, sort_keys=True)
    return found


def settled(state_db: Path, accounts: list[Account], trigger: str | None = None) -> bool:
    """True when no run is going and no lease is held, and (with `trigger`) every account
    has finished a run of that trigger."""
    with sqlite3.connect(f"file:{state_db}?mode=ro", uri=True) as db:
        running = db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
        held = db.execute("SELECT count(*) FROM leases").fetchone()[0]
        done = {
            name
            for (name,) in db.execute(
                "SELECT DISTINCT account FROM runs WHERE trigger = ? AND status != 'running'",
                (trigger or "",),
            )
        }
    complete = trigger is None or {a.name for a in accounts} <= done
    return running == 0 and held == 0 and complete


def runs_since(state_db: Path, moment: float) -> tuple[int, int]:
    """(runs started after `moment` and finished, runs still going)."""
    after = datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(f"file:{state_db}?mode=ro", uri=True) as db:
        done = db.execute(
            "SELECT count(*) FROM runs WHERE started_at > ? AND status != 'running'", (after,)
        ).fetchone()[0]
        going = db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
    return int(done), int(going)


def save(catalog: Catalog, path: Path) -> float:
    """Write the catalog next to `path` and rename it into place; when it was complete."""
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    export_catalog(catalog, partial)
    os.replace(partial, path)
    return time.time()


def measure(bench: Bench) -> list[Figure]:
    """p50 and p95 over every changed listing, or both missing with the reason."""
    goal = goal_for(bench.options.size)
    try:
        return measure_latencies(bench, goal)
    except (CeleryUnavailable, subprocess.TimeoutExpired, TimeoutError) as why:
        return [
            Figure.missing("freshness_p50_s", "freshness p50", "", f"not measured: {why}"),
            Figure.missing("freshness_p95_s", "freshness p95", f"≤ {goal:g} s", f"{why}"),
        ]


def measure_latencies(bench: Bench, goal: float) -> list[Figure]:
    """Start the worker and beat, make the change events, collect each listing's delay."""
    bench.full_sync()
    work = bench.workdir / "freshness"
    work.mkdir(exist_ok=True)
    accounts = bench.accounts()
    catalog_path = bench.workdir / "catalog.csv"
    save(bench.catalog, catalog_path)  # what the state holds now (the 1 % figure ran)
    config = work / "ocop-sync.toml"
    state_db = bench.workdir / "state.db"
    write_config(config, catalog_path, bench.state_url, accounts)
    events = events_for(bench.options.size)
    latencies: list[float] = []
    per_event: list[dict[str, Any]] = []
    with redis_db(bench.options.redis) as redis_url:
        env = {**os.environ, "OCOP_SYNC_REDIS_URL": redis_url}
        env.pop("OCOP_SYNC_CONFIG", None)
        with (
            worker(config, env, work / "worker.log") as proc,
            (work / "beat.log").open("wb") as beat_log,
        ):
            beat = subprocess.Popen(
                [CLI, "beat", "--config", str(config), "--schedule-file", str(work / "beat")],
                stdout=beat_log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            try:
                # The watch's first look is its baseline: the change must come after it.
                _wait(lambda: FIRST_LOOK.search(_text(work / "worker.log")) is not None, 120)
                # beat's first tick syncs every account (a no-op here): let it finish first.
                _wait(lambda: settled(state_db, accounts, "beat"), SETTLE_TIMEOUT)
                for event in range(events):
                    skus = reprice(bench.catalog, event)
                    before = records(bench, accounts, skus)
                    complete = save(bench.catalog, catalog_path)
                    waiting = set(before)
                    arrived: dict[tuple[str, str], float] = {}
                    deadline = time.monotonic() + EVENT_TIMEOUT
                    polls = 0
                    if not waiting:
                        raise RuntimeError(
                            f"event {event + 1}: none of the {len(skus)} repriced SKUs is "
                            "listed in the sandboxes (did the full sync push them?)"
                        )
                    ended = False
                    while waiting and not ended:
                        polls += 1
                        if polls % 20 == 0:  # every ~5 s: did the event's runs all end?
                            done, going = runs_since(state_db, complete)
                            # Looked at before this poll of the sandboxes, so a listing
                            # pushed by the last run is still seen by it. One whose record
                            # never changed although every run is over: the marketplace's
                            # rounding ate the change (in the details, not a delay).
                            ended = done >= len(accounts) and going == 0
                        if proc.poll() is not None:
                            raise CeleryUnavailable(f"the worker exited with {proc.returncode}")
                        if time.monotonic() > deadline:
                            raise TimeoutError(
                                f"event {event + 1}: {len(waiting)} listings never changed"
                            )
                        now = records(bench, accounts, sorted({s for _, s in waiting}))
                        seen = time.time()
                        for key in list(waiting):
                            if now.get(key, before[key]) != before[key]:
                                arrived[key] = seen - complete
                                waiting.discard(key)
                        if waiting and not ended:
                            time.sleep(POLL)
                    if not arrived:
                        raise RuntimeError(
                            f"event {event + 1}: the runs ended and none of the "
                            f"{len(waiting)} repriced listings changed in the sandboxes"
                        )
                    latencies += arrived.values()
                    per_event.append(
                        {
                            "listings": len(arrived),
                            "unchanged_on_marketplace": len(waiting),
                            "first_s": round(min(arrived.values()), 2),
                            "last_s": round(max(arrived.values()), 2),
                        }
                    )
                    _wait(lambda: settled(state_db, accounts), EVENT_TIMEOUT)
            finally:
                beat.terminate()
                try:
                    beat.wait(20)
                except subprocess.TimeoutExpired:
                    beat.kill()
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    details = {
        "state": state_origin(bench.full_sync()),
        "events": per_event,
        "listings": len(latencies),
        "accounts": [a.name for a in accounts],
        "watch_every_s": 5.0,
        "debounce_s": 2.0,
        "worker_processes": 2,
    }
    note = (
        f"{len(latencies)} listings over {events} change(s) of 1 % of the variants, "
        f"3 accounts; file complete on disk → new price in the sandbox; max "
        f"{latencies[-1]:.1f} s; {details['state']}"
    )
    return [
        Figure(
            "freshness_p50_s", "freshness p50", p50, "", None, unit="s", details=details, note=note
        ),
        Figure(
            "freshness_p95_s",
            "freshness p95",
            p95,
            f"≤ {goal:g} s",
            p95 <= goal,
            unit="s",
            details=details,
            note=note,
        ),
    ]


def state_origin(full_sync: dict[str, Any]) -> str:
    """How the main accounts' state came about, for the figure's note."""
    if not full_sync.get("seeded"):
        return "after a real full sync"
    return (
        f"state seeded without HTTP but for the {full_sync.get('synced_for_real', 0)} products "
        "the events change (synced for real)"
    )


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g} s")
        time.sleep(0.5)
