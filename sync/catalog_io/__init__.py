"""Catalog importers and exporters: JSON (the model's shape) and the flat CSV/XLSX layout.

    result = load_catalog("catalog.xlsx")   # LoadResult: catalog of valid products + errors
    export_catalog(result.catalog, "catalog.csv")

    stream = open_catalog("catalog.csv")   # CatalogStream: file errors are raised here
    for product in stream:                 # validated one at a time, memory stays flat
        ...                                # stream.errors is complete after the loop

See docs/catalog-format.md for the columns, parsing rules and error format.
"""

from __future__ import annotations

from sync.catalog_io.formats import export_catalog, load_catalog, open_catalog
from sync.catalog_io.results import CatalogFileError, LoadResult, RowError
from sync.catalog_io.stream import CatalogStream

__all__ = [
    "CatalogFileError",
    "CatalogStream",
    "LoadResult",
    "RowError",
    "export_catalog",
    "load_catalog",
    "open_catalog",
]
