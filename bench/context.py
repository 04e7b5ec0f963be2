"""What every figure shares in one run: options, the sandbox process, the catalog, the state
of the main accounts after their full sync."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from bench.accounts import authorized, bench_accounts
from bench.sandbox_proc import SandboxProcess
from sync.catalog import Catalog
from sync.catalog_io import export_catalog, load_catalog
from sync.demo import write_config
from sync.settings import Account
from sync.state.store import StateStore
from sync.synthetic import synthetic_catalog

MAIN_PREFIX = "bench"
# The three accounts every figure is defined on (docs/benchmarks.md). The sandbox process
# serves every registered marketplace; the others stay idle, so that figures keep meaning
# the same thing as marketplaces are added.
BENCH_MARKETPLACES = ("alibaba", "postmart", "voso")
# The marketplaces that authorise by OAuth and have no bench figure of their own but the
# opt-in 1 % figure (`--only changedoauth`, bench/figures/changed_oauth.py): accounts,
# state and catalog of their own, so the figures above keep their meaning.
OAUTH_MARKETPLACES = ("lazada", "shopee", "tiktok")
FULL_SYNC_TIMEOUT = 3 * 3600.0  # 100k × 3 accounts on a busy 2-core machine


@dataclass(frozen=True)
class BenchOptions:
    """Command-line choices."""

    size: int
    seed: int = 0
    concurrency: int = 8
    rate: float = 50.0  # req/s per account for the rate-limit figure
    rate_seconds: float = 8.0  # how long the rate-limited run should last
    seeded_state: bool = False  # the full sync's state written without HTTP (bench/seeded.py)
    figures: tuple[str, ...] = ()
    redis: str = "redis://127.0.0.1:6379"


@dataclass
class Bench:
    """One bench run: its options, scratch directory and sandboxes."""

    options: BenchOptions
    workdir: Path
    sandbox: SandboxProcess
    today: date = field(default_factory=date.today)
    timings: dict[str, float] = field(default_factory=dict)
    prefix: str = ""  # with --repeat: "r2-", so each round has sellers of its own
    _full_sync: dict[str, Any] | None = None
    _full_sync_error: Exception | None = None

    @cached_property
    def catalog(self) -> Catalog:
        """The whole synthetic catalog (deterministic for the seed), as `ocop-sync sync`
        has it: written to a CSV file and read back by the catalog reader (so each product
        remembers the digest of its rows, `sync.catalog_io.row_digest`, as in a real run)."""
        started = time.perf_counter()
        catalog = self.reread(synthetic_catalog(self.options.size, self.options.seed))
        # The generator and the reader pause the cyclic GC while they build, so millions
        # of new objects are still waiting for their first full collection (~3 s at
        # 100k), which would otherwise land in whichever timed pass runs next.
        gc.collect()
        self.timings["catalog_generation_s"] = time.perf_counter() - started
        return catalog

    def reread(self, catalog: Catalog) -> Catalog:
        """`catalog` written to a CSV file and read back, as a user's saved file would be
        read by the next sync (a catalog changed in memory hashes whole; read, it hashes
        by its rows, and its unchanged products hash as before)."""
        path = self.workdir / "catalog-read.csv"
        export_catalog(catalog, path)
        loaded = load_catalog(path)
        path.unlink()
        if not loaded.ok:
            raise RuntimeError(f"the bench catalog does not read back: {loaded.errors[:3]}")
        return loaded.catalog

    @property
    def state_url(self) -> str:
        """The main accounts' state store (SQLite, WAL: the engine's default)."""
        return f"sqlite:///{self.workdir / 'state.db'}"

    def store(self) -> StateStore:
        """A new handle on the main state store (close it when done)."""
        return StateStore(self.state_url)

    def scratch_url(self, name: str) -> str:
        """A separate SQLite state store for one figure's scratch accounts."""
        return f"sqlite:///{self.workdir / f'{name}.db'}"

    def accounts(
        self,
        prefix: str = MAIN_PREFIX,
        marketplaces: tuple[str, ...] = BENCH_MARKETPLACES,
        **changes: Any,
    ) -> list[Account]:
        """One account per bench marketplace, named `<prefix>-<marketplace>`."""
        return bench_accounts(
            self.sandbox.urls,
            self.prefix + prefix,
            marketplaces,
            concurrency=self.options.concurrency,
            **changes,
        )

    def full_sync(self) -> dict[str, Any]:
        """The main accounts' full sync from scratch (once per run), in its own process.

        A full sync that failed is not started again by the next figure that needs it.
        """
        if self._full_sync_error is not None:
            raise RuntimeError(f"the full sync failed: {self._full_sync_error}")
        try:
            return self._run_full_sync()
        except Exception as error:
            self._full_sync_error = error
            raise

    def _run_full_sync(self) -> dict[str, Any]:
        if self._full_sync is None and self.options.seeded_state:
            # Late imports: both import this module.
            from bench.figures.freshness import changed_products
            from bench.seeded import seed_state

            real = changed_products(self.catalog) if "freshness" in self.options.figures else []
            synced: dict[str, Any] = {}
            if real:  # the listings freshness changes must exist on the marketplaces
                products = Catalog(products=real)
                synced = self.cli_full_sync(products, self.accounts(), self.state_url, self.workdir)
            seeded = seed_state(self, {p.sku for p in real})
            self._full_sync = {**synced, **seeded, "synced_for_real": len(real)}
        if self._full_sync is None:
            self._full_sync = self.cli_full_sync(
                self.catalog, self.accounts(), self.state_url, self.workdir
            )
        return self._full_sync

    def cli_full_sync(
        self,
        catalog: Catalog,
        accounts: list[Account],
        state_url: str,
        where: Path,
        timing: str = "catalog_export_s",
    ) -> dict[str, Any]:
        """`ocop-sync sync` from scratch of `catalog` to `accounts` (their OAuth grants
        stored first) in its own process, state at `state_url`, files under `where`; its
        result with the requests each sandbox received."""
        where.mkdir(parents=True, exist_ok=True)
        out = where / "full_sync.json"
        started = time.perf_counter()
        catalog_path = where / "catalog.csv"
        export_catalog(catalog, catalog_path)
        self.timings[timing] = time.perf_counter() - started
        config = where / "ocop-sync.toml"
        write_config(config, catalog_path, state_url, authorized(state_url, accounts))
        command = [
            sys.executable,
            "-m",
            "bench.full_sync",
            f"--config={config}",
            f"--timeout={FULL_SYNC_TIMEOUT}",
            f"--out={out}",
        ]
        before = self.sandbox.all_stats()
        subprocess.run(command, check=True, timeout=FULL_SYNC_TIMEOUT)
        after = self.sandbox.all_stats()
        result: dict[str, Any] = json.loads(out.read_text())
        result["catalog_mb"] = catalog_path.stat().st_size / 2**20
        result["sandbox_requests"] = {
            m: after[m]["requests"] - before[m]["requests"] for m in after
        }
        return result
