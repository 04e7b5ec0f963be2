"""OpenAPI description of the Alibaba.com sandbox (served at /openapi.json).

TOP has one gateway path; the `method` query parameter selects the call. Methods marked
"ours" are our contract, not documented public ICBU methods.
"""

from __future__ import annotations

from typing import Any

from connectors.alibaba import top

_METHODS: dict[str, str] = {
    top.PRODUCT_ADD: "product (JSON: subject, category_id, language, keywords, description, "
    "attributes, min_order_quantity, unit, main_image.images[photobank URLs], sku_code, "
    "price, stock) -> product_id. Never retried blindly: look the sku_code up first.",
    top.PRODUCT_UPDATE: "product_id, product (as for add; full replacement) -> product_id",
    top.PRODUCT_UPDATE_FIELD: "product_id, update_fields (JSON: price and/or stock) -> product_id",
    top.PRODUCT_DISPLAY: "product_ids (comma-separated, ≤ 50), display (on|off) -> "
    "results[{product_id, success, sub_code?, sub_msg?}]",
    top.PHOTOBANK_UPLOAD: "file_name (query) + image_bytes (multipart file, unsigned) or "
    "image_url (ours, sandbox only) -> url, file_name, photo_id",
    top.PHOTOBANK_LIST: "current_page, page_size (≤ 50) -> photos[{photo_id, file_name, url}], "
    "total_item",
    top.PRODUCT_GET: "ours: product_id or sku_code -> product; unknown -> isv.product-not-exist",
    top.PRODUCT_LIST: "ours: current_page, page_size (≤ 50) -> products[], total_item",
    top.PRODUCT_BATCH_FIELD: "ours: updates (JSON list ≤ 50 of {product_id, price?, stock?}) "
    "-> results[{product_id, success, sub_code?, sub_msg?}] in order",
}

_SYSTEM = {
    "method": "the API method, e.g. alibaba.icbu.product.add",
    "app_key": "application key (sandbox: ak-<seller>)",
    "session": "seller authorisation (sandbox: session-<seller>)",
    "timestamp": "yyyy-MM-dd HH:mm:ss in GMT+8, within 10 minutes of server time",
    "format": "json",
    "v": "2.0",
    "sign_method": "md5 | hmac | hmac-sha256",
    "sign": "uppercase hex signature over every text parameter (query and body) but sign",
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Alibaba.com (ICBU) TOP gateway - ocop-sync sandbox",
        "version": "2.0",
        "description": "See docs/marketplaces/alibaba.md. Errors are HTTP 200 bodies "
        '{"error_response": {code, msg, sub_code, sub_msg, request_id}}; throttling is code 7 '
        '"App Call Limited" with sub_msg "This ban will last N more seconds".',
    },
    "paths": {
        top.GATEWAY_PATH: {
            "post": {
                "summary": "Call one TOP method",
                "parameters": [
                    {
                        "name": name,
                        "in": "query",
                        "required": name != "session",
                        "description": text,
                        "schema": {
                            "type": "string",
                            **({"enum": list(_METHODS)} if name == "method" else {}),
                        },
                    }
                    for name, text in _SYSTEM.items()
                ],
                "requestBody": {
                    "description": "Business parameters of the method (form fields; multipart "
                    "for photobank.upload).",
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "multipart/form-data": {"schema": {"type": "object"}},
                    },
                },
                "responses": {
                    "200": {
                        "description": "{<method with _ for .>_response: {...}} or "
                        "{error_response: {...}}",
                    },
                    "503": {"description": "gateway outage (code 10, retriable)"},
                },
                "x-methods": _METHODS,
            }
        }
    },
}
