"""OpenAPI document of our Voso partner-API contract (served by the sandbox at /openapi.json).

Voso publishes no seller API; this is the contract ocop-sync speaks (docs/marketplaces/
voso.md), written in Viettel Post's house style. Limits come from connectors/voso/rules.py.
"""

from __future__ import annotations

from typing import Any

from connectors.voso.rules import (
    BATCH_MAX,
    DESCRIPTION_MAX,
    IMAGES_MAX,
    IMAGES_MIN,
    PAGE_SIZE_MAX,
    PRICE_MAX,
    PRICE_MIN,
    PRICE_STEP,
    SLUG_MAX,
    STOCK_MAX,
    TITLE_MAX,
    TITLE_MIN,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status", "error", "message", "data"],
        "properties": {
            "status": {"type": "integer"},
            "error": {"const": False},
            "message": {"type": "string"},
            "data": data,
        },
    }


def _answer(description: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _envelope(data)}},
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    code: {"$ref": f"#/components/responses/{name}"}
    for code, name in (
        ("400", "Rejected"),
        ("401", "Unauthorized"),
        ("404", "NotFound"),
        ("429", "Throttled"),
        ("500", "ServerError"),
        ("503", "ServerError"),
    )
}

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

_PRICE = {"type": "integer", "minimum": PRICE_MIN, "maximum": PRICE_MAX, "multipleOf": PRICE_STEP}
_STOCK = {"type": "integer", "minimum": 0, "maximum": STOCK_MAX}

