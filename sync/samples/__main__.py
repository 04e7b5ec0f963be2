"""Write the Bắc Kạn sample as examples/bac-kan/catalog.{json,csv,xlsx}.

    python -m sync.samples [output-directory]

CSV and XLSX are written in the catalog keeper's layout (Vietnamese headers and values, the
workbook of `ocop-sync template`); JSON in the model's shape.

Each file is read back with load_catalog and must give the same catalog, no errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sync.catalog_io import export_catalog, load_catalog
from sync.samples.bac_kan import REFERENCE_DATE, build_bac_kan_catalog

DEFAULT_DIR = Path("examples/bac-kan")
FORMATS = ("json", "csv", "xlsx")


def write_examples(directory: Path = DEFAULT_DIR) -> list[Path]:
    """Export the sample in every format and check each file loads back unchanged."""
    catalog = build_bac_kan_catalog()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        path = directory / f"catalog.{fmt}"
        export_catalog(catalog, path, lang="vi")
        result = load_catalog(path)
        if result.errors:
            raise SystemExit(f"{path}: {len(result.errors)} errors, first: {result.errors[0]}")
        if result.catalog != catalog:
            raise SystemExit(f"{path}: loads back to a different catalog")
        written.append(path)
    return written


def main(argv: list[str]) -> None:
    """Write the files and print what was written."""
    directory = Path(argv[0]) if argv else DEFAULT_DIR
    catalog = build_bac_kan_catalog()
    for path in write_examples(directory):
        print(f"wrote {path}")
    print(f"{len(catalog)} products, stars {catalog.stars_histogram()}")
    for product in catalog:
        verdict = product.listability(REFERENCE_DATE)
        if not verdict.ok:
            print(f"not listable on {REFERENCE_DATE}: {product.sku} ({verdict.reason})")


if __name__ == "__main__":
    main(sys.argv[1:])
