"""Canonical OCOP product -> Shopee: one item per product, one model per variant.

Each variant is one Listing (our variant SKU is the model SKU, the product SKU the item
SKU); its content holds the item's fields (shared by the product's variants) and its own
model fields. Images are named by the hash of their source (`images`), the client uploads
them to Shopee's media space once and sends the image ids.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from connectors.base import Listing, ListingIssue, stable_hash
from connectors.listing_text import ingredient_sentences, producer_sentence, traceability_sentence
from connectors.mapping_kit import image_urls, listability_issue
from connectors.shopee.rules import IMAGES_MAX, OPTION_MAX, content_problems, price_problem
from sync.catalog import Product, Variant
from sync.pricing import marketplace_price_vnd, stock_shown
from sync.settings import Account
from sync.text import collapse_spaces

DEFAULT_DIMENSIONS_CM = (20, 15, 10)  # package length, width, height when not configured


def image_key(source_url: str) -> str:
    """The stable name of a source image (what the content hashes, not Shopee's id)."""
    return "ocop-" + stable_hash(source_url)[:24]


class ShopeeMapping:
    """Maps a product to one Shopee model per variant, all of one item."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """The product's listings with every issue Shopee would reject."""
        shared: list[ListingIssue] = []
        listability = listability_issue(product, today)
        if listability is not None:
            shared.append(listability)
        sources = image_urls(product, IMAGES_MAX)
        if len(product.images) > IMAGES_MAX:
            shared.append(
                ListingIssue(
                    "images", f"{len(product.images)} images, Shopee takes {IMAGES_MAX}", "warning"
                )
            )
        item = _item_content(product, account, sources)
        listings = []
        taken: set[str] = set()
        for variant in product.variants:
            model = _model_content(variant)
            # Shopee refuses two equal options in one tier: a repeated label gets the SKU.
            model["option"] = unique_option(model["option"], variant.sku, taken)
            taken.add(model["option"])
            content = {**item, **model}
            issues = list(shared)
            issues.extend(ListingIssue(p.field, p.message) for p in content_problems(content))
            price = 0
            try:
                price = marketplace_price_vnd(variant.price, account.price)
            except ValueError as exc:
                issues.append(ListingIssue("price", f"account {account.name}: {exc}"))
            else:
                problem = price_problem(price)
                if problem is not None:
                    issues.append(ListingIssue("price", problem.message))
            listings.append(
                Listing(
                    sku=variant.sku,
                    product_sku=product.sku,
                    content=content,
                    price=price,
                    stock=stock_shown(variant.stock, account.stock),
                    images=sources,
                    issues=issues,
                )
            )
        return listings


def _item_content(product: Product, account: Account, sources: list[str]) -> dict[str, Any]:
    # `item_name` first: the contract suite edits the first text field as "the title".
    length, width, height = (
        int(v) for v in account.options.get("package_dimensions_cm", DEFAULT_DIMENSIONS_CM)
    )
    category = account.category_for(product.ocop.group, product.ocop.product_set)
    attributes = account.options.get("attributes", {}).get(str(category), [])
    heaviest = max(variant.weight_g for variant in product.variants)
    return {
        "item_name": collapse_spaces(product.name),
        "item_sku": product.sku,
        "description": _description(product),
        "category_id": int(category) if category and str(category).isdigit() else 0,
        "attribute_list": list(attributes),
        "brand": {"brand_id": 0, "original_brand_name": product.producer.name},
        "weight": round(heaviest / 1000, 3),  # kg; the heaviest package ships the item
        "dimension": {"package_length": length, "package_width": width, "package_height": height},
        "logistic_info": [
            {"logistic_id": int(channel), "enabled": True}
            for channel in account.options.get("logistic_ids", [])
        ],
        "condition": "NEW",
        "images": [image_key(source) for source in sources],
    }


def _model_content(variant: Variant) -> dict[str, Any]:
    quantity = variant.net_quantity
    label = variant.label or f"{quantity.value.normalize():f} {quantity.unit}"
    # The model SKU is the listing's own key (Listing.sku), so it is not repeated here.
    return {"option": collapse_spaces(label)[:OPTION_MAX], "gtin_code": variant.gtin or ""}


def unique_option(option: str, sku: str, taken: set[str] | list[str]) -> str:
    """`option`, or when another model has it, a variant of it that names `sku`."""
    if option not in taken:
        return option
    for width in range(4, len(sku) + 1):
        suffix = " " + sku[-width:]
        candidate = option[: OPTION_MAX - len(suffix)].rstrip() + suffix
        if candidate not in taken and len(candidate) <= OPTION_MAX:
            return candidate
    return sku[-OPTION_MAX:]


def _description(product: Product) -> str:
    paragraphs = [
        f"{product.name} - sản phẩm OCOP {product.ocop.stars} sao (nhóm {product.ocop.group}).",
    ]
    if product.certificate is not None:
        certificate = product.certificate
        paragraphs.append(
            f"Quyết định công nhận {certificate.decision_no} ngày "
            f"{certificate.decision_date:%d/%m/%Y} của {certificate.issuer_name}."
        )
    paragraphs.append(producer_sentence(product))
    # Before the free text: the cut at 3,000 characters must not drop the link.
    trace = traceability_sentence(product)
    if trace:
        paragraphs.append(trace)
    if product.description:
        paragraphs.append(product.description)
    paragraphs += ingredient_sentences(product)
    return "\n\n".join(paragraphs)[:3000]


MAPPING = ShopeeMapping()
