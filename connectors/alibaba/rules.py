"""Alibaba.com listing rules, one definition for the mapping (issues before a push) and the
sandbox (rejections), so both refuse the same listings.

Public facts: `subject` ≤ 128 characters, at most 3 `keywords`, wholesale price in USD with
2 decimals between 0.01 and 9,999,999.00, minimum order 1-99,999, a category, at least one
photobank image. The image maximum (6), the non-empty description, the lead-time bounds, the
price-unit codes other than 1 (Bag) and 4 (Pieces), and the certification options are ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SUBJECT_MAX = 128
KEYWORDS_MAX = 3
PRICE_MIN = Decimal("0.01")
PRICE_MAX = Decimal("9999999.00")
MOQ_MIN, MOQ_MAX = 1, 99_999
IMAGES_MIN, IMAGES_MAX = 1, 6

LEAD_TIME_MIN, LEAD_TIME_MAX = 1, 365  # days (ours)
# priceUnit options of the rendered schema: code -> name (1 and 4 observed, the rest ours).
PRICE_UNITS: dict[str, str] = {
    "1": "Bag/Bags",
    "4": "Piece/Pieces",
    "7": "Box/Boxes",
    "13": "Kilogram/Kilograms",
    "19": "Carton/Cartons",
    "31": "Bottle/Bottles",
}
# Options of the category attribute "Certification" (ours): standards outside these stay
# in the custom attributes only.
CERTIFICATIONS = ("GlobalGAP", "HACCP", "Halal", "ISO 22000", "Organic", "VietGAP")

_PRICE = re.compile(r"^\d{1,7}\.\d{2}$")


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field and a message in the marketplace's words."""

    field: str
    message: str


def content_problems(product: Mapping[str, Any], image_count: int) -> list[Problem]:
    """Every broken content rule of a product (mapping content or wire product alike)."""
    problems: list[Problem] = []
    subject = product.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        problems.append(Problem("subject", "subject is required"))
    elif len(subject) > SUBJECT_MAX:
        problems.append(
            Problem(
                "subject", f"subject must be at most {SUBJECT_MAX} characters, got {len(subject)}"
            )
        )
    keywords = product.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        problems.append(Problem("keywords", "keywords must be a list of non-empty strings"))
    elif len(keywords) > KEYWORDS_MAX:
        problems.append(
            Problem("keywords", f"at most {KEYWORDS_MAX} keywords are allowed, got {len(keywords)}")
        )
    category = product.get("category_id")
    if not isinstance(category, str) or not category.strip():
        problems.append(Problem("category_id", "category_id is required"))
    description = product.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append(Problem("description", "description is required"))
    moq = product.get("min_order_quantity")
    if not isinstance(moq, int) or isinstance(moq, bool) or not MOQ_MIN <= moq <= MOQ_MAX:
        problems.append(
            Problem(
                "min_order_quantity",
                f"min_order_quantity must be a whole number from {MOQ_MIN} to {MOQ_MAX:,}",
            )
        )
    unit = product.get("unit")
    if unit not in PRICE_UNITS.values():
        problems.append(
            Problem("unit", f"unit must be one of {', '.join(PRICE_UNITS.values())}, got {unit!r}")
        )
    lead = product.get("lead_time_days")
    if (
        not isinstance(lead, int)
        or isinstance(lead, bool)
        or not LEAD_TIME_MIN <= lead <= LEAD_TIME_MAX
    ):
        problems.append(
            Problem(
                "lead_time_days",
                f"lead_time_days must be a whole number from {LEAD_TIME_MIN} to {LEAD_TIME_MAX}",
            )
        )
    if not IMAGES_MIN <= image_count <= IMAGES_MAX:
        problems.append(
            Problem("images", f"a product needs {IMAGES_MIN} to {IMAGES_MAX} photobank images")
        )
    return problems


def price_problem(price: object) -> Problem | None:
    """The broken price rule, if any: a USD string with 2 decimals within the bounds."""
    if not isinstance(price, str) or not _PRICE.match(price):
        return Problem("price", f"price must be USD with 2 decimals (e.g. 1.77), got {price!r}")
    if not PRICE_MIN <= Decimal(price) <= PRICE_MAX:
        return Problem("price", f"price must be between {PRICE_MIN} and {PRICE_MAX:,} USD")
    return None


def stock_problem(stock: object) -> Problem | None:
    """The broken stock rule, if any: a whole number ≥ 0."""
    if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
        return Problem("stock", f"stock must be a whole number ≥ 0, got {stock!r}")
    return None
