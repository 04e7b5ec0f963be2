"""`ocop-sync template [-o catalog.xlsx] [--lang vi|en] [--with-sample]`: the catalog workbook
for the people who keep the catalog (sync.catalog_io.workbook)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.text import Text

from sync.catalog import Catalog
from sync.catalog_io import CatalogFileError, export_catalog
from sync.cli.app import Exit, app, console, err_console


class TemplateLang(StrEnum):
    """Language of the headers, values and instructions."""

    vi = "vi"
    en = "en"


@app.command()
def template(
    output: Path = typer.Option(
        Path("catalog.xlsx"), "--output", "-o", help="File to write (.xlsx, or .csv: header only)."
    ),
    lang: TemplateLang = typer.Option(
        TemplateLang.vi, "--lang", help="Headers, values and instructions: vi or en."
    ),
    with_sample: bool = typer.Option(
        False, "--with-sample", help="Fill it with the Bắc Kạn sample (182 products)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
) -> None:
    """Write an empty catalog workbook: drop-down lists, an instructions sheet, autofilter,
    frozen header, text cells for SKUs, GTINs, tax ids and phone numbers."""
    if output.exists() and not force:
        err_console.print(Text(f"error: {output} exists (add --force to replace it)"))
        raise typer.Exit(int(Exit.USAGE))
    if output.suffix.lower() not in (".xlsx", ".csv"):
        err_console.print(Text(f"error: {output}: the template is .xlsx (or .csv)"))
        raise typer.Exit(int(Exit.USAGE))
    catalog = Catalog()
    if with_sample:
        from sync.samples.bac_kan import build_bac_kan_catalog

        catalog = build_bac_kan_catalog()
    try:
        export_catalog(catalog, output, lang=lang.value)
    except CatalogFileError as exc:
        err_console.print(Text(f"error: {exc}"), soft_wrap=True)
        raise typer.Exit(int(Exit.USAGE)) from None
    rows = sum(len(p.variants) for p in catalog)
    console.print(Text(f"wrote {output} ({rows} rows; check it with: ocop-sync validate {output})"))