_CONTENT_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": TITLE_MIN, "maxLength": TITLE_MAX},
    "slug": {"type": "string", "maxLength": SLUG_MAX, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
    "description": {"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX},
    "category_id": {"type": "string", "description": "From GET /v2/seller/categories"},
    "images": {
        "type": "array",
        "minItems": IMAGES_MIN,
        "maxItems": IMAGES_MAX,
        "items": {"type": "string", "pattern": "^https://"},
        "description": "The first image is the cover",
    },
    "weight_g": {"type": "integer", "minimum": 1, "description": "Shipping weight in grams"},
    "attributes": {
        "type": "object",
        "description": "Codes [a-z][a-z0-9_]*; string or integer values",
        "properties": {
            "ocop_stars": {"type": "integer", "minimum": 1, "maximum": 5},
            "ocop_certificate_no": {"type": "string", "examples": ["2166/QĐ-UBND"]},
            "ocop_certificate_date": {"type": "string", "format": "date"},
            "ocop_valid_until": {"type": "string", "format": "date"},
            "ocop_group": {"type": "string"},
            "producer": {"type": "string"},
            "origin": {"type": "string"},
            "net_quantity": {"type": "string"},
            "gtin": {"type": "string"},
        },
        "additionalProperties": {"type": ["string", "integer"]},
    },
}
_CONTENT_REQUIRED = ["name", "slug", "description", "category_id", "images", "weight_g"]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Voso seller partner API (ocop-sync contract)",
        "version": "2.0",
        "description": (
            "Our partner-API contract for Voso (voso.vn, Viettel Post), in Viettel Post's house "
            "style. Not published by Viettel Post. Login gives a token sent in the `Token` "
            'header; errors are {"error": true, "message": ...}; throttling is HTTP 429 '
            "with Retry-After."
        ),
    },
    "components": {
        "securitySchemes": {"Token": {"type": "apiKey", "in": "header", "name": "Token"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["status", "error", "message"],
                "properties": {
                    "status": {"type": "integer"},
                    "error": {"const": True},
                    "message": {"type": "string", "examples": ["Tên sản phẩm vượt quá 120 ký tự"]},
                },
            },
            "ProductInput": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sku", "price", "stock", *_CONTENT_REQUIRED],
                "properties": {
                    "sku": {"type": "string", "maxLength": 64},
                    "price": _PRICE,
                    "stock": _STOCK,
                    **_CONTENT_PROPERTIES,
                },
            },
            "Product": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "sku": {"type": "string"},
                    "price": _PRICE,
                    "stock": _STOCK,
                    "status": {"enum": ["active", "inactive"]},
                    **_CONTENT_PROPERTIES,
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                },
            },
            "BatchResult": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "sku": {"type": "string"},
                    "error": {"type": "boolean"},
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                },
            },
        },
        "responses": {
            name: {
                "description": text,
                "content": {"application/json": {"schema": _ref("Error")}},
                **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}} if retry else {}),
            }
            for name, text, retry in (
                ("Rejected", "A listing rule is broken; the message says which", False),
                ("Unauthorized", "Missing, invalid or expired token; wrong credentials", False),
                ("NotFound", "No such product for this seller", False),
                ("Throttled", "Too many requests: wait Retry-After seconds", True),
                ("ServerError", "Transient: retry with backoff", True),
            )
        },
    },
    "security": [{"Token": []}],
    "paths": {
        "/v2/user/Login": {
            "post": {
                "summary": "Log in; the token goes in the Token header of every other call",
                "security": [],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["USERNAME", "PASSWORD"],
                        "properties": {
                            "USERNAME": {"type": "string"},
                            "PASSWORD": {"type": "string"},
                        },
                    }
                ),
                "responses": {
                    "200": _answer(
                        "Token and its lifetime in seconds",
                        {
                            "type": "object",
                            "properties": {
                                "token": {"type": "string"},
                                "expires_in": {"type": "number"},
                            },
                        },
                    ),
                    **_ERRORS,
                },
            }
        },
        "/v2/seller/categories": {
            "get": {
                "summary": "The category tree (ids for category_id)",
                "responses": {"200": _answer("Categories", {"type": "array"}), **_ERRORS},
            }
        },
        "/v2/seller/products": {
            "get": {
                "summary": "List products page by page, or find the products of one seller SKU",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {
                        "name": "size",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX},
                    },
                    {"name": "sku", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _answer(
                        "One page",
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": _ref("Product")},
                                "page": {"type": "integer"},
                                "size": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        },
                    ),
                    **_ERRORS,
                },
            },
            "post": {
                "summary": "Create a product (active). Not idempotent: look the SKU up first",
                "requestBody": _body(_ref("ProductInput")),
                "responses": {"201": _answer("Created", _ref("Product")), **_ERRORS},
            },
        },
        "/v2/seller/products/batch-price-stock": {
            "post": {
                "summary": f"Price and/or stock of up to {BATCH_MAX} products; partial success",
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {
                            "items": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": BATCH_MAX,
                                "items": {
                                    "type": "object",
                                    "required": ["id"],
                                    "properties": {
                                        "id": {"type": "string"},
                                        "price": _PRICE,
                                        "stock": _STOCK,
                                    },
                                },
                            }
                        },
                    }
                ),
                "responses": {
                    "200": _answer(
                        "One result per item, in order",
                        {
                            "type": "object",
                            "properties": {
                                "results": {"type": "array", "items": _ref("BatchResult")}
                            },
                        },
                    ),
                    **_ERRORS,
                },
            }
        },
        "/v2/seller/products/{id}": {
            "parameters": [_ID],
            "get": {
                "summary": "One product",
                "responses": {"200": _answer("The product", _ref("Product")), **_ERRORS},
            },
            "put": {
                "summary": "Replace content, price and stock (fields left out are cleared)",
                "requestBody": _body(_ref("ProductInput")),
                "responses": {"200": _answer("Updated", _ref("Product")), **_ERRORS},
            },
        },
        **{
            f"/v2/seller/products/{{id}}/{field}": {
                "parameters": [_ID],
                "patch": {
                    "summary": summary,
                    "requestBody": _body(
                        {"type": "object", "required": [field], "properties": {field: schema}}
                    ),
                    "responses": {"200": _answer("Updated", _ref("Product")), **_ERRORS},
                },
            }
            for field, summary, schema in (
                ("price", "Price only", _PRICE),
                ("stock", "Stock only", _STOCK),
                (
                    "status",
                    "Delist (inactive) or relist (active)",
                    {"enum": ["active", "inactive"]},
                ),
            )
        },
    },
}
