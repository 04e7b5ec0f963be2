"""Lazada listing rules, one definition for the mapping (issues before a push) and the
sandbox (rejections), so both refuse the same listings.

Public facts (Lazada's CreateProduct/UpdateProduct field pages and its image and inventory
guides): a primary category; a `brand` ("No Brand" exists in every country); at most 8
product images, which must be Lazada image URLs; `description` at most 25,000 characters;
package weight (kg) and dimensions (cm) on every SKU; quantity never negative. Ours where
the API pages give no figure: `name` at most 255 characters, at least 1 image, price a whole
number of đồng from 1,000 to 1,000,000,000, stock at most 999,999, package weight
0.001-300 kg, each dimension 0.01-300 cm.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

NAME_MAX = 255
DESCRIPTION_MAX = 25_000
IMAGES_MIN, IMAGES_MAX = 1, 8
PRICE_MIN, PRICE_MAX = 1_000, 1_000_000_000
STOCK_MAX = 999_999
WEIGHT_KG_MIN, WEIGHT_KG_MAX = Decimal("0.001"), Decimal("300")
SIDE_CM_MIN, SIDE_CM_MAX = Decimal("0.01"), Decimal("300")
PACKAGE_FIELDS = ("package_weight", "package_length", "package_width", "package_height")
NO_BRAND = "No Brand"


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field and a message in the marketplace's words."""

    field: str
    message: str


def _length(text: str) -> int:
    # Counted in NFC code points, as a seller counts letters: "ệ" is one character.
    return len(unicodedata.normalize("NFC", text))


def _text_problems(attributes: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    name = attributes.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("name", "name is required"))
    elif _length(name) > NAME_MAX:
        problems.append(
            Problem("name", f"name must be at most {NAME_MAX} characters, got {_length(name)}")
        )
    description = attributes.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append(Problem("description", "description is required"))
    elif _length(description) > DESCRIPTION_MAX:
        problems.append(
            Problem("description", f"description must be at most {DESCRIPTION_MAX:,} characters")
        )
    brand = attributes.get("brand")
    if not isinstance(brand, str) or not brand.strip():
        problems.append(Problem("brand", f"brand is required (use {NO_BRAND!r} when none)"))
    return problems


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def package_problems(sku: Mapping[str, Any]) -> list[Problem]:
    """Broken package rules of one SKU: weight in kg and the three sides in cm."""
    problems: list[Problem] = []
    for name in PACKAGE_FIELDS:
        value = _decimal(sku.get(name))
        low, high = (
            (WEIGHT_KG_MIN, WEIGHT_KG_MAX)
            if name == "package_weight"
            else (SIDE_CM_MIN, SIDE_CM_MAX)
        )
        if value is None or not low <= value <= high:
            unit = "kg" if name == "package_weight" else "cm"
            problems.append(
                Problem(name, f"{name} must be {low}-{high} {unit}, got {sku.get(name)!r}")
            )
    return problems


def content_problems(
    category: object, attributes: Mapping[str, Any], image_count: int
) -> list[Problem]:
    """Every broken product-level rule (mapping content or wire product alike)."""
    problems: list[Problem] = []
    if not isinstance(category, str) or not category.strip():
        problems.append(Problem("PrimaryCategory", "PrimaryCategory is required"))
    problems += _text_problems(attributes)
    if not IMAGES_MIN <= image_count <= IMAGES_MAX:
        problems.append(Problem("Images", f"a product needs {IMAGES_MIN} to {IMAGES_MAX} images"))
    return problems


def price_problem(price: object) -> Problem | None:
    """The broken price rule, if any: whole đồng within the bounds."""
    if not isinstance(price, int) or isinstance(price, bool):
        return Problem("price", f"price must be a whole number of đồng, got {price!r}")
    if not PRICE_MIN <= price <= PRICE_MAX:
        return Problem("price", f"price must be {PRICE_MIN:,}-{PRICE_MAX:,} đồng, got {price:,}")
    return None


def stock_problem(stock: object) -> Problem | None:
    """The broken quantity rule, if any: a whole number from 0 to the maximum."""
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= STOCK_MAX:
        return Problem(
            "quantity", f"quantity must be a whole number 0-{STOCK_MAX:,}, got {stock!r}"
        )
    return None
