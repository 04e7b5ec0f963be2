"""The Bắc Kạn sample: the article's counts, valid data, the deliberate non-listable cases."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from sync.catalog import Catalog, Product
from sync.gtin import validate_gtin
from sync.ocop import CriteriaVersion, IssuerLevel, OcopStatus, ProducerKind, add_months
from sync.samples import REFERENCE_DATE, build_bac_kan_catalog
from sync.samples._data import DISTRICTS
from sync.samples.bac_kan import (
    TAI_HOAN_FIRST_CERTIFICATE,
    TAI_HOAN_FIRST_CRITERIA,
    TAI_HOAN_FIRST_SCORE,
)
from sync.text import slugify


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_bac_kan_catalog()


def _not_listable(catalog: Catalog, on: date) -> dict[str, str | None]:
    return {p.sku: verdict.reason for p in catalog if not (verdict := p.listability(on)).ok}


def test_counts_are_the_2023_articles(catalog: Catalog) -> None:
    assert len(catalog) == 182
    assert catalog.stars_histogram() == {"5": 1, "4": 18, "3": 163}


def test_producers_by_kind_are_the_articles(catalog: Catalog) -> None:
    producers = {p.producer.name: p.producer.kind for p in catalog}
    assert len(producers) == 110
    assert Counter(producers.values()) == {
        ProducerKind.COOPERATIVE: 73,
        ProducerKind.ENTERPRISE: 5,
        ProducerKind.HOUSEHOLD_BUSINESS: 22,
        ProducerKind.COOPERATIVE_GROUP: 10,
    }


def test_every_product_survives_revalidation(catalog: Catalog) -> None:
    for product in catalog:
        assert Product.model_validate(product.model_dump()) == product
    assert Catalog.model_validate(catalog.model_dump(mode="json")) == catalog


def test_exactly_four_products_are_not_listable_for_the_expected_reasons(
    catalog: Catalog,
) -> None:
    blocked = _not_listable(catalog, REFERENCE_DATE)
    assert blocked.pop("BK-CUMAI-DAITHANG") == "certificate expired on 2025-10-14"
    assert sorted(r or "" for r in blocked.values()) == [
        "OCOP status is proposed",
        "OCOP status is revoked",
        "no product image",
    ]
    by_sku = catalog.by_sku()
    for sku in blocked:
        assert by_sku[sku].ocop.stars == 3  # the non-listable ones count among the 163×3★


def test_listable_products_stay_listable_for_months_after_the_reference_date(
    catalog: Catalog,
) -> None:
    later = date(2027, 6, 30)
    assert _not_listable(catalog, later).keys() == _not_listable(catalog, REFERENCE_DATE).keys()
    assert len(catalog) - len(_not_listable(catalog, REFERENCE_DATE)) == 178


def test_two_builds_are_equal(catalog: Catalog) -> None:
    again = build_bac_kan_catalog()
    assert again == catalog
    assert again.model_dump_json() == catalog.model_dump_json()


def test_slugs_are_unique_ascii_and_transliterate_d(catalog: Catalog) -> None:
    slugs = [p.slug for p in catalog]
    assert len(set(slugs)) == len(slugs)
    for product in catalog:
        assert product.slug is not None and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", product.slug)
        assert product.slug == slugify(product.name)  # unique names: no de-duplication suffix
    with_d = [p for p in catalog if "đ" in p.name.lower()]
    assert with_d, "the sample should exercise đ"
    for product in with_d:
        assert product.slug is not None and "dj" not in product.slug


def test_skus_are_stable_and_readable(catalog: Catalog) -> None:
    for product in catalog:
        assert re.fullmatch(r"BK-[A-Z]+-[A-Z0-9]+", product.sku)
        assert 1 <= len(product.variants) <= 3
        for variant in product.variants:
            assert re.fullmatch(re.escape(product.sku) + r"-[0-9]+[A-Z]+", variant.sku)
    assert catalog.by_sku()["BK-MIEN-TAIHOAN"].variants[0].sku == "BK-MIEN-TAIHOAN-500G"


def test_gtins_are_valid_ean13_with_prefix_893_on_most_variants(catalog: Catalog) -> None:
    variants = [v for _, v in catalog.variants()]
    gtins = [v.gtin for v in variants if v.gtin]
    assert len(gtins) >= 0.8 * len(variants)
    assert len(set(gtins)) == len(gtins)
    for gtin in gtins:
        assert validate_gtin(gtin) == gtin and len(gtin) == 13 and gtin.startswith("893")


def test_prices_stock_images_and_traceability_are_plausible(catalog: Catalog) -> None:
    for _, variant in catalog.variants():
        assert variant.price % 1000 == 0 and 20_000 <= variant.price <= 1_000_000
        assert variant.stock >= 0 and variant.weight_g > 0
    for product in catalog:
        for image in product.images:
            assert str(image.url).startswith("https://cdn.ocop-sample.example/")
    # The article: 20 products with traceability.
    assert sum(p.traceability is not None for p in catalog) == 20


def test_addresses_are_printed_bac_kan_and_now_thai_nguyen(catalog: Catalog) -> None:
    for product in catalog:
        address = product.address
        assert address.province == "Bắc Kạn" and address.current_province == "Thái Nguyên"
        assert address.district in DISTRICTS
        assert address.commune in DISTRICTS[address.district]
        assert address.as_printed.endswith(f"{address.commune}, {address.district}, tỉnh Bắc Kạn")
    districts = {p.address.district for p in catalog}
    assert districts == set(DISTRICTS)  # every district and the city has products


def test_issuer_criteria_and_validity_follow_the_rules(catalog: Catalog) -> None:
    level_for_stars = {5: IssuerLevel.CENTRAL, 4: IssuerLevel.PROVINCE, 3: IssuerLevel.DISTRICT}
    for product in catalog:
        certificate = product.certificate
        if product.ocop.status is OcopStatus.PROPOSED:
            assert certificate is None
            continue
        assert certificate is not None
        assert certificate.expires == add_months(certificate.decision_date, 36)
        if product.sku == "BK-CUMAI-DAITHANG":
            continue  # the 2022 one, checked below
        assert product.ocop.criteria_version is CriteriaVersion.QD148_2023
        assert date(2024, 6, 1) <= certificate.decision_date < date(2025, 7, 1)
        assert certificate.issuer_level is level_for_stars[product.ocop.stars]


def test_real_products_keep_their_public_facts(catalog: Catalog) -> None:
    by_sku = catalog.by_sku()
    mien = by_sku["BK-MIEN-TAIHOAN"]
    assert (mien.name, mien.ocop.stars, mien.producer.name) == (
        "Miến dong Tài Hoan",
        5,
        "Hợp tác xã Tài Hoan",
    )
    assert (mien.address.commune, mien.address.district) == ("xã Côn Minh", "huyện Na Rì")
    assert mien.description is not None and "2890/QĐ-BNN-VPĐP" in mien.description
    assert "91,14" in mien.description
    assert TAI_HOAN_FIRST_CERTIFICATE.decision_no == "2890/QĐ-BNN-VPĐP"
    assert TAI_HOAN_FIRST_CERTIFICATE.expires == date(2024, 6, 30)  # hence the re-assessment
    assert (TAI_HOAN_FIRST_SCORE, TAI_HOAN_FIRST_CRITERIA) == (91.14, CriteriaVersion.QD1048_2019)
    assert mien.certificate is not None and mien.certificate.decision_date.year == 2024

    expected = {
        "BK-TINHNGHE-NSBK": ("Tinh nghệ Bắc Kạn", 4, "Công ty Cổ phần Nông sản Bắc Kạn"),
        "BK-NANO-VICUMAX": ("Vi-cumax Nano curcumin", 4, "Công ty Cổ phần Curcumin Bắc Hà"),
        "BK-CHESHAN-NGOCTHANG": (
            "Trà Shan tuyết",
            4,
            "Công ty TNHH Chế biến nông sản và dược liệu Ngọc Thắng",
        ),
        "BK-TRACAGAILEO-BAOCHAU": ("Trà cà gai leo", 3, "Hợp tác xã Bảo Châu"),
        "BK-CUMAI-DAITHANG": ("Củ mài núi thái lát", 3, "Tổ hợp tác Đại Thắng"),
    }
    for sku, (name, stars, producer) in expected.items():
        product = by_sku[sku]
        assert (product.name, product.ocop.stars, product.producer.name) == (name, stars, producer)
    assert by_sku["BK-TRACAGAILEO-BAOCHAU"].address.commune == "xã Văn Lang"

    cu_mai = by_sku["BK-CUMAI-DAITHANG"]
    assert cu_mai.certificate is not None
    assert cu_mai.certificate.decision_no == "2166/QĐ-UBND"
    assert cu_mai.certificate.decision_date.year == 2022
    assert cu_mai.ocop.criteria_version is CriteriaVersion.QD1048_2019
    assert cu_mai.ocop.group == "Thảo dược"  # a 1048 group, not a 148 one
