"""Canonical OCOP product -> TikTok Shop listings, one product per variant, with issues.

Each variant becomes its own TikTok product with one SKU whose `seller_sku` is our variant
SKU: the engine keeps one price and one stock per listing, and a product per variant lets
each be audited, delisted and relisted alone. Titles stay Vietnamese (TikTok asks for the
market's language), padded with the OCOP rating and province to reach TikTok's 25-character
minimum. Every rule in connectors/tiktok/rules.py is checked here first, so a listing with
an error issue is never sent.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from connectors.base import Listing, ListingIssue
from connectors.listing_text import ingredient_sentences, producer_sentence, traceability_sentence
from connectors.mapping_kit import kilograms, listings_per_variant, product_issues
from connectors.tiktok.api import LENGTH_UNIT, WEIGHT_UNIT
from connectors.tiktok.images import image_key
from connectors.tiktok.rules import (
    IMAGES_MAX,
    STOCK_MAX,
    TITLE_MAX,
    content_problems,
    price_problem,
    seller_sku_problem,
)
from sync.catalog import Product, Variant
from sync.pricing import marketplace_price_vnd, stock_shown
from sync.settings import Account
from sync.text import collapse_spaces

# Our names for the facts an OCOP product can give as TikTok product attributes; the
# account maps each to its category's attribute id (options.attribute_ids), since TikTok's
# ids come from Get Attributes per category.
ATTRIBUTE_FACTS = ("brand", "origin", "net_content", "shelf_life", "ingredients", "ocop_rating")


class TikTokMapping:
    """Maps a product to one TikTok product per variant (keyed by the variant SKU)."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """The product's listings, with every issue TikTok Shop would reject or lacks."""
        shared = product_issues(product, today)
        return listings_per_variant(
            product, account, _map_variant, shared, IMAGES_MAX, "TikTok Shop takes"
        )


def _map_variant(
    product: Product,
    variant: Variant,
    account: Account,
    images: list[str],
    issues: list[ListingIssue],
) -> Listing:
    content = _content(product, variant, account, images)
    issues += [ListingIssue(p.field, p.message) for p in content_problems(content)]
    if (problem := seller_sku_problem(variant.sku)) is not None:
        issues.append(ListingIssue(problem.field, problem.message))
    price = marketplace_price_vnd(variant.price, account.price)
    if (problem := price_problem(price)) is not None:
        issues.append(ListingIssue("price", problem.message))
    stock = stock_shown(variant.stock, account.stock)
    if stock > STOCK_MAX:
        issues.append(
            ListingIssue(
                "stock", f"stock {stock:,} shown as TikTok's maximum {STOCK_MAX:,}", "warning"
            )
        )
        stock = STOCK_MAX
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
    content: dict[str, Any] = {
        "title": title(product, variant),
        "description": description_html(product, variant),
        "category_id": account.category_for(product.ocop.group, product.ocop.product_set) or "",
        "main_images": [image_key(url) for url in images],
        "package_weight": {"value": kilograms(variant.weight_g), "unit": WEIGHT_UNIT},
        "product_attributes": _attributes(product, variant, account),
    }
    dimensions = account.options.get("package_dimensions_cm")
    if dimensions:
        # Vietnam: all three sides or none (Create Product, package_dimensions).
        length, width, height = (str(int(side)) for side in dimensions)
        content["package_dimensions"] = {
            "length": length,
            "width": width,
            "height": height,
            "unit": LENGTH_UNIT,
        }
    return content


def title(product: Product, variant: Variant) -> str:
    """Name, quantity, OCOP rating and province, cut at a word within TikTok's maximum."""
    province = product.address.current_province or product.address.province
    text = collapse_spaces(
        f"{product.name} {_label(variant)} - Đặc sản OCOP {product.ocop.stars} sao {province}"
    )
    if len(text) <= TITLE_MAX:
        return text
    return text[:TITLE_MAX].rsplit(" ", 1)[0]


def description_html(product: Product, variant: Variant) -> str:
    """Paragraphs in the HTML subset TikTok accepts, the facts a buyer checks first."""
    paragraphs = [f"{product.name}, {_label(variant)}."]
    certificate = product.certificate
    ocop = f"Sản phẩm OCOP {product.ocop.stars} sao"
    if certificate is not None:
        ocop += (
            f", quyết định {certificate.decision_no} ngày {certificate.decision_date:%d/%m/%Y}"
            f" của {certificate.issuer_name}, hiệu lực đến {certificate.expires:%d/%m/%Y}"
        )
    paragraphs.append(ocop + ".")
    paragraphs.append(producer_sentence(product))
    trace = traceability_sentence(product)
    if trace:
        paragraphs.append(trace)
    if product.description:
        paragraphs.append(product.description)
    paragraphs += ingredient_sentences(product)
    return "".join(f"<p>{_plain(text)}</p>" for text in paragraphs)


def _plain(text: str) -> str:
    # TikTok refuses HTML escapes in descriptions (code 12052932), so the three characters
    # that would need one are written out or dropped instead of escaped.
    text = html.unescape(text)
    return collapse_spaces(text.replace("&", " và ").replace("<", " ").replace(">", " "))


def _attributes(product: Product, variant: Variant, account: Account) -> list[dict[str, Any]]:
    ids: dict[str, Any] = account.options.get("attribute_ids") or {}
    facts: dict[str, str | None] = {
        "brand": product.producer.name,
        "origin": product.address.current_province or product.address.province,
        "net_content": str(variant.net_quantity),
        "shelf_life": f"{product.shelf_life_days} ngày" if product.shelf_life_days else None,
        "ingredients": product.ingredients[:500] if product.ingredients else None,
        "ocop_rating": f"OCOP {product.ocop.stars} sao",
    }
    return [
        {"id": str(ids[fact]), "values": [{"name": _plain(value)}]}
        for fact in ATTRIBUTE_FACTS
        if fact in ids and (value := facts[fact])
    ]


def _label(variant: Variant) -> str:
    return variant.label or str(variant.net_quantity)
