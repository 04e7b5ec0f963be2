"""The TOP envelope: method names, system parameters, response and error shapes.

Shared by the client (which classifies answers) and the sandbox (which produces them), so
both sides agree on one definition. Public facts: errors come as HTTP 200 with
`{"error_response": {"code", "msg", "sub_code", "sub_msg", "request_id"}}`; throttling is
code 7 `App Call Limited` with `sub_msg` "This ban will last N more seconds".
"""

from __future__ import annotations

import re
from typing import Any

GATEWAY_PATH = "/router/rest"
API_VERSION = "2.0"
# Parameters every call carries; the client sends them in the query string so the sandbox's
# per-seller rate limiter can identify the seller without reading the body.
SYSTEM_PARAMS = ("method", "app_key", "session", "timestamp", "format", "v", "sign_method", "sign")

# Methods (public ICBU names unless marked "ours").
PRODUCT_ADD = "alibaba.icbu.product.add"
PRODUCT_UPDATE = "alibaba.icbu.product.update"
PRODUCT_UPDATE_FIELD = "alibaba.icbu.product.update.field"
PRODUCT_DISPLAY = "alibaba.icbu.product.batch.update.display"
PHOTOBANK_UPLOAD = "alibaba.icbu.photobank.upload"
PHOTOBANK_LIST = "alibaba.icbu.photobank.list"
PRODUCT_GET = "alibaba.icbu.product.get"  # ours: lookup by sku_code or product_id
PRODUCT_LIST = "alibaba.icbu.product.list"  # ours: paged list with sku_code per product
PRODUCT_BATCH_FIELD = "alibaba.icbu.product.batch.update.field"  # ours: ≤ 50 price/stock

BATCH_FIELD_MAX = 50
LIST_PAGE_MAX = 50

# Error codes (public TOP platform codes).
CODE_THROTTLED = 7
CODE_UNAVAILABLE = 10
CODE_NO_ISV_PERMISSION = 11
CODE_NO_USER_PERMISSION = 12
CODE_REMOTE_ERROR = 15
CODE_MISSING_METHOD = 21
CODE_INVALID_METHOD = 22
CODE_INVALID_FORMAT = 23
CODE_MISSING_SIGNATURE = 24
CODE_INVALID_SIGNATURE = 25
CODE_MISSING_SESSION = 26
CODE_INVALID_SESSION = 27
CODE_MISSING_APP_KEY = 28
CODE_INVALID_APP_KEY = 29
CODE_MISSING_TIMESTAMP = 30
CODE_INVALID_TIMESTAMP = 31
CODE_MISSING_VERSION = 32
CODE_UNSUPPORTED_VERSION = 34
CODE_MISSING_ARGUMENTS = 40
CODE_INVALID_ARGUMENTS = 41

# Codes that no retry can fix for this account: credentials, signature, clock, permissions.
AUTH_CODES = frozenset(
    {
        CODE_NO_ISV_PERMISSION,
        CODE_NO_USER_PERMISSION,
        CODE_MISSING_SIGNATURE,
        CODE_INVALID_SIGNATURE,
        CODE_MISSING_SESSION,
        CODE_INVALID_SESSION,
        CODE_MISSING_APP_KEY,
        CODE_INVALID_APP_KEY,
        CODE_INVALID_TIMESTAMP,
    }
)
# Codes for a call we built wrong: no retry helps, and it concerns this call only.
MALFORMED_CODES = frozenset(
    {
        CODE_MISSING_METHOD,
        CODE_INVALID_METHOD,
        CODE_INVALID_FORMAT,
        CODE_MISSING_VERSION,
        CODE_UNSUPPORTED_VERSION,
        CODE_MISSING_ARGUMENTS,
        CODE_INVALID_ARGUMENTS,
    }
)
THROTTLE_SUB_CODE = "accesscontrol.limited-by-app-access-count"
# Business sub codes (ours where the public docs give none).
INVALID_PARAMETER = "isv.invalid-parameter"
PRODUCT_NOT_EXIST = "isv.product-not-exist"  # ours
DUPLICATE_REQUEST = "isv.duplicate-request"  # ours (not used for creates: no idempotency)
SERVICE_UNAVAILABLE = "isp.service-unavailable"

_BAN = re.compile(r"ban will last (\d+(?:\.\d+)?) more second", re.IGNORECASE)


def response_key(method: str) -> str:
    """The success envelope's key: `a.b.c` -> `a_b_c_response`."""
    return method.replace(".", "_") + "_response"


def ban_seconds(sub_msg: str | None) -> float | None:
    """N from "This ban will last N more seconds", or None."""
    match = _BAN.search(sub_msg or "")
    return float(match.group(1)) if match else None


def error_body(
    code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None, *, request_id: str
) -> dict[str, Any]:
    """A TOP error envelope."""
    error: dict[str, Any] = {"code": code, "msg": msg}
    if sub_code:
        error["sub_code"] = sub_code
    if sub_msg:
        error["sub_msg"] = sub_msg
    error["request_id"] = request_id
    return {"error_response": error}
