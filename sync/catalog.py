"""The canonical OCOP catalog (pydantic v2): products, variants, certificates, producers.

All text is NFC-normalised on the way in; prices are int đồng.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    PrivateAttr,
    field_validator,
    model_validator,
)

from sync.gtin import validate_gtin
from sync.money import parse_vnd
from sync.ocop import (
    CERTIFICATE_VALIDITY_MONTHS,
    MIN_LISTABLE_STARS,
    CriteriaVersion,
    IssuerLevel,
    OcopStatus,
    ProducerKind,
    add_months,
    canonical_group,
    stars_for_score,
)
from sync.parsing import parse_date, parse_int, parse_stars
from sync.text import collapse_spaces, nfc, slugify


def _text(value: object) -> object:
    return collapse_spaces(nfc(value)) if isinstance(value, str) else value


def _long_text(value: object) -> object:
    # Descriptions keep their line breaks; only normalise and trim.
    return nfc(value).strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_text)]
LongText = Annotated[str, BeforeValidator(_long_text)]
Sku = Annotated[str, BeforeValidator(_text), Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
Vnd = Annotated[int, BeforeValidator(parse_vnd), Field(ge=1)]
WholeCount = Annotated[int, BeforeValidator(lambda v: parse_int(v, "count"))]
Day = Annotated[date, BeforeValidator(parse_date)]
Gtin = Annotated[str, AfterValidator(validate_gtin)]

_DECISION_NO = re.compile(r"^\d{1,6}/Q[ĐD]-[A-ZĐ0-9][A-ZĐ0-9.&-]*$")


class _Assignments:
    """How many times a field of any catalog model was assigned in this process: a product
    read from a file keeps the digest of its rows only while this has not moved."""

    count = 0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if not name.startswith("_"):
            _Assignments.count += 1


class Ocop(_Model):
    """The OCOP rating of a product."""

    criteria_version: CriteriaVersion = CriteriaVersion.QD148_2023
    group: Text
    product_set: Text | None = None
    stars: Annotated[int, BeforeValidator(parse_stars), Field(ge=1, le=5)]
    score: Annotated[float, Field(ge=0, le=100)] | None = None
    status: OcopStatus = OcopStatus.CERTIFIED

    @model_validator(mode="after")
    def _check_group_and_score(self) -> Ocop:
        group = canonical_group(self.criteria_version, self.group)
        if group != self.group:
            object.__setattr__(self, "group", group)
        if self.score is not None and stars_for_score(self.score) != self.stars:
            raise ValueError(
                f"score {self.score:g} earns {stars_for_score(self.score)}★, not {self.stars}★"
            )
        return self


class Certificate(_Model):
    """The decision that certified the rating; valid 36 months from its date."""

    decision_no: Text
    decision_date: Day
    issuer_level: IssuerLevel
    issuer_name: Text
    valid_until: Day | None = None

    @field_validator("decision_no")
    @classmethod
    def _decision_no_shape(cls, value: str) -> str:
        if not _DECISION_NO.match(value):
            raise ValueError(f"decision number {value!r} should look like 2166/QĐ-UBND")
        return value

    @model_validator(mode="after")
    def _default_validity(self) -> Certificate:
        if self.valid_until is None:
            until = add_months(self.decision_date, CERTIFICATE_VALIDITY_MONTHS)
            object.__setattr__(self, "valid_until", until)
        elif self.valid_until < self.decision_date:
            raise ValueError("valid_until is before the decision date")
        return self

    @property
    def expires(self) -> date:
        """Last day the certificate is valid (decision date + 36 months by default)."""
        assert self.valid_until is not None  # set by the validator
        return self.valid_until


class Producer(_Model):
    """The OCOP subject (chủ thể) that makes the product."""

    name: Annotated[Text, Field(min_length=1, max_length=255)]
    kind: ProducerKind
    tax_id: Annotated[Text, Field(pattern=r"^\d{10}(-\d{3})?$")] | None = None
    phone: Annotated[Text, Field(pattern=r"^(\+84|0)\d{9,10}$")] | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _compact_phone(cls, value: object) -> object:
        return re.sub(r"[\s.()-]", "", value) if isinstance(value, str) else value


class Address(_Model):
    """Address as printed on the certificate, plus the current commune and province."""

    as_printed: Text
    commune: Text
    district: Text | None = None
    province: Text
    current_province: Text | None = None  # set where the 2025 merger changed the province


class Quantity(_Model):
    """Net quantity of one package."""

    value: Annotated[Decimal, Field(gt=0)]
    unit: Literal["g", "kg", "ml", "l", "piece"]

    def __str__(self) -> str:
        return f"{self.value.normalize():f} {self.unit}"


class Variant(_Model):
    """One sellable unit (a package size): its own SKU, price and stock."""

    sku: Sku
    label: Text | None = None
    net_quantity: Quantity
    packaging: Text | None = None
    price: Vnd
    stock: Annotated[WholeCount, Field(ge=0)]
    weight_g: Annotated[WholeCount, Field(ge=1)]
    gtin: Gtin | None = None


class Traceability(_Model):
    """Where a buyer can trace the product (URL or QR target) and who runs it."""

    url: HttpUrl
    provider: Text | None = None


class Image(_Model):
    """A product image; exactly one is primary."""

    url: HttpUrl
    primary: bool = False


class Listability(BaseModel):
    """Whether a product may be listed on a date, and why not."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    reason: str | None = None


# The answer for nearly every product of a run: one shared (frozen) instance instead of a
# new model per product per run.
LISTABLE = Listability(ok=True)


