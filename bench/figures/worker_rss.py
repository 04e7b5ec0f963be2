"""Peak RSS of one Celery worker pool process while it syncs the whole catalog.

A real worker (`ocop-sync worker`, 2 pool processes, a Redis database of the bench's own)
and `ocop-sync sync --via celery --wait` on the catalog as a CSV file, from scratch, to one
account (Voso: it is the catalog's size that drives a worker's memory — the snapshot it
streams, the batches it re-plans — not the number of accounts). While the run goes, the RSS
of every pool process (the worker's children, psutil) is sampled every 0.2 s; the figure is
the highest sample of any of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from typing import Any

import psutil

from bench.accounts import authorized
from bench.context import Bench
from bench.figures.celery import CLI, CeleryUnavailable, redis_db, worker
from bench.report import Figure
from sync.catalog_io import export_catalog
from sync.demo import write_config

GOAL_MB = 300
KEY = "worker_rss_mb"
TITLE = "peak RSS of a Celery pool process"
SAMPLE_EVERY = 0.2
RUN_TIMEOUT = 3 * 3600.0


class Sampler(threading.Thread):
    """Samples the RSS of a process's children until stopped; keeps each one's peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.parent = psutil.Process(pid)
        self.peaks: dict[int, int] = {}
        self.main_peak = 0
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        """Sample until `stop`."""
        while not self._done.is_set():
            try:
                self.main_peak = max(self.main_peak, self.parent.memory_info().rss)
                for child in self.parent.children():
                    rss = child.memory_info().rss
                    self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), rss)
            except psutil.Error:  # a pool process replaced or exiting: the next sample
                pass
            self.samples += 1
            self._done.wait(SAMPLE_EVERY)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._done.set()
        self.join(10)


def measure(bench: Bench) -> list[Figure]:
    """The peak, or the figure marked missing when the Celery path cannot run here."""
    try:
        return [measure_peak(bench)]
    except (CeleryUnavailable, subprocess.TimeoutExpired) as why:
        return [Figure.missing(KEY, TITLE, f"≤ {GOAL_MB} MB", f"not measured: {why}")]


def measure_peak(bench: Bench) -> Figure:
    """Start the worker, run the sync through it, sample its pool processes."""
    work = bench.workdir / "worker-rss"
    work.mkdir(exist_ok=True)
    catalog = work / "catalog.csv"
    export_catalog(bench.catalog, catalog)
    state_url = f"sqlite:///{work / 'state.db'}"
    accounts = authorized(state_url, bench.accounts("wrss", marketplaces=("voso",)))
    config = work / "ocop-sync.toml"
    write_config(config, catalog, state_url, accounts)
    with config.open("a", encoding="utf-8") as out:
        out.write("\n[schedule]\nwatch_every_seconds = 0\n")  # this figure is a plain run
    with redis_db(bench.options.redis) as redis_url:
        env = {**os.environ, "OCOP_SYNC_REDIS_URL": redis_url}
        env.pop("OCOP_SYNC_CONFIG", None)
        with worker(config, env, work / "worker.log") as proc:
            sampler = Sampler(proc.pid)
            sampler.start()
            started = time.perf_counter()
            try:
                done = subprocess.run(
                    [CLI, "sync", "--config", str(config), "--via", "celery", "--wait", "--json"],
                    capture_output=True,
                    env=env,
                    timeout=RUN_TIMEOUT,
                )
            finally:
                sampler.stop()
            seconds = time.perf_counter() - started
    try:
        reports: list[dict[str, Any]] = json.loads(done.stdout)
    except ValueError:
        raise CeleryUnavailable(
            f"`sync --via celery` exited {done.returncode}: {done.stderr.decode()[-300:]}"
        ) from None
    listings = sum(sum(r["done"].values()) for r in reports)
    failed = sum(r["failed"] for r in reports)
    peaks = {pid: round(rss / 2**20, 1) for pid, rss in sampler.peaks.items()}
    peak = max(peaks.values(), default=0.0)
    details = {
        "pool_process_peaks_mb": peaks,
        "main_process_peak_mb": round(sampler.main_peak / 2**20, 1),
        "samples": sampler.samples,
        "listings": listings,
        "failed": failed,
        "seconds": round(seconds, 1),
        "catalog_mb": round(catalog.stat().st_size / 2**20, 1),
        "exit_code": done.returncode,
    }
    note = (
        f"{listings} listings to one account via Celery in {seconds:.0f} s "
        f"({failed} failed); {len(peaks)} pool processes, main process "
        f"{details['main_process_peak_mb']:.0f} MB"
    )
    return Figure(
        KEY,
        TITLE,
        peak,
        f"≤ {GOAL_MB} MB",
        peak <= GOAL_MB and failed == 0,
        unit="MB",
        details=details,
        note=note,
    )
