"""Canonical OCOP product -> Voso listings: one listing per variant, keyed by the variant SKU.

Titles keep their Vietnamese diacritics (buyers search with them); the slug is ASCII with
đ -> d. The OCOP rating and certificate travel as listing attributes because Voso promotes
OCOP products. Every rule the marketplace enforces is checked here first (connectors/voso/
rules.py), so a listing with an error issue is never sent.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from connectors.base import Listing, ListingIssue
from connectors.listing_text import (
    ingredient_sentences,
    ocop_sentence,
    origin_sentence,
    traceability_sentence,
)
from connectors.mapping_kit import image_urls
from connectors.voso.rules import (
    IMAGES_MAX,
    SLUG_MAX,
    STOCK_MAX,
    check_content,
    check_price,
)
from sync.catalog import Product, Variant
from sync.ocop import OcopStatus
from sync.pricing import marketplace_price_vnd, stock_shown
from sync.settings import Account
from sync.text import ascii_fold, slugify

# Warn this long before a certificate runs out, so a renewal can be filed in time.
EXPIRY_WARNING = timedelta(days=30)


def _vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def variant_label(variant: Variant) -> str:
    """What tells variants apart in a title: the label, or the net quantity."""
    return variant.label or str(variant.net_quantity)


def listing_title(product: Product, variant: Variant) -> str:
    """'<name> - <variant> (OCOP n sao)'; the star claim only for a certified rating."""
    title = f"{product.name} - {variant_label(variant)}"
    certified = product.ocop.status is OcopStatus.CERTIFIED and product.certificate
    if certified and "ocop" not in ascii_fold(product.name).lower():
        title += f" (OCOP {product.ocop.stars} sao)"
    return title


def listing_description(product: Product, variant: Variant) -> str:
    """The catalog description followed by the OCOP, producer and origin facts buyers ask for.

    Empty when the catalog has no description: Voso requires one, and a generated text alone
    would hide that the product was never described.
    """
    if not product.description:
        return ""
    lines = [product.description, ""]
    ocop = ocop_sentence(product)
    if ocop:
        lines.append(ocop)
    lines.append(f"Chủ thể sản xuất: {product.producer.name}.")
    # Since 1 Jul 2025 provinces merged: keep the printed address and say where it is now.
    lines.append(origin_sentence(product.address))
    lines.append(f"Quy cách: {variant_label(variant)}, khối lượng tịnh {variant.net_quantity}.")
    lines += ingredient_sentences(product)
    if product.standards:
        lines.append(f"Tiêu chuẩn: {', '.join(product.standards)}.")
    trace = traceability_sentence(product)
    if trace:
        lines.append(trace)
    return "\n".join(lines)


def listing_attributes(product: Product, variant: Variant) -> dict[str, str | int]:
    """Listing attributes: OCOP rating and certificate, producer, origin, package facts."""
    attributes: dict[str, str | int] = {}
    certificate = product.certificate
    if certificate is not None and product.ocop.status is OcopStatus.CERTIFIED:
        attributes.update(
            ocop_stars=product.ocop.stars,
            ocop_certificate_no=certificate.decision_no,
            ocop_certificate_date=certificate.decision_date.isoformat(),
            ocop_valid_until=certificate.expires.isoformat(),
        )
    address = product.address
    attributes.update(
        ocop_group=product.ocop.group,
        producer=product.producer.name,
        origin=f"{address.commune}, {address.current_province or address.province}",
        net_quantity=str(variant.net_quantity),
    )
    optional = {
        "packaging": variant.packaging,
        "gtin": variant.gtin,
        "shelf_life_days": product.shelf_life_days,
        "geographical_indication": product.geographical_indication,
    }
    attributes.update({key: value for key, value in optional.items() if value is not None})
    return attributes


def _images(product: Product, issues: list[ListingIssue]) -> list[str]:
    # Primary first: Voso shows the first image as the listing's cover.
    urls = image_urls(product)
    if len(urls) > IMAGES_MAX:
        issues.append(
            ListingIssue(
                "images",
                f"only the first {IMAGES_MAX} of {len(urls)} images are sent (Voso allows "
                f"{IMAGES_MAX})",
                "warning",
            )
        )
    return urls[:IMAGES_MAX]


def _certificate_issues(product: Product, today: date) -> list[ListingIssue]:
    certificate = product.certificate
    if certificate is None or product.ocop.status is not OcopStatus.CERTIFIED:
        return []
    if certificate.expires < today:
        # The listing would claim a rating that no longer holds.
        return [
            ListingIssue(
                "attributes.ocop_valid_until",
                f"Giấy chứng nhận OCOP đã hết hạn ngày {_vn_date(certificate.expires)}",
            )
        ]
    if certificate.expires - today <= EXPIRY_WARNING:
        return [
            ListingIssue(
                "attributes.ocop_valid_until",
                f"OCOP certificate {certificate.decision_no} expires on "
                f"{certificate.expires.isoformat()}: renew it or the listing comes down",
                "warning",
            )
        ]
    return []


class VosoMapping:
    """The Voso mapping (see module docstring)."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """One listing per variant, with every issue Voso would reject it for."""
        return [self.map_variant(product, variant, account, today) for variant in product.variants]

    def map_variant(
        self, product: Product, variant: Variant, account: Account, today: date
    ) -> Listing:
        """The listing of one variant."""
        issues: list[ListingIssue] = []
        images = _images(product, issues)
        category = account.category_for(product.ocop.group, product.ocop.product_set)
        content: dict[str, Any] = {
            "name": listing_title(product, variant),
            "slug": slugify(f"{product.slug} {variant_label(variant)}", max_length=SLUG_MAX),
            "description": listing_description(product, variant),
            "category_id": category,
            "images": images,
            "weight_g": variant.weight_g,
            "attributes": listing_attributes(product, variant),
        }
        for violation in check_content(content):
            message = violation.message
            if violation.field == "category_id":
                where = product.ocop.product_set or product.ocop.group
                message += (
                    f": account {account.name} has no Voso category for '{where}' "
                    "(set categories or default_category)"
                )
            issues.append(ListingIssue(violation.field, message))
        price = marketplace_price_vnd(variant.price, account.price)
        for violation in check_price(price):
            issues.append(ListingIssue("price", f"{violation.message} (got {price})"))
        stock = stock_shown(variant.stock, account.stock)
        if stock > STOCK_MAX:
            issues.append(
                ListingIssue(
                    "stock", f"stock {stock} shown as {STOCK_MAX} (Voso's maximum)", "warning"
                )
            )
            stock = STOCK_MAX
        issues.extend(_certificate_issues(product, today))
        return Listing(
            sku=variant.sku,
            product_sku=product.sku,
            content=content,
            price=price,
            stock=stock,
            images=images,
            issues=issues,
        )


MAPPING = VosoMapping()
