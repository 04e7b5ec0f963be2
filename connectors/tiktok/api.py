"""TikTok Shop Partner API facts the client and the sandbox share: paths, codes, limits.

Every path is versioned (TikTok ships new versions per endpoint, e.g. Search Products
202502 next to Create Product 202309); docs/marketplaces/tiktok.md names each page.
"""

from __future__ import annotations

# -- Open API (shop calls: app_key, timestamp, shop_cipher, sign in the query) ------------
AUTHORIZED_SHOPS = "/authorization/202309/shops"
PRODUCTS = "/product/202309/products"  # POST: create
SEARCH_PRODUCTS = "/product/202502/products/search"
ACTIVATE = "/product/202309/products/activate"
DEACTIVATE = "/product/202309/products/deactivate"
UPLOAD_IMAGE = "/product/202309/images/upload"


def product_path(product_id: str) -> str:
    """GET (detail) and PUT (edit) of one product."""
    return f"{PRODUCTS}/{product_id}"


def price_path(product_id: str) -> str:
    """POST: update the prices of a product's SKUs."""
    return f"{PRODUCTS}/{product_id}/prices/update"


def inventory_path(product_id: str) -> str:
    """POST: update the inventory of a product's SKUs."""
    return f"{PRODUCTS}/{product_id}/inventory/update"


# -- Auth host (auth.tiktok-shops.com; unsigned GETs with app_key and app_secret) --------
TOKEN_GET = "/api/v2/token/get"
TOKEN_REFRESH = "/api/v2/token/refresh"
AUTH_HOST = "https://auth.tiktok-shops.com"
AUTHORIZE_URL = "https://services.tiktokshop.com/open/authorize"  # non-US Partner Center
ACCESS_HEADER = "x-tts-access-token"

# -- Envelope codes (Common errors page, and each endpoint's Errorcode table) ------------
OK = 0
THROTTLED = 36009002
INTERNAL = 36009003
GATEWAY_TIMEOUT = 36009007
INVALID_CREDENTIALS = 36009004  # reused: missing sign, bad app_key, bad token, bad timestamp
TOKEN_EXPIRED = 105002
ACCESS_DENIED = 105005
INVALID_TOKEN_OR_CIPHER = 101000
INVALID_SIGN = 106001
MISSING_SHOP_CIPHER = 106013
IP_NOT_ALLOWED = 36009033
INVALID_AUTH_CODE = 36004004
INVALID_PATH = 36009009
PRODUCT_NOT_FOUND = 12052260
IMAGE_URI_UNKNOWN = 12052722  # a main image URI TikTok Shop does not have
PRODUCT_INTERNAL = 12001000
PRODUCT_API_INTERNAL = 33001002

AUTH_CODES = frozenset(
    {
        INVALID_CREDENTIALS,
        ACCESS_DENIED,
        INVALID_TOKEN_OR_CIPHER,
        INVALID_SIGN,
        MISSING_SHOP_CIPHER,
        IP_NOT_ALLOWED,
        INVALID_AUTH_CODE,
    }
)
RETRIABLE_CODES = frozenset({INTERNAL, GATEWAY_TIMEOUT, PRODUCT_INTERNAL, PRODUCT_API_INTERNAL})

# -- Limits ------------------------------------------------------------------------------
SEARCH_PAGE_MAX = 100  # Search Products: page_size up to 100
ACTIVATE_MAX = 20  # Deactivate Products: at most 20 product ids per call
CURRENCY = "VND"
WEIGHT_UNIT = "KILOGRAM"  # non-US shops: KILOGRAM only, paired with CENTIMETER
LENGTH_UNIT = "CENTIMETER"
MAIN_IMAGE = "MAIN_IMAGE"  # Upload Product Image use_case

# Product statuses (Search Products / Get Product).
STATUS_DRAFT = "DRAFT"
STATUS_PENDING = "PENDING"  # in TikTok's audit
STATUS_FAILED = "FAILED"  # audit rejected
STATUS_LIVE = "ACTIVATE"
STATUS_SELLER_DEACTIVATED = "SELLER_DEACTIVATED"
STATUS_PLATFORM_DEACTIVATED = "PLATFORM_DEACTIVATED"
STATUS_FROZEN = "FREEZE"
STATUS_DELETED = "DELETED"
# Not on sale because someone took it down (the seller or the platform), as opposed to
# waiting for or failing the audit.
OFF_SALE = frozenset(
    {STATUS_SELLER_DEACTIVATED, STATUS_PLATFORM_DEACTIVATED, STATUS_FROZEN, STATUS_DELETED}
)
