"""Peak RSS of the full sync: the process that syncs the whole catalog from scratch to the
three accounts, streaming it `chunk` products at a time (see bench/full_sync.py)."""

from __future__ import annotations

from bench.context import Bench
from bench.report import Figure

GOAL_MB = 400


def measure(bench: Bench) -> list[Figure]:
    """Peak RSS in MB of the full-sync process."""
    result = bench.full_sync()
    peak = float(result["peak_rss_mb"])
    listings = result["listings_per_account"]
    per_second = result["done"] / result["seconds"] if result["seconds"] else 0.0
    return [
        Figure(
            "peak_rss_mb",
            "peak RSS of the full sync",
            peak,
            f"≤ {GOAL_MB} MB",
            peak <= GOAL_MB,
            unit="MB",
            details=result,
            note=(
                f"{listings} listings × 3 accounts in {result['seconds']:.0f} s "
                f"({per_second:.0f} listings/s), chunks of {result['chunk']} products; "
                f"{result['baseline_rss_mb']:.0f} MB after imports"
            ),
        )
    ]
