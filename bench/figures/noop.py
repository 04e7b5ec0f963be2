"""No-op resync: after the full sync, the same catalog synced again must send nothing, and
fast. Wall time covers loading bindings, hashing and planning every product for every
account, and the (empty) runs with their bookkeeping; the catalog is already in memory
(reading a catalog file is catalog_io's cost, not the sync's)."""

from __future__ import annotations

from bench.context import Bench
from bench.passes import incremental_pass
from bench.report import Figure

SECONDS_GOAL = 3.0


def measure(bench: Bench) -> list[Figure]:
    """Requests sent (goal 0) and wall time (goal ≤ 3 s) of the no-op pass."""
    state = bench.full_sync()
    result = incremental_pass(bench, bench.catalog)
    requests = sum(result.requests.values())
    listings = sum(p.noops for p in result.plans)
    pushed = sum(len(p.operations) for p in result.plans)
    details = {
        "accounts": len(result.plans),
        "noop_listings": listings,
        "operations_planned": pushed,
        "phases_s": {k: round(v, 3) for k, v in result.phases.items()},
        "state": "seeded without HTTP" if state.get("seeded") else "real full sync",
        "requests_by_marketplace": result.requests,
    }
    return [
        Figure(
            "noop_requests",
            "no-op resync: requests",
            requests,
            "0",
            requests == 0,
            details=details,
            note=f"{listings} listings unchanged, {pushed} operations planned",
        ),
        Figure(
            "noop_seconds",
            "no-op resync: wall time",
            result.seconds,
            f"≤ {SECONDS_GOAL:g} s",
            result.seconds <= SECONDS_GOAL,
            unit="s",
            details=details,
            note=", ".join(f"{k} {v:.2f} s" for k, v in result.phases.items())
            + ("; state seeded, not synced" if state.get("seeded") else ""),
        ),
    ]
