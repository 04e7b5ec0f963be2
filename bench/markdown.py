"""`python -m bench.markdown RESULT.json…`: the figures of bench runs as a Markdown table,
for docs/benchmarks.md (one value column per run, e.g. 10k and 100k)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.catalogs import size_label
from bench.report import FIGURE_KEYS, OPT_IN_KEYS, Figure, format_value


def figure(data: dict[str, Any], key: str) -> Figure | None:
    """One figure of a result file, or None when that run did not measure it."""
    raw = data["figures"].get(key)
    return Figure(**raw) if raw else None


def cell(f: Figure, mark: str) -> str:
    """The value with its mark; with --repeat, "median (worst w)"."""
    text = format_value(f)
    if len(f.runs) > 1 and f.worst is not None:
        text += f" (worst {format_value(f, f.worst)})"
    return f"{text} {mark}".strip()


def table(runs: list[dict[str, Any]]) -> str:
    """Figure | goal | value per run (met or not) | note of the last run that measured it."""
    labels = [size_label(int(run["catalog"]["products"])) for run in runs]
    lines = [
        "| figure | goal | " + " | ".join(f"{label} products" for label in labels) + " | note |",
        "|---|---|" + "---|" * len(runs) + "---|",
    ]
    marks = {True: "✅", False: "❌", None: ""}
    for key in FIGURE_KEYS + OPT_IN_KEYS:
        found = [figure(run, key) for run in runs]
        known = [f for f in found if f is not None]
        if not known:
            continue
        cells = ["—" if f is None else cell(f, marks[f.met]) for f in found]
        note = (known[-1].note or "").replace("|", "/")
        lines.append(
            f"| {known[0].title} | {known[0].goal} | " + " | ".join(cells) + f" | {note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the table for the given result files."""
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    print(table([json.loads(p.read_text()) for p in paths]))


if __name__ == "__main__":
    main()
