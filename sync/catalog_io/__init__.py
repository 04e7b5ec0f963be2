"""Catalog importers and exporters: JSON (the model's shape) and the flat CSV/XLSX layout.

    result = load_catalog("catalog.xlsx")   # LoadResult: catalog of valid products + errors
    export_catalog(result.catalog, "catalog.csv")

See docs/catalog-format.md for the columns, parsing rules and error format.
"""

from __future__ import annotations

from sync.catalog_io.formats import export_catalog, load_catalog
from sync.catalog_io.results import CatalogFileError, LoadResult, RowError

__all__ = ["CatalogFileError", "LoadResult", "RowError", "export_catalog", "load_catalog"]
