"""Full sync from scratch as an operator runs it: `ocop-sync sync --config F --json` on the
bench's catalog written as CSV, in a child process of this small wrapper.

Why a wrapper: the figure is the peak RSS of the `ocop-sync` process alone (reading the
CSV, validating, planning, pushing, recording), not the bench's own catalog copy nor the
sandboxes'. This process starts no other child, so once the CLI has exited its peak is
`getrusage(RUSAGE_CHILDREN).ru_maxrss`.

    python -m bench.full_sync --config ocop-sync.toml --out full_sync.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.reviews import settle_reviews
from sync.engine.clients import load_config

CLI = str(Path(sys.executable).parent / "ocop-sync")


def run_cli_sync(config: Path, timeout: float) -> dict[str, Any]:
    """Run the CLI sync once; its wall time, peak RSS, exit code and per-account reports."""
    started = time.perf_counter()
    proc = subprocess.run(
        [CLI, "sync", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"ocop-sync sync exited {proc.returncode}: {proc.stderr[-2000:]}")
    reports = json.loads(proc.stdout)
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_kib / 1024,
        "exit_code": proc.returncode,
        "listings_per_account": max(sum(r["planned"].values()) for r in reports),
        "done": sum(sum(r["done"].values()) for r in reports),
        "failed": sum(r["failed"] for r in reports),
        "requests": sum(r["requests"] for r in reports),
        "row_errors": proc.stderr.count("skipped row"),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the CLI full sync and write its figures (peak RSS included) as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.full_sync")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=3 * 3600.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = run_cli_sync(args.config, args.timeout)
    # After the figures of the sync itself: the later passes start from settled accounts.
    result["review_lookups"] = settle_reviews(args.config, load_config(args.config).state_url)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
