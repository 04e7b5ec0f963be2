"""Canonical OCOP product -> Lazada listings, one per variant, with issues.

Lazada Vietnam is a Vietnamese marketplace: the name and description stay Vietnamese. Each
variant becomes one Lazada product with one SKU whose SellerSku is our variant SKU, its
price in whole đồng and its package weight (kg) and dimensions (cm). The primary category
comes from the account's category map, its required attributes from the account option
`category_attributes` (category id -> attribute values), the brand from the option `brand`.
`content` keeps the source image URLs; the client swaps them for Lazada image URLs.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from connectors.base import Listing, ListingIssue
from connectors.lazada.rules import (
    IMAGES_MAX,
    NO_BRAND,
    content_problems,
    package_problems,
    price_problem,
    stock_problem,
)
from connectors.listing_text import ingredient_sentences, producer_sentence
from connectors.mapping_kit import kilograms, listings_per_variant, product_issues
from sync.catalog import Product, Variant
from sync.pricing import marketplace_price_vnd, stock_shown
from sync.settings import Account
from sync.text import collapse_spaces

DEFAULT_SIDE_CM = 10  # ours: a box edge when the account gives no package size
# The product attributes every category has; the rest come from the account's category map.
TEXT_ATTRIBUTES = ("name", "description", "short_description", "brand")
_UNITS = {"g": "g", "kg": "kg", "ml": "ml", "l": "lít", "piece": "cái"}


class LazadaMapping:
    """Maps a product to one Lazada listing per variant (keyed by the variant SKU)."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """The product's listings, with every issue Lazada would reject or that is missing."""
        shared = product_issues(product, today)
        return listings_per_variant(
            product, account, _map_variant, shared, IMAGES_MAX, "Lazada takes"
        )


def _map_variant(
    product: Product,
    variant: Variant,
    account: Account,
    images: list[str],
    issues: list[ListingIssue],
) -> Listing:
    content = _content(product, variant, account, images)
    attributes = {k: v for k, v in content.items() if k in TEXT_ATTRIBUTES}
    problems = content_problems(content["PrimaryCategory"], attributes, len(images))
    problems += package_problems(content)
    price = marketplace_price_vnd(variant.price, account.price)
    stock = stock_shown(variant.stock, account.stock)
    for problem in (price_problem(price), stock_problem(stock)):
        if problem is not None:
            problems.append(problem)
    issues.extend(ListingIssue(problem.field, problem.message) for problem in problems)
    return Listing(
        sku=variant.sku,
        product_sku=product.sku,
        content=content,
        price=price,
        stock=stock,
        images=images,
        issues=issues,
    )


def _content(
    product: Product, variant: Variant, account: Account, images: list[str]
) -> dict[str, Any]:
    # `name` first: it is what a seller recognises a listing by.
    category = account.category_for(product.ocop.group, product.ocop.product_set) or ""
    category_attributes = dict(account.options.get("category_attributes", {}).get(category, {}))
    return {
        "name": _name(product, variant),
        "description": _description(product, variant),
        "short_description": _short_description(product),
        "brand": str(account.options.get("brand", NO_BRAND)),
        "category_attributes": {str(k): str(v) for k, v in category_attributes.items()},
        "PrimaryCategory": category,
        "Images": images,
        **_package(variant, account),
    }


def _package(variant: Variant, account: Account) -> dict[str, str]:
    """Package weight in kg (from the variant's gross weight) and sides in cm (account)."""
    sides = account.options.get("package_cm", {})
    return {
        "package_weight": kilograms(variant.weight_g),
        "package_length": str(sides.get("length", DEFAULT_SIDE_CM)),
        "package_width": str(sides.get("width", DEFAULT_SIDE_CM)),
        "package_height": str(sides.get("height", DEFAULT_SIDE_CM)),
    }


def _quantity(variant: Variant) -> str:
    quantity = variant.net_quantity
    return f"{quantity.value.normalize():f} {_UNITS[quantity.unit]}"


def _name(product: Product, variant: Variant) -> str:
    return collapse_spaces(f"{product.name} {_quantity(variant)} - OCOP {product.ocop.stars} sao")


def _ocop_line(product: Product) -> str:
    criteria = product.ocop.criteria_version.value
    line = f"Sản phẩm OCOP {product.ocop.stars} sao (bộ tiêu chí {criteria})"
    certificate = product.certificate
    if certificate is not None:
        line += (
            f", quyết định {certificate.decision_no} ngày {certificate.decision_date:%d/%m/%Y}"
            f" của {certificate.issuer_name}, hiệu lực đến {certificate.expires:%d/%m/%Y}"
        )
    return line + "."


def _description(product: Product, variant: Variant) -> str:
    # Lazada takes HTML in the long description: every catalog text is escaped.
    paragraphs = [
        f"{product.name}, {_quantity(variant)}"
        + (f" ({variant.packaging or variant.label})" if variant.packaging or variant.label else "")
        + ".",
        _ocop_line(product),
        producer_sentence(product),
    ]
    if product.description:
        paragraphs.append(product.description)
    paragraphs += ingredient_sentences(product)
    if product.traceability:
        paragraphs.append(f"Truy xuất nguồn gốc: {product.traceability.url}")
    return "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)


def _short_description(product: Product) -> str:
    # Lazada's short description takes only <ul><li> lists.
    points = [f"OCOP {product.ocop.stars} sao", product.producer.name]
    points += product.standards
    if product.geographical_indication:
        points.append(product.geographical_indication)
    return "<ul>" + "".join(f"<li>{html.escape(point)}</li>" for point in points) + "</ul>"
