"""Voso listing rules of our partner-API contract, in one place.

The mapping reports a broken rule as a `ListingIssue` before anything is sent, and the
sandbox answers the same broken rule with HTTP 400 — both from these checks, so the two can
never disagree. Messages are the marketplace's own words (Vietnamese), as a seller sees them
in the Voso portal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TITLE_MIN = 10
TITLE_MAX = 120
DESCRIPTION_MAX = 5_000
IMAGES_MIN = 1
IMAGES_MAX = 9
PRICE_MIN = 1_000
PRICE_MAX = 500_000_000
PRICE_STEP = 100
STOCK_MAX = 999_999
SLUG_MAX = 150
BATCH_MAX = 50  # items per batch price/stock call
PAGE_SIZE_MAX = 100  # items per page of the list endpoint

# Everything a listing carries besides sku, price, stock and status; the client reads exactly
# these back so that an unchanged listing hashes the same locally and remotely.
CONTENT_FIELDS = ("name", "slug", "description", "category_id", "images", "weight_g", "attributes")

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ATTRIBUTE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Violation:
    """One broken rule: the payload field and the marketplace's message."""

    field: str
    message: str


def _is_int(value: object) -> bool:
    # JSON true/false are ints to Python; the marketplace does not accept them as numbers.
    return isinstance(value, int) and not isinstance(value, bool)


def _length(text: str) -> int:
    # Counted in NFC code points, as a seller counts letters: "ệ" is one character.
    return len(unicodedata.normalize("NFC", text))


def check_price(price: object) -> list[Violation]:
    """Price in đồng: an integer from 1.000 to 500.000.000, a multiple of 100."""
    if not _is_int(price):
        return [Violation("price", "Giá bán phải là số nguyên (đồng)")]
    assert isinstance(price, int)
    if not PRICE_MIN <= price <= PRICE_MAX:
        return [Violation("price", "Giá bán phải từ 1.000 đến 500.000.000 đồng")]
    if price % PRICE_STEP:
        return [Violation("price", "Giá bán phải là bội số của 100 đồng")]
    return []


def check_stock(stock: object) -> list[Violation]:
    """Stock: an integer from 0 to 999.999."""
    if not _is_int(stock) or not 0 <= stock <= STOCK_MAX:  # type: ignore[operator]
        return [Violation("stock", "Tồn kho phải là số nguyên từ 0 đến 999.999")]
    return []


def _check_name(name: object) -> list[Violation]:
    if not isinstance(name, str) or not name.strip():
        return [Violation("name", "Tên sản phẩm là bắt buộc")]
    if _length(name) < TITLE_MIN:
        return [Violation("name", f"Tên sản phẩm phải có ít nhất {TITLE_MIN} ký tự")]
    if _length(name) > TITLE_MAX:
        return [Violation("name", f"Tên sản phẩm vượt quá {TITLE_MAX} ký tự")]
    return []


def _check_description(description: object) -> list[Violation]:
    if not isinstance(description, str) or not description.strip():
        return [Violation("description", "Mô tả sản phẩm là bắt buộc")]
    if _length(description) > DESCRIPTION_MAX:
        return [Violation("description", "Mô tả sản phẩm vượt quá 5.000 ký tự")]
    return []


def _check_images(images: object) -> list[Violation]:
    if not isinstance(images, list) or len(images) < IMAGES_MIN:
        return [Violation("images", "Sản phẩm cần ít nhất 1 ảnh")]
    if len(images) > IMAGES_MAX:
        return [Violation("images", f"Tối đa {IMAGES_MAX} ảnh cho mỗi sản phẩm")]
    return [
        Violation("images", f"Ảnh phải là đường dẫn https: {str(url)[:200]}")
        for url in images
        if not isinstance(url, str) or not url.startswith("https://") or len(url) <= 8
    ]


def _check_attributes(attributes: object) -> list[Violation]:
    if not isinstance(attributes, dict):
        return [Violation("attributes", "Thuộc tính sản phẩm phải là một đối tượng")]
    found = []
    for code, value in attributes.items():
        if not _ATTRIBUTE_CODE.match(str(code)) or not (isinstance(value, str) or _is_int(value)):
            found.append(Violation("attributes", f"Thuộc tính không hợp lệ: {str(code)[:40]}"))
    stars = attributes.get("ocop_stars")
    if stars is not None:
        if not _is_int(stars) or not 1 <= stars <= 5:
            found.append(Violation("attributes.ocop_stars", "Số sao OCOP phải từ 1 đến 5"))
        certificate = attributes.get("ocop_certificate_no")
        if not isinstance(certificate, str) or not certificate.strip():
            found.append(
                Violation(
                    "attributes.ocop_certificate_no",
                    "Sản phẩm OCOP cần số quyết định công nhận",
                )
            )
    return found


def check_content(content: Mapping[str, Any]) -> list[Violation]:
    """Every content rule (title, description, category, images, weight, slug, OCOP)."""
    found = [
        *_check_name(content.get("name")),
        *_check_description(content.get("description")),
        *_check_images(content.get("images")),
    ]
    category = content.get("category_id")
    if not isinstance(category, str) or not category.strip():
        found.append(Violation("category_id", "Danh mục sản phẩm là bắt buộc"))
    weight = content.get("weight_g")
    if not _is_int(weight) or weight < 1:  # type: ignore[operator]
        found.append(Violation("weight_g", "Khối lượng (gram) phải là số nguyên dương"))
    slug = content.get("slug")
    if not isinstance(slug, str) or len(slug) > SLUG_MAX or not _SLUG.match(slug):
        found.append(
            Violation("slug", "Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang")
        )
    found.extend(_check_attributes(content.get("attributes", {})))
    return found
