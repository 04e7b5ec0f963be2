"""Canonical OCOP product -> Postmart listings, one per variant, keyed by the variant SKU.

Postmart puts provenance first (province, producer, OCOP stars), so every listing carries an
`origin`, a `producer` and an `ocop` block. The rules the sandbox enforces are checked here
by the same code (connectors/postmart/rules.py) and reported as ListingIssues.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.base import Listing, ListingIssue
from connectors.listing_text import ocop_sentence, origin_sentence, traceability_sentence
from connectors.mapping_kit import image_urls
from connectors.postmart import rules
from sync.catalog import Product, Variant
from sync.pricing import marketplace_price_vnd, stock_shown
from sync.settings import Account
from sync.text import slugify


def listing_title(product: Product, variant: Variant) -> str:
    """'Tinh nghệ đỏ Bắc Kạn – hũ 100 g': diacritics kept, the package tells variants apart."""
    return f"{product.name} – {variant.label or variant.net_quantity}"


def _clip(text: str, limit: int) -> str:
    # Cut at a word boundary so the summary never ends mid-word.
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;.") + "…"


def short_description(product: Product, variant: Variant) -> str:
    """A provenance summary (stars, producer, province) plus the description's first line."""
    province = product.address.current_province or product.address.province
    summary = (
        f"Sản phẩm OCOP {product.ocop.stars} sao của {product.producer.name} "
        f"({product.address.commune}, {province}). "
        f"Quy cách: {variant.label or variant.net_quantity}."
    )
    first_line = (product.description or "").split("\n", 1)[0].strip()
    return _clip(f"{summary} {first_line}".strip(), rules.SHORT_DESCRIPTION_MAX)


def full_description(product: Product) -> str:
    """The catalog description, then the OCOP, producer, origin and traceability facts.

    Empty when the catalog has none: Postmart requires a description written for buyers.
    """
    if not product.description:
        return ""
    facts = [
        ocop_sentence(product),
        f"Chủ thể sản xuất: {product.producer.name}.",
        origin_sentence(product.address),
        traceability_sentence(product),
    ]
    return "\n\n".join([product.description, "\n".join(f for f in facts if f)])


def _ocop_block(product: Product) -> dict[str, Any] | None:
    certificate = product.certificate
    if certificate is None:
        return None
    return {
        "stars": product.ocop.stars,
        "group": product.ocop.group,
        "product_set": product.ocop.product_set,
        "criteria": product.ocop.criteria_version.value,
        "certificate_no": certificate.decision_no,
        "certificate_date": certificate.decision_date.isoformat(),
        "issuer": certificate.issuer_name,
        "valid_until": certificate.expires.isoformat(),
    }


def _attributes(product: Product, variant: Variant) -> dict[str, Any]:
    return {
        "package": variant.label,
        "net_quantity": str(variant.net_quantity),
        "packaging": variant.packaging,
        "shelf_life_days": product.shelf_life_days,
        "ingredients": product.ingredients,
        "standards": list(product.standards),
        "geographical_indication": product.geographical_indication,
        "traceability_url": str(product.traceability.url) if product.traceability else None,
    }


def _images(product: Product) -> list[str]:
    # Primary image first: Postmart shows the first image as the thumbnail.
    return image_urls(product)


def listing_content(product: Product, variant: Variant, account: Account) -> dict[str, Any]:
    """The content part of the listing (everything but price and stock), deterministic."""
    address = product.address
    content: dict[str, Any] = {
        "name": listing_title(product, variant),
        "slug": slugify(f"{product.name} {variant.label or variant.net_quantity}", 200),
        "category_id": account.category_for(product.ocop.group, product.ocop.product_set),
        "short_description": short_description(product, variant),
        "description": full_description(product),
        "images": _images(product)[: rules.IMAGES_MAX],
        "weight_g": variant.weight_g,
        "gtin": variant.gtin,
        "origin": {
            "province": address.current_province or address.province,
            "commune": address.commune,
            "address": address.as_printed,
        },
        "producer": {"name": product.producer.name, "type": product.producer.kind.value},
        "ocop": _ocop_block(product),
        "attributes": _attributes(product, variant),
        "tags": list(product.tags),
    }
    assert tuple(content) == rules.CONTENT_FIELDS  # the client reads back exactly these keys
    return content


def create_payload(listing: Listing) -> dict[str, Any]:
    """The body of a create or full update: seller SKU, content, price and stock."""
    return {
        "seller_sku": listing.sku,
        **listing.content,
        "price": listing.price,
        "stock": listing.stock,
    }


class PostmartMapping:
    """Implements connectors.base.Mapping for Postmart."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """One listing per variant, with every rule Postmart would reject reported as an issue."""
        return [self.map_variant(product, variant, account, today) for variant in product.variants]

    def map_variant(
        self, product: Product, variant: Variant, account: Account, today: date
    ) -> Listing:
        """The listing of one variant."""
        content = listing_content(product, variant, account)
        listing = Listing(
            sku=variant.sku,
            product_sku=product.sku,
            content=content,
            price=marketplace_price_vnd(variant.price, account.price),
            stock=stock_shown(variant.stock, account.stock),
            images=list(content["images"]),
        )
        listing.issues.extend(self._own_issues(product, account))
        seen = {issue.field for issue in listing.issues}
        listing.issues.extend(
            ListingIssue(field, message)
            for field, message in rules.check_product(create_payload(listing), today)
            if field not in seen
        )
        return listing

    def _own_issues(self, product: Product, account: Account) -> list[ListingIssue]:
        # Clearer words than the generic rule for what the operator has to fix.
        issues: list[ListingIssue] = []
        if account.category_for(product.ocop.group, product.ocop.product_set) is None:
            where = product.ocop.group + (
                f" / {product.ocop.product_set}" if product.ocop.product_set else ""
            )
            issues.append(
                ListingIssue(
                    "category_id",
                    f"no Postmart category for OCOP group {where}: add it to the categories "
                    f"of account {account.name} or set its default_category",
                )
            )
        if not product.description:
            issues.append(ListingIssue("description", "a full description is required"))
        if product.certificate is None:
            issues.append(
                ListingIssue("ocop", f"no OCOP certificate (status {product.ocop.status.value})")
            )
        if len(product.images) > rules.IMAGES_MAX:
            issues.append(
                ListingIssue(
                    "images",
                    f"only the first {rules.IMAGES_MAX} of {len(product.images)} images are sent",
                    severity="warning",
                )
            )
        return issues
