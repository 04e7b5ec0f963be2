"""Figures, the printed table and the JSON file."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# Every figure key the bench writes, in table order (the smoke test checks them all).
FIGURE_KEYS = (
    "floor_ratio",
    "rate_limit_utilisation",
    "throttled_share",
    "noop_requests",
    "noop_seconds",
    "noop_settled_seconds",
    "changed_requests_per_listing",
    "peak_rss_mb",
    "worker_rss_mb",
    "freshness_p50_s",
    "freshness_p95_s",
    "celery_inline_ratio",
)
# Figure keys only measured when asked for (`--only changedoauth`), in table order.
OPT_IN_KEYS = ("changed_oauth_requests_per_listing",)


@dataclass
class Figure:
    """One measured figure next to its goal; `value` None means it could not be measured."""

    key: str
    title: str
    value: float | None
    goal: str
    met: bool | None
    unit: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # why it is missing, or what it depends on
    # With --repeat: `value` is the median of the runs, `worst` the worst of them (the
    # lowest for a "≥" goal, the highest otherwise), `runs` every run's value in order.
    worst: float | None = None
    runs: list[float | None] = field(default_factory=list)

    @classmethod
    def missing(cls, key: str, title: str, goal: str, why: str) -> Figure:
        """A figure that could not be measured in this run, with the reason."""
        return cls(key, title, None, goal, None, note=why)


def higher_is_better(figure: Figure) -> bool:
    """True for figures whose goal is a floor (≥), False for ceilings (≤, <, exactly 0)."""
    return figure.goal.lstrip().startswith("≥")


def combine(rounds: list[list[Figure]]) -> list[Figure]:
    """One figure per key over several runs of the same figures: the median as the value,
    the worst run as `worst`, met only when every run met its goal (unknown if one could
    not tell)."""
    combined: list[Figure] = []
    keys = list(dict.fromkeys(f.key for figures in rounds for f in figures))
    for key in keys:
        runs = [next((f for f in figures if f.key == key), None) for figures in rounds]
        known = [f for f in runs if f is not None]
        values = [f.value for f in known if f.value is not None]
        first = known[0]
        if not values:
            combined.append(dataclasses.replace(first, runs=[None] * len(runs)))
            continue
        worst = min(values) if higher_is_better(first) else max(values)
        mets = [f.met for f in runs if f is not None]
        met = None if None in mets or len(mets) < len(runs) else all(mets)
        combined.append(
            dataclasses.replace(
                first,
                value=statistics.median(values),
                worst=worst,
                met=met,
                runs=[f.value if f is not None else None for f in runs],
                details={"runs": [f.details for f in known]},
                note=known[-1].note,
            )
        )
    return combined


def versions() -> dict[str, str]:
    """Versions of Python and the libraries on the measured paths."""
    names = ("ocop-sync", "httpx", "uvicorn", "starlette", "sqlalchemy", "pydantic", "celery")
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except Exception:  # not installed: the figure that needs it says so
            found[name] = "missing"
    return found


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "load_average_at_end": [round(x, 2) for x in load],
    }


def write_json(
    path: Path, figures: list[Figure], size: dict[str, int], settings: dict[str, Any]
) -> dict[str, Any]:
    """Write the run's JSON (figures keyed by name, catalog size, versions, machine, date)."""
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "catalog": size,
        "settings": settings,
        "cpu_count": os.cpu_count(),
        "machine": machine(),
        "versions": versions(),
        "figures": {f.key: asdict(f) for f in figures},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    return data


def format_value(figure: Figure, value: float | None = None) -> str:
    """The value (or another value of the figure, e.g. its worst) as the table shows it,
    with its unit; — when missing."""
    value = figure.value if value is None else value
    if value is None:
        return "—"
    if figure.unit == "s":
        return f"{value:.2f} s"
    if figure.unit == "MB":
        return f"{value:.0f} MB"
    if figure.unit == "%":
        return f"{value:.2f} %"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3f}"


def print_table(figures: list[Figure], title: str, console: Console | None = None) -> None:
    """The figures as a rich table: figure, value, goal, met?, note."""
    repeated = max((len(f.runs) for f in figures), default=0)
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("median" if repeated > 1 else "value", justify="right")
    if repeated > 1:
        table.add_column(f"worst of {repeated}", justify="right")
    table.add_column("goal")
    table.add_column("met?", justify="center")
    table.add_column("note", overflow="fold", max_width=60)
    marks = {True: "[green]yes[/]", False: "[red]no[/]", None: "[yellow]n/a[/]"}
    for figure in figures:
        cells = [figure.title, format_value(figure)]
        if repeated > 1:
            cells.append(format_value(figure, figure.worst) if figure.worst is not None else "—")
        cells += [figure.goal, marks[figure.met], figure.note or ""]
        table.add_row(*cells)
    (console or Console()).print(table)
