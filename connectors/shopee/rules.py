"""Shopee's listing rules this connector checks before sending (docs/marketplaces/shopee.md
cites the page of each). Limits that Shopee sets per shop and category
(v2.product.get_item_limit) are given here at their usual Vietnam values; the sandbox
enforces the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ITEM_NAME_MAX = 120
DESCRIPTION_MAX = 3000
IMAGES_MAX = 9  # item images
MODEL_SKU_MAX = 100
OPTION_MAX = 20  # characters of a variation option (the variant label)
PRICE_MIN = 1000  # VND; prices are whole dong (Vietnam's currency has no minor unit)
PRICE_MAX = 120_000_000
BATCH_MAX = 50  # models per update_price / update_stock, items per unlist_item
BASE_INFO_MAX = 50  # item ids per get_item_base_info
PAGE_SIZE_MAX = 100  # get_item_list page size
WEIGHT_MAX_KG = 1000.0


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field and the reason."""

    field: str
    message: str


def content_problems(content: dict[str, Any]) -> list[Problem]:
    """Rules the item's content breaks (empty when Shopee would accept it)."""
    problems: list[Problem] = []
    name = str(content.get("item_name") or "")
    if not name.strip():
        problems.append(Problem("item_name", "item_name is empty"))
    elif len(name) > ITEM_NAME_MAX:
        problems.append(
            Problem("item_name", f"item_name has {len(name)} characters, max {ITEM_NAME_MAX}")
        )
    description = str(content.get("description") or "")
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem(
                "description",
                f"description has {len(description)} characters, max {DESCRIPTION_MAX}",
            )
        )
    images = content.get("images") or []
    if not images:
        problems.append(Problem("images", "at least one image is required"))
    elif len(images) > IMAGES_MAX:
        problems.append(Problem("images", f"{len(images)} images, max {IMAGES_MAX}"))
    if not content.get("category_id"):
        problems.append(Problem("category_id", "no Shopee category for this product"))
    if not content.get("logistic_info"):
        problems.append(
            Problem("logistic_info", "no logistics channel enabled (account option logistic_ids)")
        )
    weight = content.get("weight")
    if not isinstance(weight, int | float) or not 0 < weight <= WEIGHT_MAX_KG:
        problems.append(Problem("weight", f"weight must be in (0, {WEIGHT_MAX_KG:g}] kg"))
    if not 0 < len(str(content.get("option") or "")) <= OPTION_MAX:
        problems.append(Problem("option", f"variation option must be 1-{OPTION_MAX} characters"))
    return problems


def price_problem(price: object) -> Problem | None:
    """The price rule: a whole number of dong within Shopee's bounds."""
    if not isinstance(price, int) or isinstance(price, bool):
        return Problem("price", "price must be a whole number of dong")
    if not PRICE_MIN <= price <= PRICE_MAX:
        return Problem("price", f"price {price:,} VND outside {PRICE_MIN:,}-{PRICE_MAX:,}")
    return None
