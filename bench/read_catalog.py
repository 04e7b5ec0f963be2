"""Cost of reading a catalog file: streamed (`open_catalog`, what `ocop-sync sync` does)
against whole (`load_catalog`), each in a fresh process so each peak RSS is its own.

    python -m bench.read_catalog FILE            # both, one after the other
    python -m bench.read_catalog FILE --write N  # first write a synthetic CSV of N products

Prints one JSON line per mode: products, row errors, seconds, peak RSS (MB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def measure(path: Path, mode: str) -> dict[str, object]:
    """Read `path` in this process the `mode` way ("stream" or "load")."""
    from sync.catalog_io import load_catalog, open_catalog

    started = time.perf_counter()
    if mode == "stream":
        stream = open_catalog(path)
        products = sum(1 for _ in stream)
        errors = len(stream.errors)
    else:
        result = load_catalog(path)
        products, errors = len(result.catalog), len(result.errors)
    return {
        "mode": mode,
        "products": products,
        "row_errors": errors,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Optionally write a synthetic CSV, then measure both modes in child processes."""
    parser = argparse.ArgumentParser(prog="python -m bench.read_catalog")
    parser.add_argument("file", type=Path)
    parser.add_argument("--write", type=int, metavar="N", help="write N synthetic products first")
    parser.add_argument("--mode", choices=("stream", "load"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode:
        print(json.dumps(measure(args.file, args.mode)))
        return
    if args.write:
        from sync.catalog_io import export_catalog
        from sync.synthetic import synthetic_catalog

        export_catalog(synthetic_catalog(args.write), args.file)
    for mode in ("stream", "load"):
        command = [sys.executable, "-m", "bench.read_catalog", str(args.file), "--mode", mode]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
