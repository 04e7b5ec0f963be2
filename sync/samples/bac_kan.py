"""The Bắc Kạn sample catalog: 182 OCOP products (1×5★, 18×4★, 163×3★) from 110 producers.

The counts come from the 2023 news article the project started from; six products and
their producers are real (design.md §6); everything else is made up, deterministically
(a fixed seed, no dependence on today's date). See examples/bac-kan/README.md.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from sync.catalog import (
    Catalog,
    Certificate,
    Image,
    Ocop,
    Product,
    Quantity,
    Traceability,
    Variant,
)
from sync.gtin import make_gtin13
from sync.money import round_to
from sync.ocop import CriteriaVersion, IssuerLevel, OcopStatus, ProducerKind
from sync.samples import _data as d
from sync.samples._makers import Maker, Plan, generated_makers, generated_plans
from sync.text import ascii_fold

SEED = 20230707
REFERENCE_DATE = date(2026, 11, 29)  # the day the sample is checked against
IMAGE_BASE = "https://cdn.ocop-sample.example/bac-kan"
TRACE_BASE = "https://truyxuat.ocop-sample.example/bac-kan"
# From the 2023 article: products per star rating, and 20 products with traceability.
STARS = {5: 1, 4: 18, 3: 163}
TRACEABLE_PRODUCTS = 20

# Public facts about Miến dong Tài Hoan's first national certificate (backan.gov.vn,
# 7 Jul 2021). It expired in 2024; the product was re-assessed and kept 5★ in 2024.
TAI_HOAN_FIRST_CERTIFICATE = Certificate(
    decision_no="2890/QĐ-BNN-VPĐP",
    decision_date=date(2021, 6, 30),
    issuer_level=IssuerLevel.CENTRAL,
    issuer_name=d.MINISTRY_2024,
)
TAI_HOAN_FIRST_SCORE = 91.14
TAI_HOAN_FIRST_CRITERIA = CriteriaVersion.QD1048_2019


def _certificate(rng: random.Random, plan: Plan) -> Certificate | None:
    if plan.status is OcopStatus.PROPOSED:
        return None
    if plan.stars >= 4:
        round_ = rng.choice(d.PROVINCE_ROUNDS)
        level, issuer = IssuerLevel.PROVINCE, d.PROVINCE_ISSUER
    else:
        district = plan.maker.spec.district
        round_ = d.DISTRICT_ROUNDS[district][rng.randrange(2)]
        level, issuer = IssuerLevel.DISTRICT, f"UBND {district}"
    return Certificate(
        decision_no=round_.decision_no,
        decision_date=round_.decision_date,
        issuer_level=level,
        issuer_name=issuer,
    )


def _score(rng: random.Random, stars: int) -> float:
    low, high = {3: (5000, 6999), 4: (7000, 8999), 5: (9000, 9800)}[stars]
    return rng.randint(low, high) / 100


def _variants(rng: random.Random, plan: Plan, item: int) -> list[Variant]:
    specs = plan.kind.variants
    count = len(specs) if rng.random() < 0.6 else rng.randint(1, len(specs))
    premium = {3: 1.0, 4: 1.12, 5: 1.2}[plan.stars]
    factor = Decimal(str(round(rng.uniform(0.85, 1.2) * premium, 3)))
    # Households and groups often sell without a barcode; firms and cooperatives have one.
    small = plan.maker.spec.kind in (
        ProducerKind.HOUSEHOLD_BUSINESS,
        ProducerKind.COOPERATIVE_GROUP,
    )
    barcoded = not small or rng.random() < 0.5
    variants = []
    for index, spec in enumerate(specs[:count]):
        stock = 0 if rng.random() < 0.03 else rng.randint(20, 150 if plan.kind.fresh else 800)
        body = f"893{70000 + plan.maker.number:05d}{item:02d}{index + 1:02d}"
        variants.append(
            Variant(
                sku=f"{plan.sku}-{spec.suffix}",
                label=spec.label,
                net_quantity=Quantity(value=Decimal(spec.quantity), unit=spec.unit),
                packaging=spec.packaging,
                price=round_to(spec.price * factor, 1000),
                stock=stock,
                weight_g=spec.weight_g,
                gtin=make_gtin13(body) if barcoded else None,
            )
        )
    return variants


def _description(plan: Plan, extra: str | None) -> str:
    spec = plan.maker.spec
    where = f"{spec.commune}, {spec.district}, tỉnh {d.PROVINCE} (nay thuộc tỉnh Thái Nguyên)"
    origin = f"Sản phẩm OCOP {plan.stars} sao của {spec.name}, {where}."
    if plan.status is OcopStatus.PROPOSED:
        origin = f"Sản phẩm của {spec.name}, {where}; đang chờ quyết định công nhận OCOP."
    return "\n\n".join(part for part in (plan.kind.blurb, extra, origin) if part)


def _district_tag(district: str) -> str:
    return district.removeprefix("huyện ").removeprefix("thành phố ")


def _build(
    rng: random.Random,
    plan: Plan,
    item: int,
    *,
    name_en: str | None = None,
    ocop: Ocop | None = None,
    certificate: Certificate | None = None,
    extra: str | None = None,
) -> Product:
    """Build one product from its plan; the real products pass their public facts in."""
    kind, maker = plan.kind, plan.maker
    ocop = ocop or Ocop(
        group=kind.group,
        product_set=kind.product_set,
        stars=plan.stars,
        score=_score(rng, plan.stars),
        status=plan.status,
    )
    certificate = certificate or _certificate(rng, plan)
    year = certificate.decision_date.year if certificate else 2025
    standards = [f"TCCS 01:{year}/{maker.spec.code}"]
    standards += [s for s in kind.extra_standards if rng.random() < 0.5]
    folder = plan.sku.lower()
    images = [
        Image(url=f"{IMAGE_BASE}/{folder}/{n}.jpg", primary=n == 1)
        for n in range(1, rng.randint(1, 3) + 1)
    ]
    trace = None
    if plan.traceable:
        trace = Traceability(
            url=f"{TRACE_BASE}/{folder}",
            provider="Cổng truy xuất nguồn gốc (mẫu)",
        )
    if name_en is None and kind.name_en:
        name_en = kind.name_en.format(brand=ascii_fold(maker.brand))
    return Product(
        sku=plan.sku,
        name=plan.name,
        name_en=name_en,
        description=_description(plan, extra),
        ocop=ocop,
        certificate=certificate,
        producer=maker.producer,
        address=maker.address,
        variants=_variants(rng, plan, item),
        shelf_life_days=kind.shelf_life_days,
        ingredients=kind.ingredients,
        standards=standards,
        traceability=trace,
        images=images if plan.images else [],
        tags=[*kind.tags, _district_tag(maker.spec.district), f"OCOP {plan.stars} sao"],
    )


_TAI_HOAN_STORY = (
    "Sản phẩm OCOP 5 sao cấp quốc gia đầu tiên của Bắc Kạn: Bộ Nông nghiệp và Phát triển "
    "nông thôn công nhận theo Quyết định số 2890/QĐ-BNN-VPĐP ngày 30/6/2021 (91,14 điểm, "
    "bộ tiêu chí 1048/2019); được Hội đồng OCOP Trung ương đánh giá lại và tiếp tục công "
    "nhận 5 sao năm 2024."
)


def _real_products(rng: random.Random) -> list[Product]:
    """The six products of design.md §6 with their public facts; the rest is made up."""
    kinds = d.KIND_BY_CODE
    makers = {spec.code: Maker(spec, "", n) for n, spec in enumerate(d.REAL_PRODUCERS, 1)}
    makers["TAIHOAN"].brand = "Tài Hoan"
    mien = Plan(kinds["MIEN"], makers["TAIHOAN"], "BK-MIEN-TAIHOAN", "Miến dong Tài Hoan", 5)
    mien.traceable = True
    # The 2021 certificate expired on 30 Jun 2024; the 2024 re-assessment (public) keeps it
    # listed. That decision's number, date and score are not public: the number and date
    # here are made up and the score is left empty rather than invented.
    renewal = Certificate(
        decision_no="2751/QĐ-BNN-VPĐP",
        decision_date=date(2024, 7, 26),
        issuer_level=IssuerLevel.CENTRAL,
        issuer_name=d.MINISTRY_2024,
    )
    mien_ocop = Ocop(group=d.FOOD, product_set=d.PROCESSED, stars=5, score=None)
    products = [
        _build(rng, mien, 1, ocop=mien_ocop, certificate=renewal, extra=_TAI_HOAN_STORY),
    ]
    four_star = (
        ("TINHNGHE", "NSBK", "BK-TINHNGHE-NSBK", "Tinh nghệ Bắc Kạn", "Bac Kan turmeric starch"),
        ("NANO", "BACHA", "BK-NANO-VICUMAX", "Vi-cumax Nano curcumin", "Vi-cumax Nano Curcumin"),
        ("CHESHAN", "NGOCTHANG", "BK-CHESHAN-NGOCTHANG", "Trà Shan tuyết", "Shan Tuyet tea"),
    )
    for kind, maker, sku, name, name_en in four_star:
        plan = Plan(kinds[kind], makers[maker], sku, name, 4, traceable=True)
        products.append(_build(rng, plan, 1, name_en=name_en))
    ca_gai_leo = Plan(
        kinds["TRACAGAILEO"], makers["BAOCHAU"], "BK-TRACAGAILEO-BAOCHAU", "Trà cà gai leo"
    )
    products.append(_build(rng, ca_gai_leo, 1, name_en="Ca gai leo herbal tea"))
    # Củ mài núi thái lát: 3★ by 2166/QĐ-UBND (2022, public; the day is made up). Under
    # the 1048/2019 criteria the province recognised 3★ too. It expired in 2025 and is the
    # sample's certified-but-expired product.
    cu_mai = Plan(kinds["CUMAI"], makers["DAITHANG"], "BK-CUMAI-DAITHANG", "Củ mài núi thái lát")
    cu_mai_ocop = Ocop(
        criteria_version=CriteriaVersion.QD1048_2019,
        group="Thảo dược",
        stars=3,
        score=_score(rng, 3),
    )
    expired = Certificate(
        decision_no="2166/QĐ-UBND",
        decision_date=date(2022, 10, 14),
        issuer_level=IssuerLevel.PROVINCE,
        issuer_name=d.PROVINCE_ISSUER,
    )
    products.append(
        _build(
            rng, cu_mai, 1, name_en="Dried wild yam slices", ocop=cu_mai_ocop, certificate=expired
        )
    )
    return products


def build_bac_kan_catalog() -> Catalog:
    """The Bắc Kạn sample: 182 products, 1×5★ 18×4★ 163×3★, 110 producers; deterministic.

    Four 3★ products are deliberately not listable on REFERENCE_DATE: one certificate
    expired (BK-CUMAI-DAITHANG), one revoked, one proposed (awaiting its decision), one
    without an image.
    """
    rng = random.Random(SEED)
    products = _real_products(rng)
    makers = generated_makers(rng)
    for number, maker in enumerate(makers, len(d.REAL_PRODUCERS) + 1):
        maker.number = number
    real_four = sum(p.ocop.stars == 4 for p in products)
    plans = generated_plans(
        rng,
        makers,
        count=sum(STARS.values()) - len(products),
        four_stars=STARS[4] - real_four,
        traceable=TRACEABLE_PRODUCTS - sum(p.traceability is not None for p in products),
    )
    items: dict[int, int] = {}
    for plan in plans:
        items[id(plan.maker)] = items.get(id(plan.maker), 0) + 1
        products.append(_build(rng, plan, items[id(plan.maker)]))
    return Catalog(products=products)
