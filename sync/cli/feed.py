"""`ocop-sync export-feed`: the bulk-upload file for a marketplace's web seller portal.

For sellers who list by hand (e.g. Voso's mc.voso.vn): the same mapping and rules as a sync,
written to a file instead of sent. Products that may not be listed today are left out, and
so is every listing the marketplace would reject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import typer
from rich.markup import escape

from connectors.base import Connector, Listing
from connectors.registry import get_connector
from sync.catalog import Catalog
from sync.catalog_io import load_catalog
from sync.cli.app import Exit, app, console, err_console
from sync.cli.common import CatalogOpt, ConfigOpt, user_errors, warn_row_errors
from sync.engine.clients import load_config
from sync.settings import Account, ConfigError

_SHOWN = 20  # skipped items printed one per line before "… and N more"


@dataclass
class FeedSelection:
    """What goes into a feed, and what was left out and why."""

    listings: list[Listing] = field(default_factory=list)
    rejected: list[Listing] = field(default_factory=list)  # listings with error issues
    not_listable: list[tuple[str, str]] = field(default_factory=list)  # (product SKU, reason)

    @property
    def products(self) -> int:
        """Number of products with at least one listing in the feed."""
        return len({listing.product_sku for listing in self.listings})


def select_listings(
    catalog: Catalog, connector: Connector, account: Account, today: date
) -> FeedSelection:
    """Map every listable product with the account's mapping; keep listings without errors."""
    selection = FeedSelection()
    for product in catalog:
        verdict = product.listability(today)
        if not verdict.ok:
            selection.not_listable.append((product.sku, verdict.reason or "not listable"))
            continue
        for listing in connector.mapping.map_product(product, account, today):
            (selection.listings if listing.ok else selection.rejected).append(listing)
    return selection


def _errors_of(listing: Listing) -> str:
    return "; ".join(
        f"{issue.field}: {issue.message}" for issue in listing.issues if issue.severity == "error"
    )


def _report(selection: FeedSelection) -> None:
    for listing in selection.rejected[:_SHOWN]:
        err_console.print(
            f"[yellow]left out[/yellow] {escape(listing.sku)}: {escape(_errors_of(listing))}",
            soft_wrap=True,
        )
    if len(selection.rejected) > _SHOWN:
        err_console.print(f"[yellow]… and {len(selection.rejected) - _SHOWN} more[/yellow]")
    for sku, reason in selection.not_listable[:_SHOWN]:
        console.print(f"not listable: {escape(sku)} ({escape(reason)})", soft_wrap=True)
    if len(selection.not_listable) > _SHOWN:
        console.print(f"… and {len(selection.not_listable) - _SHOWN} more not listable")


@app.command("export-feed")
def export_feed(
    account: str = typer.Option(
        ..., "--account", "-a", help="Account whose marketplace, rules and categories apply."
    ),
    catalog: Path | None = CatalogOpt,
    output: Path = typer.Option(..., "--output", "-o", help="File to write (e.g. OUT.xlsx)."),
    config: Path | None = ConfigOpt,
) -> None:
    """Write the marketplace's bulk-upload file: one row per listable variant.

    Exit 0: everything went in; 1: something was left out (catalog rows with errors,
    products not listable today, listings the rules reject; the file is still written);
    2: usage.
    """
    with user_errors():
        settings = load_config(config)
        chosen = settings.account(account)
        connector = get_connector(chosen.marketplace)
        if connector.feed_exporter is None:
            raise ConfigError(
                f"{connector.title} has no bulk-upload file (account {chosen.name}); "
                "use `ocop-sync sync` instead"
            )
        source = catalog or settings.catalog
        if source is None:
            raise ConfigError("no catalog: pass --catalog or set `catalog` in the configuration")
        loaded = load_catalog(source)
    warn_row_errors(loaded.errors)
    selection = select_listings(loaded.catalog, connector, chosen, date.today())
    _report(selection)
    try:
        connector.feed_exporter(selection.listings, chosen, output)
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot write {escape(str(output))}: {exc.strerror}")
        raise typer.Exit(Exit.USAGE) from None
    console.print(
        f"Wrote {len(selection.listings)} listing(s) of {selection.products} product(s) "
        f"for {escape(chosen.name)} ({escape(connector.title)}) to {escape(str(output))}; "
        f"left out {len(selection.rejected)} listing(s) with errors, "
        f"{len(selection.not_listable)} product(s) not listable, "
        f"{len(loaded.errors)} catalog row error(s).",
        soft_wrap=True,
    )
    incomplete = bool(selection.rejected or selection.not_listable or loaded.errors)
    raise typer.Exit(Exit.INVALID if incomplete else Exit.OK)
