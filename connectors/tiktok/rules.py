"""TikTok Shop listing rules (Vietnam, local sellers), one definition for the mapping
(issues before a push) and the sandbox (rejections), so both refuse the same listings.

From the Create Product reference (create-product-202309) and its error codes: title 25-255
characters for shops outside the US and UK, no Chinese, no HTML escapes, emoji or control
characters, no run of more than 9 equal characters; description HTML up to 10,000
characters with only <p> <img> <ul> <ol> <li> <br> <strong> <b> <i> <em> <u>; a leaf
category; 1-9 main images from Upload Product Image; seller_sku at most 50 characters; VN
price 1-180,000,000 VND; stock 0-999,999 per warehouse; package weight positive, in
KILOGRAM outside the US; package dimensions whole CENTIMETER, all three or none; product
attribute values at most 500 characters, no duplicated attribute ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.tiktok.api import LENGTH_UNIT, WEIGHT_UNIT

TITLE_MIN, TITLE_MAX = 25, 255
DESCRIPTION_MAX = 10_000
IMAGES_MIN, IMAGES_MAX = 1, 9
SELLER_SKU_MAX = 50
PRICE_MIN, PRICE_MAX = 1, 180_000_000
STOCK_MAX = 999_999
ATTRIBUTE_VALUE_MAX = 500
DESCRIPTION_TAGS = frozenset({"p", "img", "ul", "ol", "li", "br", "strong", "b", "i", "em", "u"})

_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ESCAPE = re.compile(r"&[a-zA-Z]+;|&#\d+;")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]")
_REPEAT = re.compile(r"(.)\1{9,}")
_TAG = re.compile(r"</?\s*([a-zA-Z0-9]+)")
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field and a message in the marketplace's words."""

    field: str
    message: str


def text_problem(field: str, value: str) -> Problem | None:
    """TikTok's formatting rule for titles and attribute values (codes 12052931/35)."""
    if _CHINESE.search(value):
        return Problem(field, f"Chinese characters are not supported in {field}")
    if _ESCAPE.search(value) or _CONTROL.search(value) or _EMOJI.search(value):
        return Problem(
            field,
            f"{field} cannot contain HTML escape characters, emojis or ASCII control characters",
        )
    if _REPEAT.search(value):
        return Problem(field, f"{field} cannot have more than 9 consecutive repeated characters")
    return None


def content_problems(product: Mapping[str, Any]) -> list[Problem]:
    """Every broken content rule of a product (mapping content or wire product alike)."""
    problems: list[Problem] = []
    title = product.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("title", "product name is empty"))
    elif not TITLE_MIN <= len(title) <= TITLE_MAX:
        problems.append(
            Problem(
                "title",
                f"the product name must have {TITLE_MIN} to {TITLE_MAX} characters, "
                f"got {len(title)}",
            )
        )
    elif (problem := text_problem("title", title)) is not None:
        problems.append(problem)
    problems += _description_problems(product.get("description"))
    category = product.get("category_id")
    if not isinstance(category, str) or not _DIGITS.match(category):
        problems.append(Problem("category_id", "Incorrect category format"))
    images = product.get("main_images")
    if not isinstance(images, list) or not IMAGES_MIN <= len(images) <= IMAGES_MAX:
        count = len(images) if isinstance(images, list) else 0
        problems.append(
            Problem(
                "main_images",
                f"a product needs {IMAGES_MIN} to {IMAGES_MAX} main images, got {count}",
            )
        )
    problems += _package_problems(product)
    problems += _attribute_problems(product.get("product_attributes") or [])
    return problems


def seller_sku_problem(seller_sku: object) -> Problem | None:
    """The seller SKU rule: non-empty, at most 50 characters."""
    if not isinstance(seller_sku, str) or not seller_sku or len(seller_sku) > SELLER_SKU_MAX:
        return Problem(
            "seller_sku", f"The seller SKU text length cannot exceed {SELLER_SKU_MAX} characters"
        )
    return None


def price_problem(amount: object) -> Problem | None:
    """The VN price rule: a whole number of VND from 1 to 180,000,000 (sent as a string)."""
    text = str(amount)
    if not _DIGITS.match(text) or not PRICE_MIN <= int(text) <= PRICE_MAX:
        return Problem(
            "price", f"The product price is invalid: VND {PRICE_MIN} to {PRICE_MAX:,}, got {text!r}"
        )
    return None


def stock_problem(quantity: object) -> Problem | None:
    """The inventory rule: a whole number from 0 to 999,999 per warehouse."""
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 0 <= quantity <= STOCK_MAX
    ):
        return Problem(
            "stock",
            f"The SKU inventory quantity for the warehouse must be within 0 to {STOCK_MAX:,}",
        )
    return None


def _description_problems(description: object) -> list[Problem]:
    if not isinstance(description, str) or not description.strip():
        return [Problem("description", "The product description is required")]
    if len(description) > DESCRIPTION_MAX:
        return [
            Problem(
                "description",
                f"The product description cannot exceed {DESCRIPTION_MAX:,} characters, "
                f"got {len(description):,}",
            )
        ]
    unsupported = sorted({tag.lower() for tag in _TAG.findall(description)} - DESCRIPTION_TAGS)
    if unsupported:
        return [
            Problem("description", f"The product description html tag not support: {unsupported}")
        ]
    if _CHINESE.search(description):
        return [Problem("description", "The product description has Chinese characters")]
    return []


def _package_problems(product: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    weight = product.get("package_weight")
    value = weight.get("value") if isinstance(weight, dict) else None
    try:
        positive = Decimal(str(value)) > 0
    except InvalidOperation:
        positive = False
    if not positive or not isinstance(weight, dict) or weight.get("unit") != WEIGHT_UNIT:
        problems.append(
            Problem(
                "package_weight",
                f"product package weight is invalid: a positive {WEIGHT_UNIT} value",
            )
        )
    dimensions = product.get("package_dimensions")
    if dimensions is not None:
        sides = (
            [dimensions.get(k) for k in ("length", "width", "height")]
            if isinstance(dimensions, dict)
            else []
        )
        if (
            len(sides) != 3
            or not all(isinstance(s, str) and _DIGITS.match(s) for s in sides)
            or dimensions.get("unit") != LENGTH_UNIT
        ):
            problems.append(
                Problem(
                    "package_dimensions",
                    f"product package size is invalid: whole {LENGTH_UNIT} length, width, height",
                )
            )
    return problems


def _attribute_problems(attributes: object) -> list[Problem]:
    if not isinstance(attributes, list):
        return [Problem("product_attributes", "product_attributes must be a list")]
    problems: list[Problem] = []
    ids = [a.get("id") for a in attributes if isinstance(a, dict)]
    if len(ids) != len(set(ids)) or len(ids) != len(attributes):
        problems.append(Problem("product_attributes", "Duplicate attribute id"))
    for attribute in attributes:
        if not isinstance(attribute, dict) or not _DIGITS.match(str(attribute.get("id", ""))):
            problems.append(
                Problem("product_attributes", "attribute name or attribute id is empty.")
            )
            continue
        for value in attribute.get("values") or [{}]:
            name = value.get("name") if isinstance(value, dict) else None
            if not isinstance(name, str) or not name:
                problems.append(Problem("product_attributes", "attribute value name is empty"))
            elif len(name) > ATTRIBUTE_VALUE_MAX:
                problems.append(
                    Problem(
                        "product_attributes",
                        f"attribute value name cannot exceed {ATTRIBUTE_VALUE_MAX} characters",
                    )
                )
            elif (problem := text_problem("product_attributes", name)) is not None:
                problems.append(problem)
    return problems
