"""`ocop-sync validate CATALOG [--json]`: check a catalog file row by row."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from sync.catalog_io import CatalogFileError, LoadResult, RowError, load_catalog
from sync.catalog_io.formula_cells import formula_cells
from sync.cli.app import Exit, app, console, err_console

# Always reported, so scripts can rely on the keys; lower ratings appear only when present.
_LISTED_STARS = ("5", "4", "3")


def summary(result: LoadResult, warnings: list[RowError] | None = None) -> dict[str, object]:
    """The --json document: products, variants, by_stars, every error and the warnings
    (formula-like cells; they do not make a row invalid)."""
    histogram = result.catalog.stars_histogram()
    by_stars = {key: histogram.get(key, 0) for key in _LISTED_STARS}
    by_stars.update({key: count for key, count in histogram.items() if key not in by_stars})
    return {
        "products": len(result.catalog),
        "variants": sum(1 for _ in result.catalog.variants()),
        "by_stars": by_stars,
        "errors": [error.as_dict() for error in result.errors],
        "warnings": [warning.as_dict() for warning in warnings or []],
    }


def _print_report(result: LoadResult, report: dict[str, object]) -> None:
    for error in result.errors:
        # Plain text, one line per error (no markup, no wrapping) so it can be grepped.
        console.print(Text(str(error)), soft_wrap=True)
    console.print(Text(f"Catalog {result.source}"), soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("rows read", str(result.rows))
    table.add_row("valid products", str(report["products"]))
    table.add_row("valid variants", str(report["variants"]))
    by_stars = report["by_stars"]
    assert isinstance(by_stars, dict)
    for stars, count in by_stars.items():
        table.add_row(f"  {stars}★", str(count))
    table.add_row("errors", str(len(result.errors)), style="red" if result.errors else "green")
    console.print(table)
    if result.ok:
        console.print("[green]✓ every row is valid[/green]")
    else:
        rows = len({error.row for error in result.errors})
        console.print(f"[red]✗ {len(result.errors)} error(s) in {rows} row(s)[/red]")


@app.command()
def validate(
    catalog: Path = typer.Argument(
        ..., metavar="CATALOG", help="Catalog file: .json, .csv or .xlsx.", show_default=False
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print a JSON summary (products, variants, by_stars, errors)."
    ),
) -> None:
    """Check every row of a catalog. Exit 0 if all are valid, 1 if not, 2 if unreadable."""
    try:
        result = load_catalog(catalog)
        warnings = formula_cells(catalog)
    except CatalogFileError as exc:
        err_console.print(Text(f"error: {exc}"), soft_wrap=True)
        raise typer.Exit(int(Exit.USAGE)) from None
    report = summary(result, warnings)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for warning in warnings:
            err_console.print(Text(str(warning), style="yellow"), soft_wrap=True)
        _print_report(result, report)
    raise typer.Exit(int(Exit.OK if result.ok else Exit.INVALID))
