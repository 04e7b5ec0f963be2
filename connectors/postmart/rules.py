"""Postmart listing rules: one validator that the mapping (as ListingIssues) and the sandbox
(as 400 INVALID_PRODUCT answers) both run, so the two can never disagree.

The limits are our partner-API contract (docs/marketplaces/postmart.md), not published
Postmart figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sync.gtin import validate_gtin

NAME_MAX = 150
SHORT_DESCRIPTION_MAX = 500
DESCRIPTION_MAX = 20_000
IMAGES_MIN, IMAGES_MAX = 1, 10
PRICE_MIN, PRICE_MAX = 1_000, 1_000_000_000  # VND
STOCK_MAX = 1_000_000
BATCH_MAX = 50
PRODUCER_TYPES = ("enterprise", "cooperative", "cooperative_group", "household_business")

# Keys of `Listing.content`, in the order the mapping writes them ("name" first: it is the
# title). The client rebuilds `RemoteListing.content` from exactly these keys.
CONTENT_FIELDS = (
    "name",
    "slug",
    "category_id",
    "short_description",
    "description",
    "images",
    "weight_g",
    "gtin",
    "origin",
    "producer",
    "ocop",
    "attributes",
    "tags",
)
# A create or full-update body: the content plus the seller SKU, price and stock.
PAYLOAD_FIELDS = frozenset({"seller_sku", *CONTENT_FIELDS, "price", "stock"})
OPTIONAL_FIELDS = frozenset({"gtin", "ocop", "attributes", "tags"})

_SKU = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Problem = tuple[str, str]  # (field, message)


def _text(field: str, value: object, limit: int) -> list[Problem]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [(field, "is required")]
    if not isinstance(value, str):
        return [(field, "must be a string")]
    if len(value) > limit:
        return [(field, f"must be at most {limit} characters (got {len(value)})")]
    return []


def check_price(value: object) -> list[Problem]:
    """Problems with a price: a whole number of đồng between 1,000 and 1,000,000,000."""
    if not isinstance(value, int) or isinstance(value, bool):
        return [("price", "must be a whole number of VND")]
    if not PRICE_MIN <= value <= PRICE_MAX:
        return [("price", f"must be between {PRICE_MIN:,} and {PRICE_MAX:,} VND (got {value:,})")]
    return []


def check_stock(value: object) -> list[Problem]:
    """Problems with a stock figure: a whole number from 0 to 1,000,000."""
    if not isinstance(value, int) or isinstance(value, bool):
        return [("stock", "must be a whole number")]
    if not 0 <= value <= STOCK_MAX:
        return [("stock", f"must be between 0 and {STOCK_MAX:,} (got {value:,})")]
    return []


def _sku(value: object) -> list[Problem]:
    if isinstance(value, str) and _SKU.match(value):
        return []
    return [("seller_sku", "must be 1-64 letters, digits, '.', '_' or '-'")]


def _slug(value: object) -> list[Problem]:
    if isinstance(value, str) and _SLUG.match(value) and len(value) <= 200:
        return []
    return [("slug", "must be lowercase ASCII words joined by '-', at most 200 characters")]


def _images(value: object) -> list[Problem]:
    if not isinstance(value, list) or not value:
        return [("images", f"at least {IMAGES_MIN} image is required")]
    problems: list[Problem] = []
    if len(value) > IMAGES_MAX:
        problems.append(("images", f"at most {IMAGES_MAX} images (got {len(value)})"))
    for i, url in enumerate(value):
        if not isinstance(url, str) or not url.startswith("https://") or len(url) <= 8:
            problems.append((f"images[{i}]", "must be an https:// URL"))
    return problems


def _weight(value: object) -> list[Problem]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return []
    return [("weight_g", "must be a whole number of grams, at least 1")]


def _gtin(value: object) -> list[Problem]:
    if value is None:
        return []
    try:
        validate_gtin(str(value))
    except ValueError as exc:
        return [("gtin", str(exc))]
    return []


def _origin(value: object) -> list[Problem]:
    if not isinstance(value, Mapping):
        return [("origin", "is required (province, commune, address)")]
    return _text("origin.province", value.get("province"), 255) + _text(
        "origin.address", value.get("address"), 500
    )


def _producer(value: object) -> list[Problem]:
    if not isinstance(value, Mapping):
        return [("producer", "is required (name, type)")]
    problems = _text("producer.name", value.get("name"), 255)
    if value.get("type") not in PRODUCER_TYPES:
        problems.append(("producer.type", f"must be one of {', '.join(PRODUCER_TYPES)}"))
    return problems


def _ocop(value: object, today: date) -> list[Problem]:
    if value is None:
        return []  # not every Postmart product is OCOP-rated
    if not isinstance(value, Mapping):
        return [("ocop", "must be an object or null")]
    problems: list[Problem] = []
    stars = value.get("stars")
    if not (isinstance(stars, int) and not isinstance(stars, bool) and 3 <= stars <= 5):
        problems.append(("ocop.stars", "must be 3, 4 or 5 (only 3★+ products are certified)"))
    for key in ("group", "certificate_no", "issuer"):
        problems += _text(f"ocop.{key}", value.get(key), 255)
    try:
        valid_until = date.fromisoformat(str(value.get("valid_until")))
    except ValueError:
        return [*problems, ("ocop.valid_until", "must be a date (YYYY-MM-DD)")]
    if valid_until < today:
        problems.append(("ocop.valid_until", f"certificate expired on {valid_until.isoformat()}"))
    return problems


def _object(field: str) -> Callable[[object], list[Problem]]:
    def check(value: object) -> list[Problem]:
        return [] if value is None or isinstance(value, Mapping) else [(field, "must be an object")]

    return check


def _strings(value: object) -> list[Problem]:
    if value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return []
    return [("tags", "must be a list of strings")]


def check_product(body: Mapping[str, Any], today: date) -> list[Problem]:
    """Every rule a create or full-update body breaks (empty list: Postmart accepts it)."""
    checks: dict[str, Callable[[Any], list[Problem]]] = {
        "seller_sku": _sku,
        "name": lambda v: _text("name", v, NAME_MAX),
        "slug": _slug,
        "category_id": lambda v: _text("category_id", v, 64),
        "short_description": lambda v: _text("short_description", v, SHORT_DESCRIPTION_MAX),
        "description": lambda v: _text("description", v, DESCRIPTION_MAX),
        "images": _images,
        "weight_g": _weight,
        "gtin": _gtin,
        "origin": _origin,
        "producer": _producer,
        "ocop": lambda v: _ocop(v, today),
        "attributes": _object("attributes"),
        "tags": _strings,
        "price": check_price,
        "stock": check_stock,
    }
    problems: list[Problem] = [(k, "unknown field") for k in sorted(set(body) - PAYLOAD_FIELDS)]
    for key, check in checks.items():
        if key in body:
            problems += check(body[key])
        elif key not in OPTIONAL_FIELDS:
            problems.append((key, "is required"))
    return problems


def describe(problems: list[Problem]) -> str:
    """One line for an error message: 'name: must be …; images: …'."""
    return "; ".join(f"{field}: {message}" for field, message in problems)
