"""A mapped listing -> the `<itemSchema>` values of its category's rendered schema, and a
product as product.get reports it -> a RemoteListing comparable with the listing.

Field ids are the platform's where the Schema flow's observed documents show them
(productTitle, scImages, priceUnit, minOrderQuantity, ladderPrice, ladderPeriod,
productDescType, superText); `productKeywords`, `skuCode`, `stockQuantity` and
`customAttributes` are ours (docs/marketplaces/alibaba.md). Category attributes are the
schema's other fields: a listing attribute goes to the field with its name when the value
fits (a multiCheck takes ", "-separated options), else to the custom attributes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from connectors.alibaba import api
from connectors.alibaba.schema import MULTI, SINGLE, Image, ItemSchema, SchemaField, Value
from connectors.base import Listing, RemoteListing, Review

TITLE, KEYWORDS, SKU = "productTitle", "productKeywords", "skuCode"
IMAGES, UNIT, MOQ = "scImages", "priceUnit", "minOrderQuantity"
LADDER_PRICE, LADDER_PERIOD = "ladderPrice", "ladderPeriod"
STOCK, DESC_TYPE, DESCRIPTION = "stockQuantity", "productDescType", "superText"
CUSTOM = "customAttributes"
RICH_TEXT = "2"  # productDescType: the description is HTML (observed)
COMMON = frozenset(
    {TITLE, KEYWORDS, SKU, IMAGES, UNIT, MOQ, LADDER_PRICE, LADDER_PERIOD, STOCK, DESC_TYPE}
    | {DESCRIPTION, CUSTOM}
)
_IMG = re.compile(r"<img\b[^>]*>")


def item_values(schema: ItemSchema, listing: Listing, images: list[Image]) -> dict[str, Value]:
    """Every value of a full `<itemSchema>` for `listing` with its photobank `images`.

    ValueError when the listing's unit is not one of the category's price units.
    """
    content = listing.content
    unit_field = schema.fields.get(UNIT)
    unit = unit_field.option_value(str(content["unit"])) if unit_field else None
    if unit_field is not None and unit is None:
        raise ValueError(f"unit {content['unit']!r} is not a price unit of this category")
    moq = str(content["min_order_quantity"])
    values: dict[str, Value] = {
        TITLE: content["subject"],
        KEYWORDS: list(content["keywords"]),
        SKU: listing.sku,
        IMAGES: images,
        UNIT: unit,
        MOQ: moq,
        **price_stock_values(listing, price=True, stock=True),
        LADDER_PERIOD: {"ladderPeriod_0": {"quantity": moq, "day": str(content["lead_time_days"])}},
        DESC_TYPE: RICH_TEXT,
        DESCRIPTION: content["description"]
        + "".join(f'<img src="{escape(i.url, {chr(34): "&quot;"})}" />' for i in images),
    }
    custom: list[dict[str, Value]] = []
    for attribute in content["attributes"]:
        name, value = attribute["attribute_name"], str(attribute["attribute_value"])
        spec = schema.by_name(name)
        fitted = _fit(spec, value) if spec is not None and spec.id not in COMMON else None
        if spec is None or fitted is None:
            custom.append({"attrName": name, "attrValue": value})
        else:
            values[spec.id] = fitted
    values[CUSTOM] = custom
    return {k: v for k, v in values.items() if k in schema.fields and v not in ("", [], None)}


def price_stock_values(listing: Listing, *, price: bool, stock: bool) -> dict[str, Value]:
    """The fields of a price and/or stock change (a partial `<itemSchema>`)."""
    values: dict[str, Value] = {}
    if price:
        quantity = str(listing.content["min_order_quantity"])
        values[LADDER_PRICE] = {
            "ladderPrice_0": {"quantity": quantity, "price": str(listing.price)}
        }
    if stock:
        values[STOCK] = str(listing.stock)
    return values


def display_xml(product_id: str, on: bool) -> str:
    """The `<product>` document that shows (Y) or hides (N) a product (observed form)."""
    return (
        f"<product><product_id>{escape(product_id)}</product_id>"
        f"<display>{'Y' if on else 'N'}</display></product>"
    )


def _fit(spec: SchemaField, value: str) -> Value | None:
    """`value` in the form of category field `spec`, or None when it does not fit."""
    if spec.type in MULTI:
        items = [item.strip() for item in value.split(",") if item.strip()]
        if spec.options and any(spec.option_value(item) is None for item in items):
            return None
        return [spec.option_value(item) or item for item in items]
    if spec.type in SINGLE:
        if spec.options:
            return spec.option_value(value)
        return value if not spec.max_length or len(value) <= spec.max_length else None
    return None


def remote_listing(product: dict[str, Any], image_keys: Sequence[str]) -> RemoteListing:
    """product.get's `product` -> RemoteListing whose content compares with the listing's
    (`image_keys`: the source keys of `main_image.images`, in order)."""
    trade = product.get("wholesale_trade") or {}
    ladder = trade.get("ladder_prices") or [{}]
    periods = trade.get("deliver_periods") or [{}]
    attributes = sorted(
        (
            {
                "attribute_name": str(a["attribute_name"]),
                "attribute_value": str(a["attribute_value"]),
            }
            for a in product.get("attributes") or []
        ),
        key=lambda a: (a["attribute_name"], a["attribute_value"]),
    )
    content = {
        "subject": product.get("subject", ""),
        "category_id": str(product.get("category_id", "")),
        "language": product.get("language", ""),
        "keywords": list(product.get("keywords") or []),
        "description": _IMG.sub("", str(product.get("description") or "")),
        "attributes": attributes,
        "min_order_quantity": _int(trade.get("min_order_quantity")),
        "unit": trade.get("unit_type", ""),
        "lead_time_days": _int(periods[0].get("day")),
        "image_files": list(image_keys),
    }
    review, reason = _review(product)
    return RemoteListing(
        remote_id=str(product["product_id"]),
        sku=str(product.get("sku_code", "")),
        active=product.get("display") == "Y",
        price=str(ladder[0].get("price", "")),
        stock=_int(product.get("inventory")),
        content=content,
        review=review,
        review_reason=reason,
    )


def _review(product: dict[str, Any]) -> tuple[Review | None, str | None]:
    status = product.get("status")
    if status in (api.STATUS_NEW, api.STATUS_MODIFIED):
        return Review.PENDING, None
    if status == api.STATUS_REFUSED:
        return Review.REJECTED, html.unescape(str(product.get("audit_reason") or "refused"))
    if status == api.STATUS_APPROVED:
        return Review.APPROVED, None
    return None, None


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
