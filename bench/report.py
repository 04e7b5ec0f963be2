"""Figures, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
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
    "changed_requests_per_listing",
    "peak_rss_mb",
    "celery_inline_ratio",
)


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

    @classmethod
    def missing(cls, key: str, title: str, goal: str, why: str) -> Figure:
        """A figure that could not be measured in this run, with the reason."""
        return cls(key, title, None, goal, None, note=why)


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


def format_value(figure: Figure) -> str:
    """The value as the table shows it (with its unit; — when missing)."""
    if figure.value is None:
        return "—"
    if figure.unit == "s":
        return f"{figure.value:.2f} s"
    if figure.unit == "MB":
        return f"{figure.value:.0f} MB"
    if figure.unit == "%":
        return f"{figure.value:.2f} %"
    if float(figure.value).is_integer():
        return f"{int(figure.value)}"
    return f"{figure.value:.3f}"


def print_table(figures: list[Figure], title: str, console: Console | None = None) -> None:
    """The figures as a rich table: figure, value, goal, met?, note."""
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("goal")
    table.add_column("met?", justify="center")
    table.add_column("note", overflow="fold", max_width=60)
    marks = {True: "[green]yes[/]", False: "[red]no[/]", None: "[yellow]n/a[/]"}
    for figure in figures:
        table.add_row(
            figure.title, format_value(figure), figure.goal, marks[figure.met], figure.note or ""
        )
    (console or Console()).print(table)
