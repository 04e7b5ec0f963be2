"""`ocop-sync validate [CATALOG] [--json] [--check-images] [--on DATE]`: check a catalog file
row by row, and tell what a sync will do with it (sync.catalog_checks)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from sync.catalog_checks import CatalogWarning, catalog_warnings, image_warnings
from sync.catalog_io import CatalogFileError, LoadResult, load_catalog
from sync.catalog_io.formula_cells import formula_cells
from sync.cli.app import Exit, app, console, err_console
from sync.settings import ConfigError, load_settings

# Always reported, so scripts can rely on the keys; lower ratings appear only when present.
_LISTED_STARS = ("5", "4", "3")
_COUNTED = {
    "not_listable": "variants not listed",
    "expiring": "certificates expiring ≤ 90 days",
    "image": "images not reachable",
    "column": "columns ignored",
    "formula": "formula-like cells (kept as text)",
}


def summary(result: LoadResult, warnings: list[dict[str, Any]] | None = None) -> dict[str, object]:
    """The --json document: products, variants, by_stars, every error and every warning."""
    warnings = warnings or []
    histogram = result.catalog.stars_histogram()
    by_stars = {key: histogram.get(key, 0) for key in _LISTED_STARS}
    by_stars.update({key: count for key, count in histogram.items() if key not in by_stars})
    errors = [e.as_dict() for e in result.errors if e.severity == "error"]
    kinds = Counter(str(w["kind"]) for w in warnings)
    return {
        "products": len(result.catalog),
        "variants": sum(1 for _ in result.catalog.variants()),
        "by_stars": by_stars,
        "errors": errors,
        "warnings": warnings,
        "counts": {"errors": len(errors), "warnings": len(warnings)}
        | {kind: kinds.get(kind, 0) for kind in _COUNTED},
    }


def _warnings(result: LoadResult, on: date, check_images: bool) -> list[dict[str, Any]]:
    # Ignored columns first (they concern the whole file), then products in catalog order.
    found: list[dict[str, Any]] = [
        {"kind": "column", "sku": None, **e.as_dict()}
        for e in result.errors
        if e.severity == "warning"
    ]
    checks: list[CatalogWarning] = catalog_warnings(result.catalog, on)
    if check_images:
        checks += image_warnings(result.catalog)
    found += [w.as_dict() for w in checks]
    return found


def _print_report(result: LoadResult, report: dict[str, Any]) -> None:
    for error in result.errors:
        if error.severity == "error":
            # Plain text, one line per error (no markup, no wrapping) so it can be grepped.
            console.print(Text(str(error)), soft_wrap=True)
    for warning in report["warnings"]:
        if warning["kind"] == "column":
            line = f"warning: {result.source}:{warning['row']}:{warning['column']}: "
            line += "unknown column, its cells are ignored"
        elif warning["kind"] == "formula":
            line = f"warning: {result.source}:{warning['row']}:{warning['column']}: "
            line += str(warning["message"])
        else:
            line = f"warning: {warning['sku']}: {warning['message']}"
        console.print(Text(line), soft_wrap=True)
    console.print(Text(f"Catalog {result.source}"), soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("rows read", str(result.rows))
    table.add_row("valid products", str(report["products"]))
    table.add_row("valid variants", str(report["variants"]))
    for stars, count in report["by_stars"].items():
        table.add_row(f"  {stars}★", str(count))
    counts = report["counts"]
    table.add_row("errors", str(counts["errors"]), style="red" if counts["errors"] else "green")
    table.add_row("warnings", str(counts["warnings"]), style="yellow" if counts["warnings"] else "")
    for kind, label in _COUNTED.items():
        if counts[kind]:
            table.add_row(f"  {label}", str(counts[kind]))
    console.print(table)
    if result.ok:
        console.print("[green]✓ every row is valid[/green]")
    else:
        rows = len({e.row for e in result.errors if e.severity == "error"})
        console.print(f"[red]✗ {counts['errors']} error(s) in {rows} row(s)[/red]")


def _catalog_path(catalog: Path | None, config: Path | None) -> Path:
    if catalog is not None:
        return catalog
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        err_console.print(Text(f"error: {exc}"), soft_wrap=True)
        raise typer.Exit(int(Exit.USAGE)) from None
    if settings.catalog is None:
        err_console.print(
            "error: no catalog: give CATALOG, or set `catalog` in the configuration (--config)"
        )
        raise typer.Exit(int(Exit.USAGE))
    return settings.catalog


def _day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def validate(
    catalog: Path | None = typer.Argument(
        None,
        metavar="[CATALOG]",
        help="Catalog file: .json, .csv or .xlsx (default: `catalog` of the configuration).",
        show_default=False,
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print a JSON summary (counts, errors, warnings)."
    ),
    check_images: bool = typer.Option(
        False, "--check-images", help="Ask every image URL whether it answers with an image."
    ),
    on: str | None = typer.Option(
        None, "--on", metavar="YYYY-MM-DD", help="Judge listability on this day (default today)."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="OCOP_SYNC_CONFIG", help="Configuration file (TOML)."
    ),
) -> None:
    """Check every row of a catalog and warn about what will not be listed, and why.
    Exit 0 if every row is valid (warnings or not), 1 if not, 2 if unreadable."""
    day = _day(on)
    path = _catalog_path(catalog, config)
    try:
        result = load_catalog(path)
        formulas = [{"kind": "formula", "sku": None, **w.as_dict()} for w in formula_cells(path)]
    except CatalogFileError as exc:
        err_console.print(Text(f"error: {exc}"), soft_wrap=True)
        raise typer.Exit(int(Exit.USAGE)) from None
    report = summary(result, formulas + _warnings(result, day, check_images))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(result, report)
    raise typer.Exit(int(Exit.OK if result.ok else Exit.INVALID))
