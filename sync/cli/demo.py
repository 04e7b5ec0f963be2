"""`ocop-sync demo`: the main job on the embedded default, no setup needed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sync.cli.app import Exit, app, console
from sync.cli.common import print_failures, reports_table

if TYPE_CHECKING:
    from sync.demo import DemoResult


@app.command()
def demo(
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="Keep the catalog, configuration and state here (default: a temp dir).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Sync the bundled Bắc Kạn sample to in-process sandboxes, change it, sync again."""
    # Imported here: the in-process sandboxes (Starlette, uvicorn) are no other command's.
    from sync.demo import demo_json, run_demo

    with tempfile.TemporaryDirectory(prefix="ocop-sync-demo-") as tmp:
        result = run_demo(workdir or Path(tmp))
        if as_json:
            print(demo_json(result))
        else:
            _print(result)
            if workdir:
                console.print(f"Catalog, configuration and state kept in {workdir}")
    failed = sum(r.failed for p in result.passes for r in p.reports)
    duplicates = sum(s["duplicates"] for s in result.sandboxes.values())
    if failed or duplicates:
        raise typer.Exit(Exit.FAILED)


def _print(result: DemoResult) -> None:
    first, second = result.passes
    console.rule(
        "[bold]ocop-sync demo[/bold] — Bắc Kạn OCOP sample → Voso, Postmart, Alibaba.com sandboxes"
    )
    console.print(reports_table(first.reports, title=f"Pass 1: {first.title}"))
    print_failures(first.reports)
    reasons: dict[str, int] = {}
    for report in first.reports[:1]:
        for _sku, reason in report.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        console.print("Skipped (not listable), per account:")
        for reason, n in sorted(reasons.items()):
            console.print(f"  {n} × {reason}")
    console.print("\nCatalog changes before pass 2:")
    for change in result.changes:
        console.print(f"  • {change}")
    console.print(reports_table(second.reports, title=f"Pass 2: {second.title}"))
    print_failures(second.reports)
    table = Table(title="State after the demo")
    statuses = ("listed", "skipped", "delisted", "failed", "pending")
    table.add_column("account")
    for s in statuses:
        table.add_column(s, justify="right")
    for account, counts in sorted(result.status.items()):
        table.add_row(account, *(str(counts.get(s, 0)) for s in statuses))
    console.print(table)
    sandboxes = Table(title="Sandboxes")
    for column in ("marketplace", "requests", "listings", "duplicates"):
        sandboxes.add_column(column)
    for name, stats in result.sandboxes.items():
        sandboxes.add_row(
            name, str(stats["requests"]), str(stats["listings"]), str(stats["duplicates"])
        )
    console.print(sandboxes)
