"""The ICBU Open Platform envelope: paths, method names, limits, error codes, answer shapes.

Shared by the client (which classifies answers) and the sandbox (which produces them), so
both sides agree on one definition. Sources: docs/marketplaces/alibaba.md (every fact with
its page; what the platform does not document is marked there as observed behaviour).

- Business calls go to `/sync` (POST form, or multipart for photobank.upload) with the
  system parameters `method`, `app_key`, `session` (the OAuth access token), `timestamp`
  (ms), `sign_method=sha256`, `format=json`, `v=2.0` and `sign`.
- Token calls go to `/rest/auth/token/create` and `/rest/auth/token/refresh`, signed with
  their API path in front of the parameters.
- Errors of `/sync` come as `{"error_response": {type, code, msg, sub_code?, sub_msg?,
  request_id}}`; throttling is code `ApiCallLimit` with "This ban will last N more
  seconds". A refused business call answers `{"<method>_response": {"biz_success": false,
  "msg_code", "message"}}`. Token calls answer at the top level: `code` "0" on success.
"""

from __future__ import annotations

import re
from typing import Any, Literal

SYNC_PATH = "/sync"
REST_PREFIX = "/rest"
TOKEN_CREATE = "/auth/token/create"
TOKEN_REFRESH = "/auth/token/refresh"
AUTHORIZE_PATH = "/oauth/authorize"
API_VERSION = "2.0"
SIGN_METHOD = "sha256"

# Methods on /sync.
SCHEMA_RENDER = "alibaba.icbu.product.schema.render"
SCHEMA_ADD = "alibaba.icbu.product.schema.add"
SCHEMA_UPDATE = "alibaba.icbu.product.schema.update"
PRODUCT_LIST = "alibaba.icbu.product.list"
PRODUCT_GET = "alibaba.icbu.product.get"
PHOTOBANK_UPLOAD = "alibaba.icbu.photobank.upload"
PHOTOBANK_LIST = "alibaba.icbu.photobank.list"
# The legacy methods the platform no longer serves to apps (observed): the sandbox answers
# them the way the platform does, so a client still calling them fails loudly in tests.
LEGACY_ADD = "alibaba.icbu.product.add"  # InsufficientPermission
LEGACY_UPDATE = "alibaba.icbu.product.update"  # offline

LANGUAGE = "en_US"  # of schema calls; product.get reports "ENGLISH"
LIST_PAGE_MAX = 30  # product.list page_size (observed maximum)
PHOTOBANK_PAGE_MAX = 50

# Product status (documented in the product.get answer): approved, or under review (new,
# modified), or refused (tbd), or a draft (sketch).
STATUS_APPROVED = "approved"
STATUS_NEW = "new"
STATUS_MODIFIED = "modified"
STATUS_REFUSED = "tbd"
STATUS_DRAFT = "sketch"

# Gateway error codes (IOP names, as the platform answers them).
THROTTLED = "ApiCallLimit"
ILLEGAL_ACCESS_TOKEN = "IllegalAccessToken"
INCOMPLETE_SIGNATURE = "IncompleteSignature"
INVALID_APP_KEY = "InvalidAppKey"
INVALID_TIMESTAMP = "InvalidTimestamp"
MISSING_PARAMETER = "MissingParameter"
INVALID_PARAMETER = "InvalidParameter"
INVALID_API_PATH = "InvalidApiPath"
INSUFFICIENT_PERMISSION = "InsufficientPermission"
API_OFFLINE = "ApiOffline"  # ours: the name of the "offline" answer is not documented
INVALID_CODE = "InvalidCode"
ILLEGAL_REFRESH_TOKEN = "IllegalRefreshToken"
SERVICE_UNAVAILABLE = "ServiceUnavailable"
INTERNAL_ERROR = "InternalError"
OK = "0"

# Business codes (`msg_code` of a biz_success false answer).
IN_AUDIT = "PUB_BIZCHECK_PRODUCT_IN_AUDITING"  # observed: a change while under review
SCHEMA_INVALID = "PUB_SCHEMA_CHECK_FAILED"  # ours: the document breaks a rendered rule
PRODUCT_NOT_FOUND = "PRODUCT_NOT_EXIST"  # ours
IMAGE_INVALID = "PHOTOBANK_FILE_INVALID"  # ours

AUTH_CODES = frozenset(
    {
        ILLEGAL_ACCESS_TOKEN,
        INCOMPLETE_SIGNATURE,
        INVALID_APP_KEY,
        INVALID_TIMESTAMP,
        INSUFFICIENT_PERMISSION,
        INVALID_CODE,
        ILLEGAL_REFRESH_TOKEN,
    }
)
TOKEN_CODES = frozenset({ILLEGAL_ACCESS_TOKEN})  # a refreshed access token may succeed
PLATFORM_CODES = frozenset({SERVICE_UNAVAILABLE, INTERNAL_ERROR})

ErrorType = Literal["ISV", "ISP", "SYSTEM"]

_BAN = re.compile(r"ban will last (\d+(?:\.\d+)?) (?:more )?second", re.IGNORECASE)


def response_key(method: str) -> str:
    """The success envelope's key: `a.b.c` -> `a_b_c_response`."""
    return method.replace(".", "_") + "_response"


def ban_seconds(message: str | None) -> float | None:
    """N from "This ban will last N more seconds", or None."""
    match = _BAN.search(message or "")
    return float(match.group(1)) if match else None


def throttle_message(seconds: int) -> str:
    """The platform's throttle message for a ban of `seconds`."""
    return f"App call limited. This ban will last {seconds} more seconds"


def error_body(
    error_type: ErrorType, code: str, msg: str, *, request_id: str, sub_msg: str | None = None
) -> dict[str, Any]:
    """A `/sync` gateway error envelope."""
    error: dict[str, Any] = {"type": error_type, "code": code, "msg": msg}
    if sub_msg:
        error["sub_msg"] = sub_msg
    error["request_id"] = request_id
    return {"error_response": error}


def rest_error_body(
    error_type: ErrorType, code: str, message: str, *, request_id: str
) -> dict[str, Any]:
    """A token call's error answer (top level, as IOP's `/rest` answers)."""
    return {"type": error_type, "code": code, "message": message, "request_id": request_id}


def biz_failure(msg_code: str, message: str, *, trace_id: str) -> dict[str, Any]:
    """A business refusal inside the method's envelope."""
    return {"biz_success": False, "msg_code": msg_code, "message": message, "trace_id": trace_id}
