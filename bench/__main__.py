"""`python -m bench [--size 1k|10k|100k|N] [--only FIGURE…] [--repeat N] [--out FILE]`
(or `make bench`)."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from bench.catalogs import VARIANTS_PER_PRODUCT, parse_size, size_label
from bench.context import Bench, BenchOptions
from bench.figures import (
    celery,
    changed,
    changed_oauth,
    floor,
    freshness,
    memory,
    noop,
    rate_limit,
    worker_rss,
)
from bench.report import Figure, combine, print_table, write_json
from bench.sandbox_proc import SandboxProcess

# Run order: the floor and the rate limit use scratch sellers; noop, changed, rss and
# freshness share the main accounts' full sync (changed alters the catalog, so it comes
# after noop; freshness writes the catalog file the workers watch); the worker RSS and the
# Celery ratio start workers of their own.
FIGURES: dict[str, Callable[[Bench], list[Figure]]] = {
    "floor": floor.measure,
    "ratelimit": rate_limit.measure,
    "rss": memory.measure,
    "noop": noop.measure,
    "changed": changed.measure,
    "freshness": freshness.measure,
    "workerrss": worker_rss.measure,
    "celery": celery.measure,
    "changedoauth": changed_oauth.measure,
}
# Figures run only when named in --only: the 1 % figure on the OAuth marketplaces needs a
# full sync of its own (three more accounts), which `make bench` at 100k should not pay.
OPT_IN = ("changedoauth",)
# Figures that may run on a seeded state (`--seeded-state`; floor and ratelimit have accounts
# of their own).
SEEDED_FIGURES = {"noop", "freshness", "floor", "ratelimit"}
# The figure keys each measurement produces (for a figure that fails with an error).
KEYS = {
    "floor": ("floor_ratio",),
    "ratelimit": ("rate_limit_utilisation", "throttled_share"),
    "rss": ("peak_rss_mb",),
    "noop": ("noop_requests", "noop_seconds", "noop_settled_seconds"),
    "changed": ("changed_requests_per_listing",),
    "freshness": ("freshness_p50_s", "freshness_p95_s"),
    "workerrss": ("worker_rss_mb",),
    "celery": ("celery_inline_ratio",),
    "changedoauth": ("changed_oauth_requests_per_listing",),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", default="10k", help="1k, 10k, 100k or a number of products")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(FIGURES),
        default=[name for name in FIGURES if name not in OPT_IN],
        help=f"figures to measure (default: all but {', '.join(OPT_IN)})",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=8, help="per account (default 8)")
    parser.add_argument("--rate", type=float, default=50.0, help="R for the rate-limit figure")
    parser.add_argument("--rate-seconds", type=float, default=8.0)
    parser.add_argument("--workdir", type=Path, help="keep state and logs here")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every figure N times (fresh accounts and state each time): median and worst",
    )
    parser.add_argument(
        "--seeded-state",
        action="store_true",
        help="noop, freshness (and floor, ratelimit, which have their own accounts): write the "
        "full sync's state without HTTP but for the products freshness changes (for 100k here)",
    )
    return parser.parse_args(argv)


def run(
    options: BenchOptions, workdir: Path, console: Console, repeat: int = 1
) -> tuple[list[Figure], bool, dict[str, float]]:
    """Every requested figure, `repeat` times in one run (each round with its own accounts,
    state and full sync, against the same sandbox process): (figures — the median and
    worst of the rounds when repeated —, True if one errored, seconds per step)."""
    rounds: list[list[Figure]] = []
    errors = False
    timings: dict[str, float] = {}
    with SandboxProcess(workdir / "sandbox.log") as sandbox:
        for index in range(repeat):
            where = workdir / f"round-{index + 1}" if repeat > 1 else workdir
            where.mkdir(parents=True, exist_ok=True)
            prefix = f"r{index + 1}-" if repeat > 1 else ""
            bench = Bench(options, where, sandbox, prefix=prefix)
            figures: list[Figure] = []
            for name, measure in FIGURES.items():
                if name not in options.figures:
                    continue
                console.log(
                    f"measuring {name}" + (f" (round {index + 1}/{repeat})…" if repeat > 1 else "…")
                )
                started = time.perf_counter()
                try:
                    figures += measure(bench)
                except Exception as error:  # recorded as a missing figure, the run goes on
                    errors = True
                    console.log(f"[red]{name} failed[/]\n{traceback.format_exc()}")
                    figures += [
                        Figure.missing(key, key, "", f"error: {type(error).__name__}: {error}")
                        for key in KEYS[name]
                    ]
                bench.timings[f"{name}_s"] = time.perf_counter() - started
            rounds.append(figures)
            timings.update({f"{prefix}{k}": v for k, v in bench.timings.items()})
    return (rounds[0] if repeat == 1 else combine(rounds)), errors, timings


def main(argv: list[str] | None = None) -> int:
    """Run the bench, print the table, write the JSON; exit 1 if a figure errored."""
    args = parse_args(argv)
    console = Console()
    # SIGTERM unwinds like Ctrl-C, so the sandbox and any full-sync or worker process this
    # run started are stopped with it instead of being left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        size = parse_size(args.size)
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        return 2
    options = BenchOptions(
        size=size,
        seed=args.seed,
        concurrency=args.concurrency,
        rate=args.rate,
        rate_seconds=args.rate_seconds,
        figures=tuple(args.only),
        seeded_state=args.seeded_state,
    )
    if args.repeat < 1:
        console.print("[red]--repeat must be at least 1[/]")
        return 2
    if options.seeded_state and set(options.figures) - SEEDED_FIGURES:
        console.print(f"[red]--seeded-state suits only {', '.join(sorted(SEEDED_FIGURES))}[/]")
        return 2
    started = time.perf_counter()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        figures, errors, timings = run(options, args.workdir, console, args.repeat)
    else:
        with tempfile.TemporaryDirectory(prefix="ocop-bench-") as tmp:
            figures, errors, timings = run(options, Path(tmp), console, args.repeat)
    elapsed = time.perf_counter() - started
    catalog = {
        "products": size,
        "listings_per_account": size * VARIANTS_PER_PRODUCT,
        "accounts": 3,
    }
    settings = {
        "seed": options.seed,
        "concurrency": options.concurrency,
        "rate_limit": options.rate,
        "figures": list(options.figures),
        "seeded_state": options.seeded_state,
        "repeat": args.repeat,
        "total_seconds": round(elapsed, 1),
        "step_seconds": {k: round(v, 1) for k, v in timings.items()},
    }
    write_json(args.out, figures, catalog, settings)
    title = f"ocop-sync bench — {size_label(size)} products"
    if args.repeat > 1:
        title += f", {args.repeat} runs"
    print_table(figures, title, console)
    console.print(f"JSON: {args.out}  ({elapsed:.0f} s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
