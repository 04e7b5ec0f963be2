"""The Lazada Open Platform envelope: API paths, error codes, answer shapes.

Shared by the client (which classifies answers) and the sandbox (which produces them), so
both sides agree on one definition. Public facts: every answer is JSON with `code` "0" on
success; an error carries `type` (ISV: the caller's mistake, ISP: a backend service,
SYSTEM: the platform), `code`, `message` and `request_id`; throttling is code `ApiCallLimit`
with "... this ban will last N seconds" in the message.
"""

from __future__ import annotations

import re
from typing import Any, Literal

ErrorType = Literal["ISV", "ISP", "SYSTEM"]

# Public API paths (the signature is over these, without the `/rest` gateway prefix).
PRODUCT_CREATE = "/product/create"
PRODUCT_UPDATE = "/product/update"
PRICE_QUANTITY_UPDATE = "/product/price_quantity/update"
PRODUCT_DEACTIVATE = "/product/deactivate"
PRODUCTS_GET = "/products/get"
IMAGE_MIGRATE = "/image/migrate"
TOKEN_CREATE = "/auth/token/create"
TOKEN_REFRESH = "/auth/token/refresh"
AUTHORIZE_PATH = "/oauth/authorize"  # on the auth host, outside `/rest`

# Documented limits of those calls.
PRICE_QUANTITY_MAX = 50  # SKUs per price_quantity/update
PRODUCTS_PAGE_MAX = 50  # `limit` of products/get
SKU_FILTER_MAX = 100  # seller SKUs in one products/get `sku_seller_list` (ours: 100)

OK = "0"
# Platform codes seen in Lazada's answers.
THROTTLED = "ApiCallLimit"
INCOMPLETE_SIGNATURE = "IncompleteSignature"
ILLEGAL_ACCESS_TOKEN = "IllegalAccessToken"
# Ours where Lazada's public pages name none (the sandbox answers them, the client reads them).
INVALID_APP_KEY = "InvalidAppKey"
INVALID_TIMESTAMP = "InvalidTimestamp"
MISSING_PARAMETER = "MissingParameter"
INVALID_API_PATH = "InvalidApiPath"
INVALID_CODE = "InvalidCode"
ILLEGAL_REFRESH_TOKEN = "IllegalRefreshToken"
SERVICE_UNAVAILABLE = "ServiceUnavailable"
INTERNAL_ERROR = "InternalError"
# Business codes (ours): a generic validation failure and a missing product.
VALIDATION_FAILED = "500"
PRODUCT_NOT_FOUND = "208"

# Codes after which the whole account is refused: no retry can fix them.
AUTH_CODES = frozenset(
    {
        INCOMPLETE_SIGNATURE,
        ILLEGAL_ACCESS_TOKEN,
        INVALID_APP_KEY,
        INVALID_TIMESTAMP,
        INVALID_CODE,
        ILLEGAL_REFRESH_TOKEN,
    }
)
# The one code after which a refreshed access token may succeed.
TOKEN_CODES = frozenset({ILLEGAL_ACCESS_TOKEN})

ILLEGAL_ACCESS_TOKEN_MESSAGE = "The specified access token is invalid or expired"
INCOMPLETE_SIGNATURE_MESSAGE = "The request signature does not conform to lazada standards"

_BAN = re.compile(r"ban will last (\d+(?:\.\d+)?) (?:more )?second", re.IGNORECASE)


def ban_seconds(message: str | None) -> float | None:
    """N from "... this ban will last N seconds", or None."""
    match = _BAN.search(message or "")
    return float(match.group(1)) if match else None


def throttle_message(seconds: int) -> str:
    """Lazada's throttle message for a ban of `seconds`."""
    return f"Api access frequency exceeds the limit. this ban will last {seconds} seconds"


def error_body(
    error_type: ErrorType,
    code: str,
    message: str,
    *,
    request_id: str,
    detail: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An error envelope (with per-field `detail` where Lazada gives one)."""
    body: dict[str, Any] = {"type": error_type, "code": code, "message": message}
    if detail:
        body["detail"] = detail
    body["request_id"] = request_id
    return body
