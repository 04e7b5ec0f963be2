"""Alibaba.com listing rules, one definition for the mapping (issues before a push) and the
sandbox (rejections), so both refuse the same listings.

Public facts: `subject` ≤ 128 characters, at most 3 `keywords`, wholesale price in USD with
2 decimals between 0.01 and 9,999,999.00, minimum order 1-99,999, a category, at least one
photobank image. The image maximum (6) and the non-empty description are ours.
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
