"""Synthetic catalogs: deterministic, any size, unique identifiers, all listable."""

from __future__ import annotations

import gc
import re
from datetime import date
from itertools import islice

import pytest

from sync.gtin import validate_gtin
from sync.synthetic import iter_synthetic_products, synthetic_catalog


def test_same_seed_gives_the_same_catalog_and_another_seed_does_not() -> None:
    assert synthetic_catalog(300, seed=5) == synthetic_catalog(300, seed=5)
    assert synthetic_catalog(300, seed=5) != synthetic_catalog(300, seed=6)


def test_a_smaller_catalog_is_a_prefix_of_a_larger_one() -> None:
    small, large = synthetic_catalog(50, seed=2), synthetic_catalog(200, seed=2)
    assert small.products == large.products[:50]


def test_size_and_variants_per_product_are_as_asked() -> None:
    catalog = synthetic_catalog(120, seed=1, variants_per_product=5)
    assert len(catalog) == 120
    assert all(len(p.variants) == 5 for p in catalog)
    assert len(synthetic_catalog(0)) == 0


def test_skus_slugs_and_gtins_are_unique() -> None:
    catalog = synthetic_catalog(2000, seed=0, variants_per_product=3)
    skus = [p.sku for p in catalog]
    assert skus[:2] == ["SYN-000001", "SYN-000002"]
    assert all(re.fullmatch(r"SYN-\d{6}", sku) for sku in skus)
    assert len(set(skus)) == len(skus)
    variant_skus = [v.sku for _, v in catalog.variants()]
    assert len(set(variant_skus)) == len(variant_skus) == 6000
    slugs = [p.slug for p in catalog]
    assert len(set(slugs)) == len(slugs)
    gtins = [v.gtin for _, v in catalog.variants()]
    assert all(g is not None and validate_gtin(g) == g and g.startswith("893") for g in gtins)
    assert len(set(gtins)) == len(gtins)


@pytest.mark.parametrize("on", [date(2026, 11, 29), date(2031, 12, 31)])
def test_every_synthetic_product_is_listable_until_well_after_2030(on: date) -> None:
    catalog = synthetic_catalog(1000, seed=9)
    assert all(p.listability(on).ok for p in catalog)
    assert {p.ocop.stars for p in catalog} == {3, 4, 5}


def test_streaming_yields_the_same_products_lazily() -> None:
    stream = iter_synthetic_products(10**9, seed=4)  # lazy: never materialised
    assert list(islice(stream, 10)) == synthetic_catalog(10, seed=4).products


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        synthetic_catalog(-1)
    with pytest.raises(ValueError):
        synthetic_catalog(10, variants_per_product=0)


def test_building_leaves_the_garbage_collector_as_it_was() -> None:
    assert gc.isenabled()
    synthetic_catalog(10)
    assert gc.isenabled()
