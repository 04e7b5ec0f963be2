"""The Lazada sandbox's product calls over the shared listing store.

Each product holds the SKUs it was created with (our client sends one per variant); its
record keeps the wire fields as Lazada returns them from `products/get`. Rules are those of
connectors/lazada/rules.py, so the sandbox rejects what the mapping reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from xml.etree import ElementTree

from connectors.lazada import api, rules
from connectors.sandbox import ListingStore

IMAGE_HOST = "https://vn-sandbox.slatic.example/p/"  # ours: where "migrated" images live
REQUIRED_ATTRIBUTE = "warranty_type"  # ours: every sandbox category requires it


class Failure(Exception):
    """An error answer: Lazada's type, code, message and optional per-field detail."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: api.ErrorType = "ISV",
        detail: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.kind, self.detail = code, message, kind, detail


Handler = Callable[[str, dict[str, str]], Awaitable[dict[str, Any]]]


def _payload(params: dict[str, str]) -> dict[str, Any]:
    try:
        product = json.loads(params["payload"])["Request"]["Product"]
    except (KeyError, TypeError, ValueError):
        raise Failure(
            api.MISSING_PARAMETER, "payload must be JSON {Request: {Product: …}}"
        ) from None
    if not isinstance(product, dict):
        raise Failure(api.MISSING_PARAMETER, "Request.Product must be an object")
    return product


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _rejected(problems: list[rules.Problem]) -> Failure:
    detail = [{"field": p.field, "message": p.message} for p in problems]
    return Failure(api.VALIDATION_FAILED, "The product failed validation", detail=detail)


