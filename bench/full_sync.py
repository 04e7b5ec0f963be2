"""Full sync from scratch in a process of its own, through the engine's streamed sync
(`sync.stream.stream_sync`, what `ocop-sync sync` runs), products from the generator.

Why a process of its own: its peak RSS is then the sync's alone (not the bench's catalog
copy, nor the sandboxes').

    python -m bench.full_sync --size 10000 --port P --prefix bench --state URL --out F
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import psutil

from bench.accounts import bench_accounts
from bench.sandbox_proc import HOST
from connectors.registry import REGISTRY
from sync.catalog import Product
from sync.settings import Account
from sync.state.store import StateStore
from sync.stream import DEFAULT_CHUNK, stream_sync
from sync.synthetic import iter_synthetic_products


async def full_sync(
    products: Iterable[Product], accounts: list[Account], store: StateStore, chunk: int
) -> dict[str, Any]:
    """The engine's streamed sync (what `ocop-sync sync` runs), with the bench's totals."""
    started = time.perf_counter()
    reports = await stream_sync(
        products, accounts, store, date.today(), chunk=chunk, trigger="bench"
    )
    return {
        "seconds": time.perf_counter() - started,
        "listings_per_account": max(sum(r.planned.values()) for r in reports),
        "done": sum(sum(r.done.values()) for r in reports),
        "failed": sum(r.failed for r in reports),
        "requests": sum(r.requests for r in reports),
        "chunk": chunk,
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    """Run the streamed full sync and write its figures (peak RSS included) as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.full_sync")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--state", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    urls = {
        name: f"http://{HOST}:{args.port + offset}" for offset, name in enumerate(sorted(REGISTRY))
    }
    accounts = bench_accounts(urls, args.prefix, concurrency=args.concurrency)
    store = StateStore(args.state)
    baseline = psutil.Process().memory_info().rss / 2**20
    products = iter_synthetic_products(args.size, args.seed)
    result = asyncio.run(full_sync(products, accounts, store, args.chunk))
    store.close()
    result.update(baseline_rss_mb=baseline, peak_rss_mb=peak_rss_mb())
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
