"""Full sync from scratch, streamed in chunks of products, in a process of its own.

Why a process of its own: its peak RSS is then the sync's alone (not the bench's catalog
copy, nor the sandboxes'). Why chunks: a 100k-product Catalog built through pydantic takes
~1.1 GB by itself, and a whole-catalog plan keeps every mapped listing of every account
alive until it is pushed; streaming `chunk` products at a time through the engine's own
`plan_account` and `run_account` keeps memory flat whatever the catalog size.

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
from connectors.registry import REGISTRY, get_connector
from sync.batching import chunks
from sync.catalog import Catalog, Product
from sync.executor import run_account
from sync.plan import plan_account
from sync.settings import Account
from sync.state.store import StateStore
from sync.synthetic import iter_synthetic_products

DEFAULT_CHUNK = 1000


LOOKAHEAD = 2  # chunks an account may run ahead of the slowest one (bounds memory)


async def stream_sync(
    products: Iterable[Product],
    accounts: list[Account],
    store: StateStore,
    today: date,
    chunk: int = DEFAULT_CHUNK,
) -> dict[str, Any]:
    """Plan and push `chunk` products at a time to every account; totals of the whole run.

    Each account is its own pipeline over the same chunks (one generator, a queue of at most
    LOOKAHEAD chunks per account), so a slow account (Alibaba uploads its images first)
    holds the others back by at most LOOKAHEAD chunks instead of at every chunk.
    """
    queues: dict[str, asyncio.Queue[list[Product] | None]] = {
        a.name: asyncio.Queue(maxsize=LOOKAHEAD) for a in accounts
    }
    totals = {"done": 0, "failed": 0, "listings": 0, "chunks": 0, "requests": 0}

    async def produce() -> None:
        for batch in chunks(products, chunk):
            totals["listings"] += sum(len(p.variants) for p in batch)
            totals["chunks"] += 1
            for queue in queues.values():
                await queue.put(batch)
        for queue in queues.values():
            await queue.put(None)

    async def pipeline(account: Account) -> None:
        connector = get_connector(account.marketplace)
        client = connector.client_factory(account)
        first = True
        try:
            while (batch := await queues[account.name].get()) is not None:
                catalog = Catalog(products=batch)
                skus = [v.sku for p in batch for v in p.variants]
                # Only this chunk's bindings: the others are not "removed from the catalog".
                bindings = store.bindings(account.name, skus)
                plan = plan_account(catalog, account, connector, bindings, today)
                # The remote scan that adopts pre-existing listings runs with the first
                # chunk; later ones would rescan everything the earlier ones just created.
                plan.fresh_state = plan.fresh_state and first
                first = False
                report = await run_account(plan, connector, store, client=client, trigger="bench")
                totals["done"] += sum(report.done.values())
                totals["failed"] += report.failed
        finally:
            totals["requests"] += getattr(client, "requests_sent", 0)
            await client.aclose()

    started = time.perf_counter()
    await asyncio.gather(produce(), *(pipeline(a) for a in accounts))
    return {
        "seconds": time.perf_counter() - started,
        "listings_per_account": totals["listings"],
        "done": totals["done"],
        "failed": totals["failed"],
        "requests": totals["requests"],
        "chunks": totals["chunks"],
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
    result = asyncio.run(stream_sync(products, accounts, store, date.today(), args.chunk))
    store.close()
    result.update(baseline_rss_mb=baseline, peak_rss_mb=peak_rss_mb())
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
