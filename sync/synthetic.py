"""Synthetic OCOP catalogs of any size, for benchmarks and load tests.

Every product is listable for years (certified, 3★+, certificate valid until 2032 or later,
an image) and goes through the normal model, so the data is valid. Product i depends only
on the seed and i: a small catalog is a prefix of a larger one with the same seed.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sync.catalog import Catalog, Product
from sync.gtin import make_gtin13
from sync.money import round_to
from sync.ocop import CriteriaVersion, IssuerLevel, OcopStatus, ProducerKind
from sync.samples import _data as d
from sync.text import ascii_fold

IMAGE_BASE = "https://cdn.ocop-sample.example/syn"
PROVINCE = "Thái Nguyên"
# Decisions in 2029-2030 keep every certificate valid (36 months) until 2032 at least.
FIRST_DECISION = date(2029, 1, 1)
DECISION_SPAN_DAYS = 730

_KINDS = [k for k in d.KINDS if not k.enterprise_only]
_KIND_WEIGHTS = [k.weight for k in _KINDS]
_PLACES = [commune for communes in d.DISTRICTS.values() for commune in communes]
_PRODUCER_KINDS = list(ProducerKind)
_PRODUCER_WEIGHTS = [d.PRODUCER_COUNTS[k] for k in _PRODUCER_KINDS]
_PREFIX = {
    ProducerKind.COOPERATIVE: "Hợp tác xã",
    ProducerKind.ENTERPRISE: "Công ty TNHH",
    ProducerKind.HOUSEHOLD_BUSINESS: "Hộ kinh doanh",
    ProducerKind.COOPERATIVE_GROUP: "Tổ hợp tác",
}


def _stars(rng: random.Random) -> int:
    roll = rng.random()
    return 5 if roll < 0.01 else 4 if roll < 0.12 else 3


def _certificate(rng: random.Random, stars: int) -> dict[str, Any]:
    decided = FIRST_DECISION + timedelta(days=rng.randrange(DECISION_SPAN_DAYS))
    number = rng.randint(100, 4999)
    if stars == 5:
        return {
            "decision_no": f"{number}/QĐ-BNNMT",
            "decision_date": decided,
            "issuer_level": IssuerLevel.CENTRAL,
            "issuer_name": "Bộ Nông nghiệp và Môi trường",
        }
    # Since 1 Jul 2025 the province certifies 3★ as well as 4★ (districts are abolished).
    return {
        "decision_no": f"{number}/QĐ-UBND",
        "decision_date": decided,
        "issuer_level": IssuerLevel.PROVINCE,
        "issuer_name": f"UBND tỉnh {PROVINCE}",
    }


def _variants(
    rng: random.Random, kind: d.KindSpec, sku: str, first_gtin: int, count: int
) -> list[dict[str, Any]]:
    """`count` variants; past the kind's own sizes they become multipacks (lốc 2 × …)."""
    factor = rng.uniform(0.85, 1.2)
    variants = []
    for j in range(count):
        spec = kind.variants[j % len(kind.variants)]
        pack = j // len(kind.variants) + 1
        label = spec.label if pack == 1 else f"lốc {pack} × {spec.label}"
        variants.append(
            {
                "sku": f"{sku}-{j + 1}",
                "label": label,
                "net_quantity": {"value": Decimal(spec.quantity) * pack, "unit": spec.unit},
                "packaging": spec.packaging,
                "price": round_to(Decimal(spec.price * pack * factor), 1000),
                "stock": rng.randint(0, 1000),
                "weight_g": spec.weight_g * pack,
                "gtin": make_gtin13(f"893{(first_gtin + j) % 10**9:09d}"),
            }
        )
    return variants


def _product_data(rng: random.Random, i: int, variants: int) -> dict[str, Any]:
    kind = rng.choices(_KINDS, weights=_KIND_WEIGHTS)[0]
    commune = rng.choice(_PLACES)
    brand = commune.split(" ", 1)[1] if " " in commune else commune
    producer_kind = rng.choices(_PRODUCER_KINDS, weights=_PRODUCER_WEIGHTS)[0]
    number = f"{i:06d}"  # grows to 7 digits past 999,999: still unique, prefix-stable
    sku = f"SYN-{number}"
    stars = _stars(rng)
    score = rng.randint(*{3: (5000, 6999), 4: (7000, 8999), 5: (9000, 9999)}[stars]) / 100
    return {
        "sku": sku,
        "name": f"{kind.name} {brand} {number}",
        "name_en": kind.name_en.format(brand=ascii_fold(brand)) + f" {number}"
        if kind.name_en
        else None,
        "description": f"{kind.blurb}\n\nSản phẩm tổng hợp (synthetic) dùng để thử tải.",
        "ocop": {
            "criteria_version": CriteriaVersion.QD148_1489_2025,
            "group": kind.group,
            "product_set": kind.product_set,
            "stars": stars,
            "score": score,
            "status": OcopStatus.CERTIFIED,
        },
        "certificate": _certificate(rng, stars),
        "producer": {
            "name": f"{_PREFIX[producer_kind]} Mẫu {brand} {rng.randrange(1000):03d}",
            "kind": producer_kind,
        },
        "address": {
            "as_printed": f"thôn {rng.choice(d.VILLAGES)}, {commune}, tỉnh {PROVINCE}",
            "commune": commune,
            "province": PROVINCE,
        },
        "variants": _variants(rng, kind, sku, (i - 1) * variants, variants),
        "shelf_life_days": kind.shelf_life_days,
        "ingredients": kind.ingredients,
        "standards": [f"TCCS 01:2029/SYN{number}"],
        "images": [{"url": f"{IMAGE_BASE}/{sku.lower()}.jpg", "primary": True}],
        "tags": [*kind.tags, "synthetic"],
    }


def iter_synthetic_products(
    n_products: int, seed: int = 0, variants_per_product: int = 2
) -> Iterator[Product]:
    """Yield `n_products` valid, listable products SYN-000001…, deterministic for `seed`."""
    if n_products < 0 or variants_per_product < 1:
        raise ValueError("n_products must be >= 0 and variants_per_product >= 1")
    rng = random.Random(seed)
    for i in range(1, n_products + 1):
        yield Product.model_validate(_product_data(rng, i, variants_per_product))


def synthetic_catalog(n_products: int, seed: int = 0, variants_per_product: int = 2) -> Catalog:
    """A Catalog of `n_products` synthetic products (see iter_synthetic_products)."""
    # The build creates no reference cycles, but its millions of live model objects make
    # the cyclic GC run ~14 full passes over them for 100k products; pause it meanwhile.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        products = list(iter_synthetic_products(n_products, seed, variants_per_product))
        return Catalog(products=products)
    finally:
        if was_enabled:
            gc.enable()
