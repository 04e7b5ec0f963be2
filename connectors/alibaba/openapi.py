"""OpenAPI description of the Alibaba.com sandbox (served at /openapi.json).

The `/sync` gateway has one path; the `method` parameter selects the call. Parameters
marked "ours" are our contract where the platform documents none.
"""

from __future__ import annotations

from typing import Any

from connectors.alibaba import api

_PUBLISH = "param_product_top_publish_request (JSON: cat_id, language en_US"
_METHODS: dict[str, str] = {
    api.SCHEMA_RENDER: f"{_PUBLISH}) -> biz_success, data (the category's rendered <itemSchema>)",
    api.SCHEMA_ADD: f"{_PUBLISH}, xml <itemSchema>) -> biz_success, product_id. Never retried "
    "blindly: look the skuCode up first.",
    api.SCHEMA_UPDATE: f"{_PUBLISH}, product_id, xml: a whole or partial <itemSchema>, or "
    "<product><product_id/><display>Y|N</display></product>) -> biz_success, product_id; "
    f"{api.IN_AUDIT} while the product is under review",
    api.PRODUCT_LIST: "current_page, page_size (≤ 30), sku_code (ours) -> products[{product_id, "
    "subject, category_id, display, status, gmt_modified, sku_code (ours)}], total_item",
    api.PRODUCT_GET: "product_id -> product {subject, keywords, description, main_image.images, "
    "attributes, wholesale_trade {price, unit_type, min_order_quantity, ladder_prices, "
    "deliver_periods}, status, display, sku_code (ours), inventory (ours), audit_reason (ours)}",
    api.PHOTOBANK_UPLOAD: "file_name (query) + image_bytes (multipart file, unsigned) -> "
    "file_id, photobank_url, file_name",
    api.PHOTOBANK_LIST: "current_page, page_size (≤ 50) -> photos[{file_id, file_name, "
    "photobank_url}], total_item",
    api.LEGACY_ADD: "refused: InsufficientPermission (use schema.add)",
    api.LEGACY_UPDATE: "refused: the API is offline (use schema.update)",
}

_SYSTEM = {
    "method": "the API method, e.g. alibaba.icbu.product.schema.add",
    "app_key": "application key (sandbox: ak-<seller>)",
    "session": "the seller's OAuth access token",
    "timestamp": "milliseconds since the epoch, within 600 s of server time",
    "format": "json",
    "v": "2.0",
    "sign_method": "sha256",
    "sign": "uppercase hex HMAC-SHA256 over name+value of every text parameter but sign, sorted",
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Alibaba.com (ICBU Open Platform) - ocop-sync sandbox",
        "version": "2.0",
        "description": "See docs/marketplaces/alibaba.md. Gateway errors are "
        '{"error_response": {type, code, msg, request_id}}; throttling is ApiCallLimit with '
        '"This ban will last N more seconds"; business refusals are {"<method>_response": '
        '{"biz_success": false, "msg_code", "message"}}.',
    },
    "paths": {
        api.SYNC_PATH: {
            "post": {
                "summary": "Call one method",
                "parameters": [
                    {
                        "name": name,
                        "in": "query",
                        "required": True,
                        "description": text,
                        "schema": {
                            "type": "string",
                            **({"enum": list(_METHODS)} if name == "method" else {}),
                        },
                    }
                    for name, text in _SYSTEM.items()
                ],
                "requestBody": {
                    "description": "Business parameters (form fields; multipart for "
                    "photobank.upload).",
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "multipart/form-data": {"schema": {"type": "object"}},
                    },
                },
                "responses": {"200": {"description": "{<method with _ for .>_response: {...}}"}},
                "x-methods": _METHODS,
            }
        },
        api.REST_PREFIX + api.TOKEN_CREATE: {
            "post": {
                "summary": "code -> access_token, refresh_token, expires_in, refresh_expires_in "
                "(signed with the path in front)",
            }
        },
        api.REST_PREFIX + api.TOKEN_REFRESH: {
            "post": {"summary": "refresh_token -> a new pair (the old refresh token is spent)"}
        },
    },
}
