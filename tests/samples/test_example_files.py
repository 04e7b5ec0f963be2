"""examples/bac-kan: the three committed files load to exactly the builder's catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.catalog import Catalog
from sync.catalog_io import load_catalog
from sync.cli.validate import summary
from sync.samples import REFERENCE_DATE, build_bac_kan_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bac-kan"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_bac_kan_catalog()


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_example_file_loads_to_the_builders_catalog(fmt: str, catalog: Catalog) -> None:
    result = load_catalog(EXAMPLES / f"catalog.{fmt}")
    assert result.errors == []
    assert result.catalog.stars_histogram() == {"5": 1, "4": 18, "3": 163}
    assert result.catalog == catalog  # regenerate with `python -m sync.samples` if this fails


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_validate_json_reports_the_articles_counts(fmt: str) -> None:
    # What `ocop-sync validate examples/bac-kan/catalog.<fmt> --json` prints.
    report = summary(load_catalog(EXAMPLES / f"catalog.{fmt}"))
    assert report["products"] == 182
    assert report["by_stars"] == {"5": 1, "4": 18, "3": 163}
    assert report["errors"] == []


def test_readme_names_every_non_listable_product(catalog: Catalog) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for product in catalog:
        if not product.listability(REFERENCE_DATE).ok:
            assert product.sku in readme
