"""Pick the reader/writer for a file by its extension, and read/write files safely."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sync.catalog import Catalog
from sync.catalog_io.csv_io import csv_bytes, read_csv
from sync.catalog_io.flat_stream import open_table
from sync.catalog_io.guide import Lang
from sync.catalog_io.json_io import json_bytes, read_json
from sync.catalog_io.results import CatalogFileError, LoadResult
from sync.catalog_io.stream import CatalogStream, file_errors_only

FORMATS = ("json", "csv", "xlsx")


def format_of(path: Path, fmt: str | None = None) -> str:
    """'json', 'csv' or 'xlsx' from `fmt` or the file extension, else CatalogFileError."""
    name = (fmt or path.suffix).lower().lstrip(".")
    if name not in FORMATS:
        shown = fmt or path.suffix or "(no extension)"
        raise CatalogFileError(
            path, f"unsupported catalog format {shown!r}; use .json, .csv or .xlsx"
        )
    return name


def _read_bytes(source: Path, file: str) -> bytes:
    try:
        return source.read_bytes()
    except OSError as exc:
        raise CatalogFileError(file, f"cannot read: {exc.strerror or exc}") from None


def open_catalog(path: Path | str) -> CatalogStream:
    """Open a catalog file (.json/.csv/.xlsx) for streaming its valid products.

    Raises CatalogFileError (only) for file-level problems, all of them before the first
    product: a CSV file is read through once here, and again as the stream is iterated.
    """
    source = Path(path)
    file = str(path)
    fmt = format_of(source)
    with file_errors_only(file):
        if fmt == "json":
            return read_json(_read_bytes(source, file), file, source)
        if fmt == "csv":  # read from disk as it goes
            return open_table(read_csv(source, file), source)
        from sync.catalog_io.xlsx_io import read_xlsx  # openpyxl only for XLSX: see xlsx_io

        # openpyxl needs the whole XLSX package.
        return open_table(read_xlsx(_read_bytes(source, file), file), source)


def load_catalog(path: Path | str) -> LoadResult:
    """Load a catalog file (.json/.csv/.xlsx); only CatalogFileError is ever raised."""
    return open_catalog(path).load()


def export_catalog(
    catalog: Catalog, path: Path | str, fmt: str | None = None, lang: Lang = "en"
) -> None:
    """Write `catalog` as JSON, CSV or XLSX (by `fmt` or extension), replacing `path` atomically.

    `lang` is the language of a CSV or XLSX file's headers and values: "en" (snake_case) or
    "vi" (the keeper's layout, as `ocop-sync template` writes); JSON is the model's shape.
    """
    target = Path(path)
    kind = format_of(target, fmt)
    if kind == "json":
        data = json_bytes(catalog)
    elif kind == "csv":
        data = csv_bytes(catalog, lang)
    else:
        from sync.catalog_io.xlsx_io import xlsx_bytes  # see open_catalog

        data = xlsx_bytes(catalog, lang)
    # Write beside the target and rename, so a crash never leaves half a catalog behind.
    # open(..., "xb") rather than mkstemp: the file then gets the usual umask permissions.
    temp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        try:
            with open(temp, "xb") as out:
                out.write(data)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CatalogFileError(path, f"cannot write: {exc.strerror or exc}") from None
