"""The sandbox's categories and the schema each renders (ours: the real platform renders
hundreds of fields per category; these keep the shapes that matter — required fields,
single and multiple values, options, complex and multiComplex fields, photobank images).
"""

from __future__ import annotations

from connectors.alibaba import item_schema as f
from connectors.alibaba.rules import (
    CERTIFICATIONS,
    IMAGES_MAX,
    KEYWORDS_MAX,
    PRICE_UNITS,
    SUBJECT_MAX,
)
from connectors.alibaba.schema import ItemSchema, SchemaField

# OCOP groups -> the sandbox's category ids (ours).
CATEGORIES: dict[str, str] = {
    "Thực phẩm": "100008",
    "Rau, củ, quả tươi và sơ chế": "100008",
    "Đồ uống": "100009",
    "Dược liệu và sản phẩm từ dược liệu": "100010",
    "Thảo dược": "100010",
    "Hàng thủ công mỹ nghệ": "100011",
    "Sinh vật cảnh": "100011",
}
DEFAULT_CATEGORY = "100008"
FOOD_CATEGORIES = frozenset({"100008", "100009", "100010"})


def _input(
    id_: str, name: str, *, required: bool = True, max_length: int | None = None
) -> SchemaField:
    return SchemaField(id_, name, "input", required=required, max_length=max_length)


def _tier(prefix: str, index: int, second: tuple[str, str]) -> SchemaField:
    children = (_input("quantity", "Quantity"), _input(second[0], second[1]))
    return SchemaField(
        f"{prefix}_{index}", f"Tier {index + 1}", "complex", index == 0, children=children
    )


def _common() -> list[SchemaField]:
    return [
        _input(f.TITLE, "Product name", max_length=SUBJECT_MAX),
        SchemaField(f.KEYWORDS, "Keywords", "multiInput", max_count=KEYWORDS_MAX, max_length=128),
        _input(f.SKU, "Seller SKU", max_length=64),
        SchemaField(f.IMAGES, "Product images", "complex", True, max_count=IMAGES_MAX, image=True),
        SchemaField(f.UNIT, "Unit", "singleCheck", True, options=tuple(PRICE_UNITS.items())),
        _input(f.MOQ, "Minimum order quantity"),
        SchemaField(
            f.LADDER_PRICE,
            "Ladder price (USD)",
            "complex",
            True,
            children=tuple(_tier("ladderPrice", i, ("price", "Price")) for i in range(3)),
        ),
        SchemaField(
            f.LADDER_PERIOD,
            "Lead time",
            "complex",
            True,
            children=tuple(_tier("ladderPeriod", i, ("day", "Days")) for i in range(3)),
        ),
        _input(f.STOCK, "Inventory"),
        SchemaField(
            f.DESC_TYPE, "Description type", "singleCheck", True, options=(("2", "Rich text"),)
        ),
        _input(f.DESCRIPTION, "Detailed description", max_length=50_000),
        SchemaField(
            f.CUSTOM,
            "Custom attributes",
            "multiComplex",
            max_count=20,
            children=(
                _input("attrName", "Name", max_length=70),
                _input("attrValue", "Value", max_length=512),
            ),
        ),
    ]


def category_schema(category_id: str) -> ItemSchema:
    """The schema category `category_id` renders (KeyError for an unknown category)."""
    if category_id not in {*CATEGORIES.values(), DEFAULT_CATEGORY}:
        raise KeyError(category_id)
    attributes = [
        _input("p-brandName", "Brand Name", max_length=128),
        _input("p-placeOfOrigin", "Place of Origin", max_length=128),
        SchemaField(
            "p-certification",
            "Certification",
            "multiCheck",
            options=tuple((name, name) for name in CERTIFICATIONS),
        ),
    ]
    if category_id in FOOD_CATEGORIES:
        attributes.append(_input("p-shelfLife", "Shelf Life", required=False, max_length=64))
    return ItemSchema({spec.id: spec for spec in [*_common(), *attributes]})