class Product(_Model):
    """A certified (or proposed) OCOP product with its variants.

    A product built by a catalog reader remembers the digest of the file rows it was built
    from (`read_from`), so that a sync can tell it unchanged without serialising it. Any
    assignment to a catalog model's field afterwards (a price, a stock, a certificate date)
    makes every such product forget it (`source_digest` is then None), so a changed product
    is never taken for its rows. Change a product by assignment or by building another one:
    a list changed in place (`variants.append`) is not seen.
    """

    sku: Sku
    name: Annotated[Text, Field(min_length=1, max_length=255)]
    name_en: Annotated[Text, Field(max_length=255)] | None = None
    description: LongText | None = None
    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] | None = None
    ocop: Ocop
    certificate: Certificate | None = None
    producer: Producer
    address: Address
    variants: Annotated[list[Variant], Field(min_length=1)]
    shelf_life_days: Annotated[int, Field(ge=1)] | None = None
    ingredients: LongText | None = None
    standards: list[Text] = Field(default_factory=list)
    geographical_indication: Text | None = None
    traceability: Traceability | None = None
    images: list[Image] = Field(default_factory=list)
    tags: list[Text] = Field(default_factory=list)
    # (digest of the rows read, `_Assignments.count` then): see `source_digest`
    _source: tuple[bytes, int] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _derive_and_check(self) -> Product:
        if self.slug is None:
            object.__setattr__(self, "slug", slugify(self.name) or slugify(self.sku))
        if self.images and sum(image.primary for image in self.images) == 0:
            # Not an assignment of a model being changed: the product is being built.
            object.__setattr__(self.images[0], "primary", True)
        if sum(image.primary for image in self.images) > 1:
            raise ValueError("more than one image is marked primary")
        if self.ocop.status is OcopStatus.CERTIFIED and self.certificate is None:
            raise ValueError("a certified product needs its certificate")
        seen: set[str] = set()
        for variant in self.variants:
            if variant.sku in seen:
                raise ValueError(f"variant SKU {variant.sku} appears twice in product {self.sku}")
            seen.add(variant.sku)
        return self

    def __eq__(self, other: object) -> bool:
        # Two products are equal by their fields, whatever they remember of the rows they
        # were read from (pydantic would compare that too).
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def read_from(self, digest: bytes) -> None:
        """Remember the digest of the file rows this product was just built from."""
        # Into pydantic's dict directly: its __setattr__ for a private name costs ~1 µs.
        private = self.__pydantic_private__
        assert private is not None  # pydantic makes it for every model with a private attr
        private["_source"] = (digest, _Assignments.count)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (see BaseModel.model_copy); one with fields updated forgets the rows."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._source = None
        return copy

    def source_digest(self) -> bytes | None:
        """The digest of the rows this product was read from; None if it was not read from
        rows, or if any catalog model had a field assigned since (it may have changed)."""
        # Straight from pydantic's dict: `self._source` goes through its slow __getattr__.
        private = self.__pydantic_private__
        source = private.get("_source") if private else None
        if source is None or source[1] != _Assignments.count:
            return None
        return source[0]

    @property
    def primary_image(self) -> Image | None:
        """The primary image, if the product has any."""
        return next((image for image in self.images if image.primary), None)

    def listability(self, on: date) -> Listability:
        """May this product be listed on `on`? Certified, ≥3★, certificate valid, an image."""
        if self.ocop.status is not OcopStatus.CERTIFIED:
            return Listability(ok=False, reason=f"OCOP status is {self.ocop.status.value}")
        if self.ocop.stars < MIN_LISTABLE_STARS:
            return Listability(ok=False, reason=f"{self.ocop.stars}★ is below 3★ (not certified)")
        if self.certificate is None:  # pragma: no cover - the validator forbids it
            return Listability(ok=False, reason="no certificate")
        if self.certificate.expires < on:
            return Listability(
                ok=False, reason=f"certificate expired on {self.certificate.expires.isoformat()}"
            )
        if not self.images:
            return Listability(ok=False, reason="no product image")
        return LISTABLE


class Catalog(_Model):
    """A whole catalog: products with unique product and variant SKUs and unique slugs."""

    products: list[Product] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Catalog:
        # Owners are tracked by product position, not SKU: comparing SKUs let two products
        # with the same SKU through. A variant may reuse its own product's SKU (dict.fromkeys).
        owners: dict[str, int] = {}
        for index, product in enumerate(self.products):
            for sku in dict.fromkeys((product.sku, *(v.sku for v in product.variants))):
                if sku in owners:
                    owner = self.products[owners[sku]].sku
                    raise ValueError(f"SKU {sku} is used by {owner} and {product.sku}")
                owners[sku] = index
        slugs: set[str] = set()
        for product in self.products:
            # Deterministic de-duplication: a colliding slug takes the product SKU as suffix,
            # so it does not depend on catalog order beyond which product came first.
            assert product.slug is not None
            if product.slug in slugs:
                object.__setattr__(product, "slug", f"{product.slug}-{slugify(product.sku)}")
            slugs.add(product.slug)
        return self

    def __iter__(self) -> Iterator[Product]:  # type: ignore[override]
        return iter(self.products)

    def __len__(self) -> int:
        return len(self.products)

    def variants(self) -> Iterator[tuple[Product, Variant]]:
        """Every (product, variant) pair in catalog order."""
        for product in self.products:
            for variant in product.variants:
                yield product, variant

    def by_sku(self) -> dict[str, Product]:
        """Products keyed by product SKU."""
        return {product.sku: product for product in self.products}

    def stars_histogram(self) -> dict[str, int]:
        """Number of products per star rating, keyed '1'..'5' (only ratings present)."""
        counts: dict[str, int] = {}
        for product in self.products:
            key = str(product.ocop.stars)
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: kv[0], reverse=True))
