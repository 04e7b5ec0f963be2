"""What a load returns: per-row problems, the catalog of good products, file-level failures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sync.catalog import Catalog


@dataclass(frozen=True)
class RowError:
    """One problem in one row (or one product of a JSON catalog)."""

    file: str
    row: int | None  # as the user sees it: CSV/XLSX header is row 1; JSON: 1-based product index
    column: str | None  # header as written in the file (JSON: pydantic loc joined with ".")
    sku: str | None
    message: str
    # "warning": reported, nothing left out (an unknown column: its cells are ignored).
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        location = ":".join(
            part for part in (self.file, _or_blank(self.row), self.column or "") if part
        )
        suffix = f" [SKU {self.sku}]" if self.sku and self.sku not in self.message else ""
        return f"{location}: {self.message}{suffix}"

    def as_dict(self) -> dict[str, object]:
        """The error as a JSON-ready dict (keys file, row, column, sku, message)."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "sku": self.sku,
            "message": self.message,
        }


def _or_blank(row: int | None) -> str:
    return "" if row is None else str(row)


@dataclass
class LoadResult:
    """A loaded catalog: the products whose rows are all valid, and every row problem found."""

    source: Path
    catalog: Catalog
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read (CSV/XLSX, blank rows excluded) or products (JSON)
    # SKUs of the products left out (a row error, or a SKU another product uses), so that a
    # sync can hold their listings: a variant cell's error names only the variant SKU.
    rejected: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row had a problem (warnings aside)."""
        return not any(error.severity == "error" for error in self.errors)

    def held(self) -> frozenset[str]:
        """SKUs whose listings a sync must leave alone (see `held_skus`)."""
        return held_skus(self.errors, self.rejected)


class CatalogFileError(Exception):
    """The file as a whole cannot be used: unreadable, unrecognised, empty, or its header
    lacks a required column. The CLI maps it to exit code 2."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def held_skus(errors: Iterable[RowError], rejected: Iterable[str]) -> frozenset[str]:
    """SKUs whose listings a sync must leave alone because their catalog rows failed to load
    (see `sync.plan.PlanFilter.held`): every SKU an error names and every rejected product."""
    return frozenset(e.sku for e in errors if e.sku) | frozenset(rejected)
