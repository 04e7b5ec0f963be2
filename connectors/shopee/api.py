"""Shopee Open Platform v2 paths and error codes used here (docs/marketplaces/shopee.md)."""

from __future__ import annotations

PREFIX = "/api/v2"
# Public calls (signed without token / shop)
AUTH_PARTNER = f"{PREFIX}/shop/auth_partner"  # the consent page the shop owner opens
TOKEN_GET = f"{PREFIX}/auth/token/get"
TOKEN_REFRESH = f"{PREFIX}/auth/access_token/get"
# Shop-level calls
SHOP_INFO = f"{PREFIX}/shop/get_shop_info"
ADD_ITEM = f"{PREFIX}/product/add_item"
UPDATE_ITEM = f"{PREFIX}/product/update_item"
INIT_TIER = f"{PREFIX}/product/init_tier_variation"
UPDATE_TIER = f"{PREFIX}/product/update_tier_variation"
ADD_MODEL = f"{PREFIX}/product/add_model"
UPDATE_MODEL = f"{PREFIX}/product/update_model"
UPDATE_PRICE = f"{PREFIX}/product/update_price"
UPDATE_STOCK = f"{PREFIX}/product/update_stock"
UNLIST_ITEM = f"{PREFIX}/product/unlist_item"
ITEM_LIST = f"{PREFIX}/product/get_item_list"
ITEM_BASE_INFO = f"{PREFIX}/product/get_item_base_info"
MODEL_LIST = f"{PREFIX}/product/get_model_list"
SEARCH_ITEM = f"{PREFIX}/product/search_item"
UPLOAD_IMAGE = f"{PREFIX}/media_space/upload_image"

# `error` codes of the envelope {"error", "message", "request_id", "response"}
EXPIRED_TOKEN = "invalid_acceess_token"  # sic: Shopee's own spelling
EXPIRED_TOKEN_CODES = frozenset({EXPIRED_TOKEN, "invalid_access_token"})
AUTH_CODES = frozenset({"error_auth", "error_sign", "error_partner", "error_permission"})
SERVER_CODES = frozenset({"error_server", "error_busi", "error_inner", "error_network"})
THROTTLE_CODES = frozenset({"error_rate_limit", "error_too_many_request"})
PARAM_CODES_PREFIX = ("error_param", "product.", "error_item", "error_data")
ITEM_NOT_FOUND = "error_item_not_found"

TIER_NAME = "Phân loại"  # the one variation tier our items carry (variant labels as options)

# Item-level fields add_item / update_item take as they are in a listing's content (the
# mapping's `images` names become `image.image_id_list` on the wire).
ITEM_FIELDS = (
    "item_name",
    "item_sku",
    "description",
    "category_id",
    "attribute_list",
    "brand",
    "weight",
    "dimension",
    "logistic_info",
    "condition",
)
