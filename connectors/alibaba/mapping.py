"""Canonical OCOP product -> Alibaba.com (ICBU) listings, one per variant, with issues.

Alibaba.com is an English B2B marketplace: the `subject` is English (`name_en`, or the
Vietnamese name with diacritics folded to ASCII) and the Vietnamese name is kept in the
description and attributes. Prices are USD strings with 2 decimals at the account's rate.
The description is HTML (catalog text escaped); the client appends the photobank images to
it when it builds the `<itemSchema>` document. Attributes are sorted by name, the order the
client reads them back in.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from connectors.alibaba.photobank import image_key
from connectors.alibaba.rules import (
    CERTIFICATIONS,
    IMAGES_MAX,
    KEYWORDS_MAX,
    content_problems,
    price_problem,
)
from connectors.base import Listing, ListingIssue
from connectors.mapping_kit import listings_per_variant, product_issues
from sync.catalog import Product, Variant
from sync.pricing import marketplace_price_usd, stock_shown
from sync.settings import Account
from sync.text import ascii_fold, collapse_spaces

LANGUAGE = "ENGLISH"
DEFAULT_UNIT = "Piece/Pieces"
DEFAULT_LEAD_TIME_DAYS = 15
FALLBACK_KEYWORD = "OCOP Vietnam"
_UNITS_EN = {"g": "g", "kg": "kg", "ml": "ml", "l": "L", "piece": "pieces"}


class AlibabaMapping:
    """Maps a product to one ICBU listing per variant (keyed by the variant SKU)."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """The product's listings, with every issue Alibaba.com would reject or that is missing."""
        shared = _product_issues(product, today)
        return listings_per_variant(
            product, account, _map_variant, shared, IMAGES_MAX, "Alibaba.com shows"
        )


def _map_variant(
    product: Product,
    variant: Variant,
    account: Account,
    images: list[str],
    issues: list[ListingIssue],
) -> Listing:
    content = _content(product, variant, account, images)
    issues.extend(
        ListingIssue(problem.field, problem.message)
        for problem in content_problems(content, len(images))
    )
    price = "0.00"
    try:
        price = f"{marketplace_price_usd(variant.price, account.price):.2f}"
    except ValueError as exc:
        issues.append(ListingIssue("price", f"account {account.name}: {exc}"))
    else:
        problem = price_problem(price)
        if problem is not None:
            issues.append(ListingIssue("price", f"{problem.message} (VND {variant.price:,})"))
    return Listing(
        sku=variant.sku,
        product_sku=product.sku,
        content=content,
        price=price,
        stock=stock_shown(variant.stock, account.stock),
        images=images,
        issues=issues,
    )


def _content(
    product: Product, variant: Variant, account: Account, images: list[str]
) -> dict[str, Any]:
    # Key order matters only to readers: `subject` first, as on the marketplace form.
    return {
        "subject": _subject(product, variant),
        "category_id": account.category_for(product.ocop.group, product.ocop.product_set) or "",
        "language": LANGUAGE,
        "keywords": _keywords(product),
        "description": _description(product, variant),
        "attributes": _attributes(product, variant),
        "min_order_quantity": int(account.options.get("min_order_quantity", 1)),
        "unit": str(account.options.get("unit", DEFAULT_UNIT)),
        "lead_time_days": int(account.options.get("lead_time_days", DEFAULT_LEAD_TIME_DAYS)),
        "image_files": [image_key(url) for url in images],
    }


def _product_issues(product: Product, today: date) -> list[ListingIssue]:
    """Every marketplace's product issues, then Alibaba.com's own: English and keywords."""
    issues = product_issues(product, today)
    if not product.name_en:
        issues.append(
            ListingIssue(
                "name_en",
                "no English name: the subject uses the Vietnamese name without diacritics",
                "warning",
            )
        )
    if len(product.tags) > KEYWORDS_MAX:
        issues.append(
            ListingIssue(
                "keywords",
                f"{len(product.tags)} tags, Alibaba.com takes {KEYWORDS_MAX} keywords: "
                "only the first are sent",
                "warning",
            )
        )
    return issues


def _quantity_en(variant: Variant) -> str:
    quantity = variant.net_quantity
    return f"{quantity.value.normalize():f} {_UNITS_EN[quantity.unit]}"


def _subject(product: Product, variant: Variant) -> str:
    name = product.name_en or ascii_fold(product.name)
    return collapse_spaces(f"{name} {_quantity_en(variant)}")


def _keywords(product: Product) -> list[str]:
    seen: dict[str, str] = {}
    for candidate in [*(ascii_fold(tag) for tag in product.tags), FALLBACK_KEYWORD]:
        keyword = collapse_spaces(candidate)
        if keyword and keyword.lower() not in seen:
            seen[keyword.lower()] = keyword
    return list(seen.values())[:KEYWORDS_MAX]


def _origin(product: Product) -> str:
    address = product.address
    province = address.current_province or address.province
    return f"{address.commune}, {province}, Vietnam"


def _ocop_line(product: Product) -> str:
    line = (
        f"OCOP {product.ocop.stars}-star product (criteria {product.ocop.criteria_version.value})"
    )
    certificate = product.certificate
    if certificate is not None:
        line += (
            f", certificate {certificate.decision_no} of {certificate.decision_date.isoformat()}"
            f" by {certificate.issuer_name}, valid until {certificate.expires.isoformat()}"
        )
    return line + "."


def _description(product: Product, variant: Variant) -> str:
    paragraphs = [
        f"{product.name_en or ascii_fold(product.name)} ({product.name}), {_quantity_en(variant)}.",
        _ocop_line(product),
        f"Producer: {product.producer.name}. Origin: {product.address.as_printed}"
        f" (now {_origin(product)}).",
    ]
    if product.description:
        paragraphs.append(product.description)
    if product.ingredients:
        paragraphs.append(f"Ingredients: {product.ingredients}")
    if product.traceability:
        paragraphs.append(f"Traceability: {product.traceability.url}")
    return "".join(f"<p>{_html_text(paragraph)}</p>" for paragraph in paragraphs)


def _html_text(text: str) -> str:
    """Catalog text as HTML: escaped, line breaks kept."""
    return "<br/>".join(html.escape(line) for line in text.strip().split("\n"))


def _attributes(product: Product, variant: Variant) -> list[dict[str, str]]:
    pairs: list[tuple[str, str | None]] = [
        ("Vietnamese Name", product.name),
        ("Brand Name", product.producer.name),
        ("Place of Origin", _origin(product)),
        ("OCOP Rating", f"{product.ocop.stars} stars"),
        ("OCOP Certificate", product.certificate.decision_no if product.certificate else None),
        ("Net Content", _quantity_en(variant)),
        ("Packaging", variant.packaging or variant.label),
        ("Gross Weight", f"{variant.weight_g} g"),
        ("Shelf Life", f"{product.shelf_life_days} days" if product.shelf_life_days else None),
        ("Standards", ", ".join(product.standards) or None),
        ("Certification", ", ".join(s for s in product.standards if s in CERTIFICATIONS) or None),
        ("Geographical Indication", product.geographical_indication),
        ("GTIN", variant.gtin),
    ]
    present = sorted((name, value) for name, value in pairs if value)
    return [{"attribute_name": name, "attribute_value": value} for name, value in present]
