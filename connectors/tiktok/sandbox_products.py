"""The TikTok sandbox's product endpoints: create, edit, detail, search with page tokens,
price and inventory updates, activate and deactivate, image upload, and the audit.

A created or edited product is PENDING until the sandbox clock passes its audit time
(`/_sandbox/audit` sets how long; 0 by default, so products pass at once), then ACTIVATE,
or FAILED when its text makes a medical claim (ours: TikTok Shop Vietnam refuses health
claims on food; the sandbox stands for that review with a word list).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from connectors.sandbox import ListingStore
from connectors.tiktok import api
from connectors.tiktok.rules import (
    Problem,
    content_problems,
    price_problem,
    seller_sku_problem,
    stock_problem,
)
from connectors.tiktok.sandbox_auth import AuthState, Failure, warehouse_of

# Sandbox category tree (ids are ours; the real ids come from Get Categories per shop).
CATEGORIES: dict[str, str] = {
    "700437": "Thực phẩm & Đồ uống › Đặc sản vùng miền",
    "700438": "Thực phẩm & Đồ uống › Trà, cà phê",
    "700439": "Sức khỏe › Thảo dược",
    "700440": "Nhà cửa & Đời sống › Thủ công mỹ nghệ",
}
MEDICAL_CLAIMS = ("chữa bệnh", "chữa khỏi", "điều trị", "thần dược")
# Rule field -> the Create Product error code TikTok answers for it.
_CODES = {
    "title": 12052051,
    "description": 12052013,
    "category_id": 12052002,
    "main_images": 12052306,
    "package_weight": 12019011,
    "package_dimensions": 12019012,
    "product_attributes": 12052254,
    "seller_sku": 12052054,
    "price": 12052073,
    "stock": 12052055,
}


@dataclass
class Audit:
    """How long the sandbox's review takes, in sandbox-clock seconds."""

    seconds: float = 0.0


@dataclass
class Images:
    """Uploaded images per seller: URI -> content hash; uploads counted."""

    by_seller: dict[str, dict[str, str]] = field(default_factory=dict)
    uploads: int = 0


def reject(problem: Problem) -> Failure:
    """The envelope failure of a broken rule."""
    return Failure(_CODES.get(problem.field, 12052910), problem.message)


def not_found(product_id: str) -> Failure:
    """TikTok's answer for an unknown product id."""
    return Failure(api.PRODUCT_NOT_FOUND, f"The product ID does not exist: {product_id}", 404)


