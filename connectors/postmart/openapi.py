"""OpenAPI 3.1 document of our Postmart partner-API contract (served at /openapi.json)."""

from __future__ import annotations

from typing import Any

from connectors.postmart import rules
from connectors.postmart.signing import MAX_SKEW_SECONDS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "INVALID_PRODUCT / INVALID_REQUEST / BATCH_TOO_LARGE"),
    "401": _json(_ref("Error"), "UNAUTHORIZED / TIMESTAMP_OUT_OF_WINDOW"),
    "429": {
        "description": "RATE_LIMITED; wait Retry-After seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": _ref("Error")}},
    },
    "500": _json(_ref("Error"), "INTERNAL (retry)"),
    "503": _json(_ref("Error"), "UNAVAILABLE (retry)"),
}
_NOT_FOUND = {"404": _json(_ref("Error"), "NOT_FOUND")}
_ONE = _json({"type": "object", "properties": {"data": _ref("Product")}})
_ID = [{"name": "product_id", "in": "path", "required": True, "schema": {"type": "string"}}]


def _op(summary: str, ok: dict[str, Any], body: dict[str, Any] | None = None, **more: Any) -> Any:
    op: dict[str, Any] = {"summary": summary, "responses": {**ok, **_ERRORS}, **more}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


_TEXT = {"type": "string", "minLength": 1}
_PRODUCT_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": sorted(rules.PAYLOAD_FIELDS - rules.OPTIONAL_FIELDS),
    "properties": {
        "seller_sku": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
        "name": {**_TEXT, "maxLength": rules.NAME_MAX},
        "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 200},
        "category_id": {**_TEXT, "description": "an id from GET /api/v1/categories"},
        "short_description": {**_TEXT, "maxLength": rules.SHORT_DESCRIPTION_MAX},
        "description": {**_TEXT, "maxLength": rules.DESCRIPTION_MAX},
        "images": {
            "type": "array",
            "minItems": rules.IMAGES_MIN,
            "maxItems": rules.IMAGES_MAX,
            "items": {"type": "string", "pattern": "^https://"},
        },
        "weight_g": {"type": "integer", "minimum": 1},
        "gtin": {"type": ["string", "null"], "description": "GTIN-8/12/13/14, valid check digit"},
        "origin": {
            "type": "object",
            "required": ["province", "address"],
            "properties": {"province": _TEXT, "commune": {"type": "string"}, "address": _TEXT},
        },
        "producer": {
            "type": "object",
            "required": ["name", "type"],
            "properties": {"name": _TEXT, "type": {"enum": list(rules.PRODUCER_TYPES)}},
        },
        "ocop": {
            "type": ["object", "null"],
            "required": ["stars", "group", "certificate_no", "issuer", "valid_until"],
            "properties": {
                "stars": {"type": "integer", "minimum": 3, "maximum": 5},
                "group": _TEXT,
                "product_set": {"type": ["string", "null"]},
                "criteria": {"type": "string"},
                "certificate_no": _TEXT,
                "certificate_date": {"type": "string", "format": "date"},
                "issuer": _TEXT,
                "valid_until": {"type": "string", "format": "date", "description": "not past"},
            },
        },
        "attributes": {"type": ["object", "null"]},
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "price": {"type": "integer", "minimum": rules.PRICE_MIN, "maximum": rules.PRICE_MAX},
        "stock": {"type": "integer", "minimum": 0, "maximum": rules.STOCK_MAX},
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Postmart partner API (ocop-sync contract, sandbox)",
        "version": "1.0",
        "description": (
            "Not a published Postmart API: our partner-API contract, see "
            "docs/marketplaces/postmart.md. Every request is signed: X-Api-Key, X-Timestamp "
            "(Unix seconds, within ±" + str(MAX_SKEW_SECONDS) + " s of the server clock) "
            "and X-Signature = hex(HMAC-SHA256(api_secret, METHOD \\n canonical_path \\n "
            "timestamp \\n sha256_hex(body)))."
        ),
    },
    "components": {
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "timestamp": {"type": "apiKey", "in": "header", "name": "X-Timestamp"},
            "signature": {"type": "apiKey", "in": "header", "name": "X-Signature"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "object"}},
                    "server_time": {"type": "integer", "description": "with the clock error"},
                },
            },
            "ProductBody": _PRODUCT_BODY,
            "Product": {
                "allOf": [
                    _ref("ProductBody"),
                    {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "status": {"enum": ["published", "unpublished"]},
                            "created_at": {"type": "string", "format": "date-time"},
                            "updated_at": {"type": "string", "format": "date-time"},
                        },
                    },
                ]
            },
        },
    },
    "security": [{"apiKey": [], "timestamp": [], "signature": []}],
    "paths": {
        "/api/v1/categories": {"get": _op("Category tree", {"200": _json({"type": "object"})})},
        "/api/v1/products": {
            "get": _op(
                "List products, oldest first, cursor-paged",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "data": {"type": "array", "items": _ref("Product")},
                                "next_cursor": {"type": ["string", "null"]},
                            },
                        }
                    )
                },
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
            ),
            "post": _op("Create a product", {"201": _ONE}, _ref("ProductBody")),
        },
        "/api/v1/products/lookup": {
            "get": _op(
                "The product with this seller SKU",
                {"200": _ONE, **_NOT_FOUND},
                parameters=[
                    {
                        "name": "seller_sku",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        "/api/v1/products/batch-update": {
            "post": _op(
                f"Price and/or stock of up to {rules.BATCH_MAX} products; one result per item",
                {"200": _json({"type": "object"})},
                {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "maxItems": rules.BATCH_MAX,
                            "items": {
                                "type": "object",
                                "required": ["product_id"],
                                "properties": {
                                    "product_id": {"type": "string"},
                                    "price": {"type": "integer"},
                                    "stock": {"type": "integer"},
                                },
                            },
                        }
                    },
                },
            )
        },
        "/api/v1/products/{product_id}": {
            "get": _op("One product", {"200": _ONE, **_NOT_FOUND}, parameters=_ID),
            "put": _op(
                "Full update", {"200": _ONE, **_NOT_FOUND}, _ref("ProductBody"), parameters=_ID
            ),
        },
        "/api/v1/products/{product_id}/price": {
            "patch": _op(
                "Set the price (VND)",
                {"200": _ONE, **_NOT_FOUND},
                {
                    "type": "object",
                    "required": ["price"],
                    "properties": {"price": _PRODUCT_BODY["properties"]["price"]},
                },
                parameters=_ID,
            )
        },
        "/api/v1/products/{product_id}/inventory": {
            "patch": _op(
                "Set the stock",
                {"200": _ONE, **_NOT_FOUND},
                {
                    "type": "object",
                    "required": ["stock"],
                    "properties": {"stock": _PRODUCT_BODY["properties"]["stock"]},
                },
                parameters=_ID,
            )
        },
        "/api/v1/products/{product_id}/status": {
            "patch": _op(
                "Publish (relist) or unpublish (delist)",
                {"200": _ONE, **_NOT_FOUND},
                {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"enum": ["published", "unpublished"]}},
                },
                parameters=_ID,
            )
        },
    },
}
