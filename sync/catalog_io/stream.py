"""CatalogStream: the valid products of one catalog file, one at a time, and its row errors.

    stream = open_catalog("catalog.csv")   # every file-level problem raises CatalogFileError here
    for product in stream:                 # validated one at a time; memory stays flat
        ...
    stream.errors                          # complete once the loop has ended

How each format feeds it: a CSV file is read from disk in two passes and never held whole
(flat_stream); an XLSX workbook is held in memory by openpyxl anyway, and its rows go through
the same two passes; a JSON catalog is parsed and validated whole when opened (json_io), and
its stream hands out the products already validated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sync.catalog import Product
from sync.catalog_io.flat_read import catalog_of
from sync.catalog_io.results import CatalogFileError, LoadResult, RowError, held_skus
from sync.gcpause import gc_paused
from sync.text import slugify


@contextmanager
def file_errors_only(file: str) -> Iterator[None]:
    """Turn any exception but CatalogFileError into one: callers handle exactly one type."""
    try:
        yield
    except CatalogFileError:
        raise
    except Exception as exc:  # last line of defence: a reader bug must not crash a sync
        raise CatalogFileError(file, f"cannot load ({type(exc).__name__}: {exc})") from exc


class _Unique:
    """Catalog's own rules (sync.catalog.Catalog._unique), applied one product at a time.

    A product whose SKU (or a variant's) is already taken is refused; a slug already taken
    gets the product SKU appended, first come first served, exactly as Catalog does.
    """

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}  # product or variant SKU -> SKU of its product
        self.slugs: set[str] = set()

    def admit(self, product: Product) -> str | None:
        """None if `product` may join the catalog (its slug made unique), else why not."""
        # A variant may reuse its own product's SKU (dict.fromkeys), as in Catalog.
        skus = dict.fromkeys((product.sku, *(variant.sku for variant in product.variants)))
        for sku in skus:
            owner = self.owners.get(sku)
            if owner is not None:
                return f"SKU {sku} is used by {owner} and {product.sku}"
        for sku in skus:
            self.owners[sku] = product.sku
        assert product.slug is not None  # Product derives it when the file has none
        if product.slug in self.slugs:
            object.__setattr__(product, "slug", f"{product.slug}-{slugify(product.sku)}")
        self.slugs.add(product.slug)
        return None


class CatalogStream:
    """The valid products of one catalog file, validated one at a time, and its row errors.

    Read it once, either by iterating it or by calling `load`; a second use (including
    `load` after a partial iteration) raises RuntimeError. Iteration raises only
    CatalogFileError (e.g. the file changed between the passes).

    Attributes:
        source: the file's path.
        file: the path as given by the caller, as in RowError.file.
        errors: the row problems; complete once iteration has finished (then sorted by
            row, problems without a row first, as LoadResult.errors).
        rejected: SKUs of the products left out (see LoadResult.rejected); complete once
            iteration has finished.
        rows: data rows (CSV/XLSX, blank rows excluded) or products (JSON).
    """

    def __init__(
        self,
        *,
        source: Path,
        file: str,
        rows: int,
        errors: list[RowError],
        rejected: list[str],
        products: Iterator[tuple[int, Product]],
    ) -> None:
        self.source = source
        self.file = file
        self.rows = rows
        # Filled by `products` as it goes: a product's problems once its last row is read.
        self.errors = errors
        self.rejected = rejected
        # (where the product first appears, product) for each valid product, once.
        self._products = products
        self._used = False

    def held(self) -> frozenset[str]:
        """SKUs whose listings a sync must leave alone (see `held_skus`); complete once
        iteration has finished."""
        return held_skus(self.errors, self.rejected)

    def __iter__(self) -> Iterator[Product]:
        """The valid products, each once, in the order of their last row (file order when
        each product's rows are together); a product whose SKU is taken is left out and
        reported, and a slug already taken gets the product SKU appended."""
        self._use("iterate")
        return self._admitted()

    def load(self) -> LoadResult:
        """Every valid product in one Catalog, in order of first appearance: what
        load_catalog returns. (The cyclic GC is paused meanwhile: reading creates no
        cycles, and millions of live model objects would be scanned again and again.)"""
        self._use("load")
        with gc_paused(), file_errors_only(self.file):
            found = sorted(self._products, key=lambda item: item[0])
            catalog = catalog_of([product for _, product in found], self._report)
        self._sort_errors()
        return LoadResult(
            source=self.source,
            catalog=catalog,
            errors=self.errors,
            rows=self.rows,
            rejected=self.rejected,
        )

    def _admitted(self) -> Iterator[Product]:
        unique = _Unique()
        with file_errors_only(self.file):
            for _, product in self._products:
                conflict = unique.admit(product)
                if conflict is None:
                    yield product
                else:
                    self._report(product, conflict)
        self._sort_errors()

    def _report(self, product: Product, reason: str) -> None:
        """A valid product left out because it conflicts with one already in the catalog."""
        self.errors.append(
            RowError(self.file, None, None, None, f"product {product.sku}: {reason}")
        )
        self.rejected.append(product.sku)

    def _sort_errors(self) -> None:
        # Stable: problems of one row keep the order in which they were found.
        self.errors.sort(key=lambda error: error.row or 0)

    def _use(self, how: str) -> None:
        if self._used:
            raise RuntimeError(
                f"cannot {how} this CatalogStream: a stream is read once (open the file again)"
            )
        self._used = True