class Products:
    """The product endpoints over one ListingStore (records are TikTok products)."""

    def __init__(self, store: ListingStore, auth: AuthState, audit: Audit, images: Images) -> None:
        self.store, self.auth, self.audit, self.images = store, auth, audit, images

    # -- writes -----------------------------------------------------------------------------
    def create(self, seller: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create Product: validate, store as PENDING (in audit), answer ids."""
        record = self._validated(seller, body)
        product_id, sku_id = self.store.new_id(), self.store.new_id()
        record.update(sku_id=sku_id, deactivated=False, create_time=int(self.auth.now()))
        self._submit(record)
        self.store.seller(seller).create(product_id, record["seller_sku"], record)
        self.store.counters["writes"] += 1
        return {
            "product_id": product_id,
            "skus": [{"id": sku_id, "seller_sku": record["seller_sku"]}],
            "warnings": [],
        }

    def edit(self, seller: str, product_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Edit Product: full replacement, audited again."""
        record = self._product(seller, product_id)
        update = self._validated(seller, body)
        sku_ids = [s.get("id") for s in body.get("skus") or [] if s.get("id")]
        if sku_ids and sku_ids[0] != record["sku_id"]:
            raise Failure(12052910, f"SKU {sku_ids[0]} does not belong to product {product_id}")
        update.pop("seller_sku")  # the SKU keeps its seller_sku (and its binding)
        record.update(update)
        self._submit(record)
        self.store.counters["writes"] += 1
        return {
            "product_id": product_id,
            "skus": [{"id": record["sku_id"], "seller_sku": record["seller_sku"]}],
        }

    def update_price(self, seller: str, product_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Update Price of the product's SKU."""
        record = self._product(seller, product_id)
        for sku in body.get("skus") or []:
            self._own_sku(record, sku)
            price = sku.get("price") or {}
            if price.get("currency") != api.CURRENCY:
                raise Failure(
                    12052084, "The provided currency is not available for this shop/region"
                )
            if (problem := price_problem(price.get("amount"))) is not None:
                raise reject(problem)
            record["price"] = str(price["amount"])
        self.store.counters["writes"] += 1
        return {}

    def update_inventory(
        self, seller: str, product_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Update Inventory: per-SKU failures come back in `errors`, the rest is applied."""
        record = self._product(seller, product_id)
        errors: list[dict[str, Any]] = []
        for sku in body.get("skus") or []:
            self._own_sku(record, sku)
            for entry in sku.get("inventory") or []:
                if entry.get("warehouse_id", warehouse_of(seller)) != warehouse_of(seller):
                    errors.append(
                        _error(
                            12052530,
                            "The warehouse does not belong to this shop/seller.",
                            sku_id=sku["id"],
                        )
                    )
                elif (problem := stock_problem(entry.get("quantity"))) is not None:
                    errors.append(_error(12052055, problem.message, sku_id=sku["id"]))
                else:
                    record["stock"] = entry["quantity"]
        self.store.counters["writes"] += 1
        return {"errors": errors} if errors else {}

    def switch(self, seller: str, body: dict[str, Any], active: bool) -> dict[str, Any]:
        """Activate / Deactivate Products (at most 20 ids); unknown ids come back in `errors`."""
        ids = [str(i) for i in body.get("product_ids") or []]
        if not 1 <= len(ids) <= api.ACTIVATE_MAX:
            raise Failure(12052910, f"product_ids must hold 1 to {api.ACTIVATE_MAX} product ids")
        errors = []
        for product_id in ids:
            record = self.store.seller(seller).listings.get(product_id)
            if record is None:
                errors.append(
                    _error(
                        api.PRODUCT_NOT_FOUND,
                        "The product ID does not exist",
                        product_id=product_id,
                    )
                )
            else:
                record["deactivated"] = not active
        self.store.counters["writes"] += 1
        return {"errors": errors} if errors else {}

    def upload_image(self, seller: str, content_type: str, body: bytes) -> dict[str, Any]:
        """Upload Product Image (multipart `data`): a new URI for every upload, as TikTok."""
        data = _multipart_file(content_type, body, "data")
        if not data:
            raise Failure(api.INVALID_CREDENTIALS, "invalid param error: data is required")
        self.images.uploads += 1
        uri = f"tos-sbx-vn/{hashlib.sha256(data).hexdigest()[:24]}-{self.images.uploads}"
        self.images.by_seller.setdefault(seller, {})[uri] = hashlib.sha256(data).hexdigest()
        return {
            "uri": uri,
            "url": f"https://sandbox.invalid/{uri}",
            "width": 800,
            "height": 800,
            "use_case": api.MAIN_IMAGE,
        }

    # -- reads ------------------------------------------------------------------------------
    def detail(self, seller: str, product_id: str) -> dict[str, Any]:
        """Get Product."""
        record = self._product(seller, product_id)
        view = {
            **self.summary(record),
            "description": record["description"],
            "category_chains": [
                {
                    "id": record["category_id"],
                    "parent_id": "0",
                    "local_name": CATEGORIES[record["category_id"]],
                    "is_leaf": True,
                }
            ],
            "main_images": [
                {"uri": u, "urls": [f"https://sandbox.invalid/{u}"], "width": 800, "height": 800}
                for u in record["main_images"]
            ],
            "package_weight": record["package_weight"],
            "product_attributes": [
                {**a, "name": f"attribute {a['id']}"} for a in record["product_attributes"]
            ],
        }
        if record.get("package_dimensions"):
            view["package_dimensions"] = record["package_dimensions"]
        if view["status"] == api.STATUS_FAILED:
            view["audit_failed_reasons"] = record["audit_failed_reasons"]
        return view

    def search(self, seller: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        """Search Products: filter by seller SKUs and status, pages behind opaque tokens."""
        try:
            size = int(params.get("page_size", ""))
        except ValueError:
            size = 0
        if not 1 <= size <= api.SEARCH_PAGE_MAX:
            raise Failure(12052910, f"page_size must be 1 to {api.SEARCH_PAGE_MAX}")
        start = _offset(params.get("page_token"), seller)
        wanted = set(body.get("seller_skus") or [])
        status = body.get("status")
        found = [
            self.summary(record)
            for record in self.store.seller(seller).listings.values()
            if (not wanted or record["seller_sku"] in wanted)
        ]
        found = [p for p in found if status in (None, "ALL", p["status"])]
        page = found[start : start + size]
        more = start + size < len(found)
        return {
            "products": page,
            "total_count": len(found),
            "next_page_token": _token(start + size, seller) if more else "",
        }

    def summary(self, record: dict[str, Any]) -> dict[str, Any]:
        """A product as Search Products lists it."""
        return {
            "id": record["id"],
            "title": record["title"],
            "status": self.status(record),
            "skus": [
                {
                    "id": record["sku_id"],
                    "seller_sku": record["seller_sku"],
                    "price": {
                        "currency": api.CURRENCY,
                        "tax_exclusive_price": record["price"],
                        "sale_price": record["price"],
                    },
                    "inventory": [
                        {"warehouse_id": record["warehouse_id"], "quantity": record["stock"]}
                    ],
                }
            ],
            "create_time": record["create_time"],
            "update_time": record.get("update_time", record["create_time"]),
        }

    def status(self, record: dict[str, Any]) -> str:
        """The product's status on the sandbox clock."""
        if self.auth.now() < record["audit_until"]:
            return api.STATUS_PENDING
        if record["audit_failed_reasons"]:
            return api.STATUS_FAILED
        return api.STATUS_SELLER_DEACTIVATED if record.get("deactivated") else api.STATUS_LIVE

    # -- helpers ----------------------------------------------------------------------------
    def _validated(self, seller: str, body: dict[str, Any]) -> dict[str, Any]:
        for problem in content_problems(body):
            raise reject(problem)
        if body["category_id"] not in CATEGORIES:
            raise Failure(12052023, "Category does not exist")
        known = self.images.by_seller.get(seller, {})
        uris = [str(image.get("uri")) for image in body["main_images"]]
        if any(uri not in known for uri in uris):
            raise Failure(12052722, "The image URI does not exist in TikTok Shop.")
        skus = body.get("skus") or []
        if len(skus) != 1:
            raise Failure(12052910, "this sandbox takes exactly one SKU per product")  # ours
        sku = skus[0]
        for broken in (
            seller_sku_problem(sku.get("seller_sku")),
            price_problem((sku.get("price") or {}).get("amount")),
            *(stock_problem(i.get("quantity")) for i in sku.get("inventory") or [{}]),
        ):
            if broken is not None:
                raise reject(broken)
        inventory = (sku.get("inventory") or [{}])[0]
        if inventory.get("warehouse_id") != warehouse_of(seller):
            raise Failure(
                12052530,
                f"The warehouse '{inventory.get('warehouse_id')}' does not belong to this shop.",
            )
        record = {k: body[k] for k in ("title", "description", "category_id", "package_weight")}
        record.update(
            main_images=uris,
            product_attributes=[
                {"id": str(a["id"]), "values": [{"name": v["name"]} for v in a["values"]]}
                for a in body.get("product_attributes") or []
            ],
            seller_sku=sku["seller_sku"],
            price=str(sku["price"]["amount"]),
            stock=inventory["quantity"],
            warehouse_id=inventory["warehouse_id"],
            update_time=int(self.auth.now()),
        )
        if body.get("package_dimensions"):
            record["package_dimensions"] = body["package_dimensions"]
        return record

    def _submit(self, record: dict[str, Any]) -> None:
        """Send a product to the audit: its end time and, when it will fail, why."""
        record["audit_until"] = self.auth.now() + self.audit.seconds
        text = f"{record['title']} {record['description']}".lower()
        claims = [claim for claim in MEDICAL_CLAIMS if claim in text]
        record["audit_failed_reasons"] = (
            [
                {
                    "position": "product description",
                    "reasons": [f"medical claim: {', '.join(claims)}"],
                    "suggestions": ["Remove health or cure claims from food products."],
                }
            ]
            if claims
            else []
        )

    def _product(self, seller: str, product_id: str) -> dict[str, Any]:
        record = self.store.seller(seller).listings.get(product_id)
        if record is None:
            raise not_found(product_id)
        return record

    @staticmethod
    def _own_sku(record: dict[str, Any], sku: dict[str, Any]) -> None:
        if str(sku.get("id")) != record["sku_id"]:
            raise Failure(
                12052910, f"SKU {sku.get('id')} does not belong to product {record['id']}"
            )


def _error(code: int, message: str, **detail: str) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail}


def _token(offset: int, seller: str) -> str:
    raw = json.dumps({"o": offset, "s": seller}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str | None, seller: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["s"] == seller and int(data["o"]) >= 0:
            return int(data["o"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        pass
    raise Failure(12052910, "page_token is invalid")


def _multipart_file(content_type: str, body: bytes, name: str) -> bytes | None:
    """One file part of a multipart body (parsed here so the sandbox needs no extra package)."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None
