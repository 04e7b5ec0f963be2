"""Who makes what in the Bắc Kạn sample: the made-up producers and their product plans."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from sync.catalog import Address, Producer
from sync.ocop import OcopStatus, ProducerKind
from sync.samples import _data as d
from sync.text import ascii_fold

STRONG_KINDS = (ProducerKind.COOPERATIVE, ProducerKind.ENTERPRISE)


@dataclass
class Maker:
    """A producer as the generator sees it: identity, place, brand for product names."""

    spec: d.ProducerSpec
    brand: str
    number: int  # 1..110, the GS1 company part of its GTINs
    kinds: list[d.KindSpec] = field(default_factory=list)

    @property
    def producer(self) -> Producer:
        return Producer(name=self.spec.name, kind=self.spec.kind)

    @property
    def address(self) -> Address:
        place = [self.spec.commune, self.spec.district, f"tỉnh {d.PROVINCE}"]
        if self.spec.village:
            place.insert(0, self.spec.village)
        return Address(
            as_printed=", ".join(place),
            commune=self.spec.commune,
            district=self.spec.district,
            province=d.PROVINCE,
            current_province=d.CURRENT_PROVINCE,
        )


@dataclass
class Plan:
    """One product to build; the generator fills stars and status before building."""

    kind: d.KindSpec
    maker: Maker
    sku: str
    name: str
    stars: int = 3
    status: OcopStatus = OcopStatus.CERTIFIED
    images: bool = True
    traceable: bool = False

    @classmethod
    def of(cls, kind: d.KindSpec, maker: Maker) -> Plan:
        """A made-up product: SKU BK-<kind>-<producer>, name '<kind> <brand>'."""
        return cls(kind, maker, f"BK-{kind.code}-{maker.spec.code}", f"{kind.name} {maker.brand}")


def bare(commune: str) -> str:
    """'xã Nam Mẫu' -> 'Nam Mẫu' (the brand a cooperative takes from its commune)."""
    for prefix in ("thị trấn ", "phường ", "xã "):
        if commune.startswith(prefix):
            return commune[len(prefix) :]
    return commune


def _code(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text).upper() if ch.isalnum())


def _village(rng: random.Random, commune: str) -> str:
    if commune.startswith("xã "):
        return f"thôn {rng.choice(d.VILLAGES)}"
    return f"tổ {rng.randint(1, 14)}"


def generated_makers(rng: random.Random) -> list[Maker]:
    """The 104 made-up producers: 71 cooperatives, 2 firms, 22 households, 9 groups."""
    real_counts = {kind: 0 for kind in ProducerKind}
    for spec in (*d.REAL_PRODUCERS, *d.MADE_UP_ENTERPRISES):
        real_counts[spec.kind] += 1
    wanted = {kind: d.PRODUCER_COUNTS[kind] - real_counts[kind] for kind in ProducerKind}
    places = [(district, c) for district, communes in d.DISTRICTS.items() for c in communes]
    rng.shuffle(places)
    makers = [Maker(spec, d.ENTERPRISE_BRANDS[spec.code], 0) for spec in d.MADE_UP_ENTERPRISES]
    # Cooperatives and groups each take a commune of their own, so their brands are unique.
    for kind in (ProducerKind.COOPERATIVE, ProducerKind.COOPERATIVE_GROUP):
        for _ in range(wanted[kind]):
            district, commune = places.pop()
            name = (
                f"Hợp tác xã {rng.choice(d.COOPERATIVE_WORDS)} {bare(commune)}"
                if kind is ProducerKind.COOPERATIVE
                else f"Tổ hợp tác {bare(commune)}"  # activity added once its kind is known
            )
            spec = d.ProducerSpec(
                _code(bare(commune)), name, kind, district, commune, _village(rng, commune)
            )
            makers.append(Maker(spec, bare(commune), 0))
    people: set[str] = set()
    while len(people) < wanted[ProducerKind.HOUSEHOLD_BUSINESS]:
        surname, given = rng.choice(d.SURNAMES), rng.choice(d.GIVEN_NAMES)
        if f"{surname} {given}" in people:
            continue
        people.add(f"{surname} {given}")
        district, commune = rng.choice(places)
        full = f"{surname} {rng.choice(d.MIDDLE_NAMES)} {given}"
        spec = d.ProducerSpec(
            _code(f"{surname}{given}"),
            f"Hộ kinh doanh {full}",
            ProducerKind.HOUSEHOLD_BUSINESS,
            district,
            commune,
            _village(rng, commune),
        )
        makers.append(Maker(spec, f"{surname} {given}", 0))
    return makers


def _pick_kind(rng: random.Random, maker: Maker, families: tuple[str, ...] = ()) -> d.KindSpec:
    """A kind the maker does not make yet: same family first, then any eligible kind."""
    is_firm = maker.spec.kind is ProducerKind.ENTERPRISE
    eligible = [
        k
        for k in d.KINDS
        if k not in maker.kinds
        and (is_firm or not k.enterprise_only)
        and (not families or k.family in families)
    ]
    # Half of the further products stay in the first product's family (a miến maker also
    # makes bún), the rest spread out, so no single kind swamps the sample.
    related = [k for k in eligible if maker.kinds and k.family == maker.kinds[0].family]
    pool = related if related and (families or rng.random() < 0.5) else eligible
    return rng.choices(pool, weights=[k.weight for k in pool])[0]


def generated_plans(
    rng: random.Random, makers: list[Maker], *, count: int, four_stars: int, traceable: int
) -> list[Plan]:
    """`count` products: one per maker, 3 more per firm, the rest spread over cooperatives.

    `four_stars` of them (from cooperatives and firms) get 4★, the others 3★; three 3★ ones
    are made non-listable (revoked, no image, proposed); `traceable` get a trace URL.
    """
    extra = {id(m): 3 if m.spec.code in d.ENTERPRISE_FAMILIES else 0 for m in makers}
    coops = [m for m in makers if m.spec.kind is ProducerKind.COOPERATIVE]
    left = count - len(makers) - sum(extra.values())
    doubles = 8  # a few cooperatives make three products, most of the others two
    for n, maker in enumerate(rng.sample(coops, left - doubles)):
        extra[id(maker)] = 2 if n < doubles else 1
    plans: list[Plan] = []
    for maker in makers:
        families = d.ENTERPRISE_FAMILIES.get(maker.spec.code, ())
        for _ in range(1 + extra[id(maker)]):
            kind = _pick_kind(rng, maker, families)
            maker.kinds.append(kind)
            plans.append(Plan.of(kind, maker))
        if maker.spec.kind is ProducerKind.COOPERATIVE_GROUP:
            name = f"Tổ hợp tác {maker.kinds[0].activity} {maker.brand}"
            maker.spec = replace(maker.spec, name=name)
    strong = [p for p in plans if p.maker.spec.kind in STRONG_KINDS]
    for plan in rng.sample(strong, four_stars):
        plan.stars = 4
    revoked, no_image, proposed = rng.sample([p for p in plans if p.stars == 3], 3)
    revoked.status = OcopStatus.REVOKED
    no_image.images = False
    proposed.status = OcopStatus.PROPOSED
    listed = [p for p in plans if p.stars == 3 and p not in (revoked, no_image, proposed)]
    for plan in [p for p in plans if p.stars == 4] + rng.sample(listed, traceable - four_stars):
        plan.traceable = True
    return plans
