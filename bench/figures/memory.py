"""Peak RSS of the full sync: `ocop-sync sync` run by an operator on the whole catalog as a
CSV file, from scratch, to the three accounts (see bench/full_sync.py)."""

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
                f"({per_second:.0f} listings/s), `ocop-sync sync` on a "
                f"{result['catalog_mb']:.0f} MB CSV"
            ),
        )
    ]