class Products:
    """Handlers for the product and image paths, keyed by API path."""

    def __init__(self, store: ListingStore, categories: frozenset[str]) -> None:
        self.store = store
        self.categories = categories
        self.handlers: dict[str, Handler] = {
            api.PRODUCT_CREATE: self.create,
            api.PRODUCT_UPDATE: self.update,
            api.PRICE_QUANTITY_UPDATE: self.price_quantity,
            api.PRODUCT_DEACTIVATE: self.deactivate,
            api.PRODUCTS_GET: self.get,
            api.IMAGE_MIGRATE: self.migrate_image,
        }

    async def create(self, seller: str, params: dict[str, str]) -> dict[str, Any]:
        """`/product/create`: a new product with one SKU (a known SellerSku is a duplicate)."""
        product = _payload(params)
        skus = _as_list((product.get("Skus") or {}).get("Sku"))
        if len(skus) != 1 or not isinstance(skus[0], dict) or not skus[0].get("SellerSku"):
            raise Failure(
                api.VALIDATION_FAILED, "this sandbox takes exactly one Sku with a SellerSku"
            )
        item_id = self.store.new_id()
        sku = {**skus[0], "SkuId": int(item_id) * 10, "Status": "active"}
        record = {
            "primary_category": str(product.get("PrimaryCategory") or ""),
            "attributes": dict(product.get("Attributes") or {}),
            "images": _as_list((product.get("Images") or {}).get("Image")),
            "skus": [sku],
        }
        self._check(record)
        self.store.seller(seller).create(item_id, str(sku["SellerSku"]), record)
        self.store.counters["writes"] += 1
        return {
            "item_id": int(item_id),
            "sku_list": [
                {
                    "seller_sku": sku["SellerSku"],
                    "sku_id": sku["SkuId"],
                    "shop_sku": f"{item_id}_VNAMZ",
                }
            ],
        }

    async def update(self, seller: str, params: dict[str, str]) -> dict[str, Any]:
        """`/product/update`: fields given replace or merge, SKUs matched by SellerSku."""
        product = _payload(params)
        record = self._product(seller, product.get("ItemId"))
        changed = json.loads(json.dumps(record))  # checked before anything is stored
        if "PrimaryCategory" in product:
            changed["primary_category"] = str(product["PrimaryCategory"])
        if "Images" in product:
            changed["images"] = _as_list((product["Images"] or {}).get("Image"))
        changed["attributes"].update(product.get("Attributes") or {})  # Lazada merges them
        by_sku = {sku["SellerSku"]: sku for sku in changed["skus"]}
        for given in _as_list((product.get("Skus") or {}).get("Sku")):
            sku = by_sku.get(given.get("SellerSku")) if isinstance(given, dict) else None
            if sku is None:
                raise Failure(api.PRODUCT_NOT_FOUND, f"SellerSku {given!r} is not in this product")
            status = given.get("Status", sku["Status"])
            if status not in ("active", "inactive"):
                raise Failure(
                    api.VALIDATION_FAILED, f"Status must be active or inactive, got {status!r}"
                )
            sku.update(given)
        self._check(changed)
        record.update(changed)
        self.store.counters["writes"] += 1
        return {}

    async def price_quantity(self, seller: str, params: dict[str, str]) -> dict[str, Any]:
        """`/product/price_quantity/update`: at most 50 SKUs; failed ones in `detail`."""
        skus = _as_list((_payload(params).get("Skus") or {}).get("Sku"))
        if not skus or len(skus) > api.PRICE_QUANTITY_MAX:
            raise Failure(
                api.VALIDATION_FAILED, f"Skus must hold 1 to {api.PRICE_QUANTITY_MAX} Sku"
            )
        detail = []
        for given in skus:
            seller_sku = str(given.get("SellerSku") or "") if isinstance(given, dict) else ""
            try:
                self._price_quantity_one(seller, given)
            except Failure as failure:
                detail.append(
                    {
                        "seller_sku": seller_sku or "?",
                        "code": failure.code,
                        "field": "SellerSku",
                        "message": failure.message,
                    }
                )
        self.store.counters["writes"] += 1
        if detail:
            raise Failure(api.VALIDATION_FAILED, "Some SKUs were not updated", detail=detail)
        return {}

    def _price_quantity_one(self, seller: str, given: Any) -> None:
        if not isinstance(given, dict):
            raise Failure(api.VALIDATION_FAILED, "each Sku must be an object")
        record = self._product(seller, given.get("ItemId"))
        sku = next((s for s in record["skus"] if s["SellerSku"] == given.get("SellerSku")), None)
        if sku is None:
            raise Failure(api.PRODUCT_NOT_FOUND, f"SellerSku {given.get('SellerSku')!r} not found")
        price, quantity = given.get("Price"), given.get("Quantity")
        problems = []
        if price is not None:
            problems.append(rules.price_problem(_int(price)))
        if quantity is not None:
            problems.append(rules.stock_problem(_int(quantity)))
        first = next((p for p in problems if p is not None), None)
        if first is not None:
            raise Failure(api.VALIDATION_FAILED, first.message)
        if price is not None:
            sku["price"] = str(price)
        if quantity is not None:
            sku["quantity"] = str(quantity)

    async def deactivate(self, seller: str, params: dict[str, str]) -> dict[str, Any]:
        """`/product/deactivate`: the SKUs named (or all) go inactive; the product stays."""
        product = _payload(params)
        record = self._product(seller, product.get("ItemId"))
        named = {str(s) for s in _as_list((product.get("Skus") or {}).get("SellerSku"))}
        for sku in record["skus"]:
            if not named or sku["SellerSku"] in named:
                sku["Status"] = "inactive"
        self.store.counters["writes"] += 1
        return {}

    async def get(self, seller: str, params: dict[str, str]) -> dict[str, Any]:
        """`/products/get`: filter all/live/inactive, `sku_seller_list`, offset and limit."""
        limit, offset = _int(params.get("limit", "20")), _int(params.get("offset", "0"))
        if limit is None or not 1 <= limit <= api.PRODUCTS_PAGE_MAX or offset is None or offset < 0:
            raise Failure(
                api.VALIDATION_FAILED, f"limit must be 1-{api.PRODUCTS_PAGE_MAX}, offset ≥ 0"
            )
        wanted: set[str] | None = None
        if params.get("sku_seller_list"):
            try:
                wanted = {str(s) for s in json.loads(params["sku_seller_list"])}
            except (TypeError, ValueError):
                raise Failure(
                    api.VALIDATION_FAILED, "sku_seller_list must be a JSON array"
                ) from None
            if len(wanted) > api.SKU_FILTER_MAX:
                raise Failure(api.VALIDATION_FAILED, f"at most {api.SKU_FILTER_MAX} seller SKUs")
        state = params.get("filter", "all")
        if state not in ("all", "live", "inactive"):
            raise Failure(
                api.VALIDATION_FAILED, f"filter {state!r} is not supported by the sandbox"
            )
        matches = [
            record
            for record in self.store.seller(seller).listings.values()
            if (wanted is None or any(s["SellerSku"] in wanted for s in record["skus"]))
            and (state == "all" or self.store.is_active(record) == (state == "live"))
        ]
        page = matches[offset : offset + limit]
        return {"total_products": len(matches), "products": [_wire(r) for r in page]}

    async def migrate_image(self, seller: str, params: dict[str, str]) -> dict[str, Any]:
        """`/image/migrate`: a Lazada URL named after the image (here: its source URL's hash)."""
        try:
            url = (ElementTree.fromstring(params["payload"]).findtext("Image/Url") or "").strip()
        except (KeyError, ElementTree.ParseError):
            url = ""
        if not url.startswith(("http://", "https://")):
            raise Failure(api.VALIDATION_FAILED, "Request/Image/Url must be an http(s) URL")
        digest = hashlib.md5(url.encode()).hexdigest()  # a name, not security
        self.store.counters["images_migrated"] += 1
        return {"image": {"url": f"{IMAGE_HOST}{digest}.jpg", "hash_code": digest}}

    def _product(self, seller: str, item_id: object) -> dict[str, Any]:
        record = self.store.seller(seller).listings.get(str(item_id))
        if record is None:
            raise Failure(api.PRODUCT_NOT_FOUND, f"Product {item_id} not found")
        return record

    def _check(self, record: dict[str, Any]) -> None:
        images = record["images"]
        problems = rules.content_problems(
            record["primary_category"], record["attributes"], len(images)
        )
        if record["primary_category"] and record["primary_category"] not in self.categories:
            problems.append(rules.Problem("PrimaryCategory", "unknown category"))
        elif not record["attributes"].get(REQUIRED_ATTRIBUTE):
            problems.append(
                rules.Problem(REQUIRED_ATTRIBUTE, f"{REQUIRED_ATTRIBUTE} is required here")
            )
        if any(not str(url).startswith(IMAGE_HOST) for url in images):
            problems.append(rules.Problem("Images", "only Lazada image URLs: migrate them first"))
        for sku in record["skus"]:
            problems += rules.package_problems(sku)
            for problem in (
                rules.price_problem(_int(sku.get("price"))),
                rules.stock_problem(_int(sku.get("quantity"))),
            ):
                if problem is not None:
                    problems.append(problem)
        if problems:
            raise _rejected(problems)


def _wire(record: dict[str, Any]) -> dict[str, Any]:
    """A stored product as `products/get` shows it."""
    skus = [
        {**sku, "price": float(sku.get("price") or 0), "quantity": _int(sku.get("quantity"))}
        for sku in record["skus"]
    ]
    return {
        "item_id": int(record["id"]),
        "primary_category": int(record["primary_category"]),
        "attributes": record["attributes"],
        "images": record["images"],
        "skus": skus,
        "status": "Active" if any(s["Status"] == "active" for s in record["skus"]) else "InActive",
    }
