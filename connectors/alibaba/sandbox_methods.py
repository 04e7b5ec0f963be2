"""The business methods of the Alibaba.com sandbox: products and the photobank.

Each handler takes the seller and the request's text and file parameters and returns the
body under `<method>_response`, or raises `TopFailure` with the TOP error to answer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from connectors.alibaba import top
from connectors.alibaba.rules import Problem, content_problems, price_problem, stock_problem
from connectors.alibaba.signing import timestamp
from connectors.sandbox import ListingStore

# Product fields a seller may send (ours, modelled on ICBU's product schema).
CONTENT_FIELDS = frozenset(
    {"subject", "category_id", "language", "keywords", "description", "attributes",
     "min_order_quantity", "unit"}
)  # fmt: skip
PHOTOBANK_HOST = "https://sc04.alicdn-sandbox.invalid/kf/"
_IMAGE_TYPES = frozenset({"jpg", "png", "webp", "gif"})


class TopFailure(Exception):
    """A TOP error answer raised from inside a handler."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None, sub_msg: str = "") -> None:
        super().__init__(sub_msg or msg)
        self.code, self.msg, self.sub_code, self.sub_msg = code, msg, sub_code, sub_msg


def missing(name: str) -> TopFailure:
    """TOP code 40 for a required parameter that was not sent."""
    return TopFailure(top.CODE_MISSING_ARGUMENTS, "Missing required arguments", None, name)


def rejected(sub_msg: str, sub_code: str = top.INVALID_PARAMETER) -> TopFailure:
    """A business rejection: code 15 with an isv.* sub code, as TOP reports them."""
    return TopFailure(top.CODE_REMOTE_ERROR, "Remote service error", sub_code, sub_msg)


def not_found(product_id: str) -> TopFailure:
    """Our sub code for an unknown product."""
    return rejected(f"product {product_id} does not exist", top.PRODUCT_NOT_EXIST)


@dataclass
class Photobank:
    """Every seller's uploaded images, saved beside the listing store when it persists."""

    path: Path | None = None

    def __post_init__(self) -> None:
        self.photos: dict[str, list[dict[str, Any]]] = {}
        if self.path and self.path.exists():
            self.photos = json.loads(self.path.read_text(encoding="utf-8"))
        # Kept beside the list so a create's "is this image uploaded?" check is O(1), not
        # a scan of the seller's whole photobank.
        self._urls: dict[str, set[str]] = {
            seller: {photo["url"] for photo in photos} for seller, photos in self.photos.items()
        }

    def add(self, seller: str, file_name: str, size: int) -> dict[str, Any]:
        """Store one image; every upload gets a new URL, as on the real photobank."""
        ext = PurePosixPath(file_name).suffix.lstrip(".").lower()
        photos = self.photos.setdefault(seller, [])
        url = f"{PHOTOBANK_HOST}H{uuid.uuid4().hex}.{ext}"
        photo = {"photo_id": str(len(photos) + 1), "file_name": file_name, "url": url, "size": size}
        photos.append(photo)
        self._urls.setdefault(seller, set()).add(url)
        if self.path:
            self.path.write_text(json.dumps(self.photos), encoding="utf-8")
        return photo

    def urls(self, seller: str) -> set[str]:
        """The URLs in one seller's photobank."""
        return self._urls.get(seller, set())


Handler = Callable[[str, dict[str, str], dict[str, bytes]], Awaitable[dict[str, Any]]]


class Methods:
    """The sandbox's ICBU methods over a listing store and a photobank."""

    def __init__(self, store: ListingStore, photobank: Photobank) -> None:
        self.store = store
        self.photobank = photobank
        self.handlers: dict[str, Handler] = {
            top.PRODUCT_ADD: self.product_add,
            top.PRODUCT_UPDATE: self.product_update,
            top.PRODUCT_UPDATE_FIELD: self.update_field,
            top.PRODUCT_BATCH_FIELD: self.batch_update_field,
            top.PRODUCT_DISPLAY: self.update_display,
            top.PRODUCT_GET: self.product_get,
            top.PRODUCT_LIST: self.product_list,
            top.PHOTOBANK_UPLOAD: self.photobank_upload,
            top.PHOTOBANK_LIST: self.photobank_list,
        }

    # -- products ---------------------------------------------------------------------------
    async def product_add(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        product = self._valid_product(seller, _json_param(p, "product"))
        sku = product.pop("sku_code", None)
        if not isinstance(sku, str) or not sku:
            raise rejected("sku_code is required")
        price, stock = product.pop("price"), product.pop("stock")
        remote_id = self.store.new_id()
        record = {"product": product, "price": price, "stock": stock, "active": True}
        self.store.seller(seller).create(remote_id, sku, {**record, "modified": timestamp()})
        self.store.counters["writes"] += 1
        return {"product_id": remote_id}

    async def product_update(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        record = self._record(seller, _param(p, "product_id"))
        product = self._valid_product(seller, _json_param(p, "product"))
        if product.pop("sku_code", record["sku"]) != record["sku"]:
            raise rejected("sku_code cannot be changed")
        record.update(price=product.pop("price"), stock=product.pop("stock"), product=product)
        record["modified"] = timestamp()
        self.store.counters["writes"] += 1
        return {"product_id": record["id"]}

    async def update_field(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        record = self._record(seller, _param(p, "product_id"))
        self._apply_fields(record, _json_param(p, "update_fields"))
        return {"product_id": record["id"]}

    async def batch_update_field(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        updates = _json_param(p, "updates")
        if not isinstance(updates, list) or not 1 <= len(updates) <= top.BATCH_FIELD_MAX:
            raise rejected(f"updates must be a list of 1 to {top.BATCH_FIELD_MAX} items")
        results = []
        for update in updates:
            fields = dict(update) if isinstance(update, dict) else {}
            product_id = str(fields.pop("product_id", ""))
            try:
                self._apply_fields(self._record(seller, product_id), fields)
            except TopFailure as failure:
                results.append(_failed(product_id, failure))
            else:
                results.append({"product_id": product_id, "success": True})
        return {"results": results}

    async def update_display(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        display = _param(p, "display")
        if display not in ("on", "off"):
            raise rejected("display must be on or off")
        ids = [i.strip() for i in _param(p, "product_ids").split(",") if i.strip()]
        if not 1 <= len(ids) <= top.BATCH_FIELD_MAX:
            raise rejected(f"product_ids takes 1 to {top.BATCH_FIELD_MAX} comma-separated ids")
        results = []
        for product_id in ids:
            try:
                record = self._record(seller, product_id)
            except TopFailure as failure:
                results.append(_failed(product_id, failure))
                continue
            record["active"] = display == "on"
            record["modified"] = timestamp()
            self.store.counters["writes"] += 1
            results.append({"product_id": product_id, "success": True})
        return {"results": results}

    async def product_get(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        if p.get("product_id"):
            return {"product": _wire(self._record(seller, p["product_id"]))}
        sku = _param(p, "sku_code")
        record = self.store.seller(seller).find_sku(sku)
        if record is None:
            raise rejected(f"no product has sku_code {sku}", top.PRODUCT_NOT_EXIST)
        return {"product": _wire(record)}

    async def product_list(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        page, size = _paging(p)
        records, total = self.store.seller(seller).page(page, size)
        return {
            "products": [_wire(record) for record in records],
            "total_item": total,
            "current_page": page,
            "page_size": size,
        }

    # -- photobank --------------------------------------------------------------------------
    async def photobank_upload(
        self, seller: str, p: dict[str, str], files: dict[str, bytes]
    ) -> dict[str, Any]:
        name = _param(p, "file_name")
        if PurePosixPath(name).suffix.lstrip(".").lower() not in _IMAGE_TYPES:
            raise rejected(f"file_name must end in one of {sorted(_IMAGE_TYPES)}")
        if "image_bytes" in files:
            size = len(files["image_bytes"])
        elif p.get("image_url", "").startswith(("http://", "https://")):
            size = 0  # ours: the sandbox records the source URL instead of downloading it
        else:
            raise missing("image_bytes")
        if size > 5 * 1024 * 1024:
            raise rejected("an image may be at most 5 MB")
        self.store.counters["writes"] += 1
        photo = self.photobank.add(seller, name, size)
        return {"url": photo["url"], "file_name": name, "photo_id": photo["photo_id"]}

    async def photobank_list(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        page, size = _paging(p)
        photos = self.photobank.photos.get(seller, [])
        start = (page - 1) * size
        return {"photos": photos[start : start + size], "total_item": len(photos)}

    # -- helpers ----------------------------------------------------------------------------
    def _record(self, seller: str, product_id: str) -> dict[str, Any]:
        record = self.store.seller(seller).listings.get(product_id)
        if record is None:
            raise not_found(product_id)
        return record

    def _valid_product(self, seller: str, product: object) -> dict[str, Any]:
        """The product if it keeps every listing rule; else the first broken rule."""
        if not isinstance(product, dict):
            raise rejected("product must be a JSON object")
        unknown = sorted(
            set(product) - CONTENT_FIELDS - {"main_image", "sku_code", "price", "stock"}
        )
        if unknown:
            raise rejected(f"unknown product fields: {', '.join(unknown)}")
        images = (product.get("main_image") or {}).get("images") or []
        problems: list[Problem | None] = [
            *content_problems(product, len(images)),
            price_problem(product.get("price")),
            stock_problem(product.get("stock")),
        ]
        for problem in problems:
            if problem is not None:
                raise rejected(problem.message)
        foreign = [url for url in images if url not in self.photobank.urls(seller)]
        if foreign:
            raise rejected(f"image {foreign[0]} is not in your photobank: upload it first")
        return dict(product)

    def _apply_fields(self, record: dict[str, Any], fields: object) -> None:
        if not isinstance(fields, dict) or not fields or set(fields) - {"price", "stock"}:
            raise rejected("update_fields takes price and/or stock")
        for problem in (
            price_problem(fields["price"]) if "price" in fields else None,
            stock_problem(fields["stock"]) if "stock" in fields else None,
        ):
            if problem is not None:
                raise rejected(problem.message)
        record.update(fields)
        record["modified"] = timestamp()
        self.store.counters["writes"] += 1


def _wire(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as the ICBU product JSON the API answers with."""
    return {
        **record["product"],
        "product_id": record["id"],
        "sku_code": record["sku"],
        "price": record["price"],
        "stock": record["stock"],
        "display": "Y" if record.get("active", True) else "N",
        "gmt_modified": record.get("modified", ""),
    }


def _failed(product_id: str, failure: TopFailure) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "success": False,
        "sub_code": failure.sub_code,
        "sub_msg": failure.sub_msg,
    }


def _param(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise missing(name)
    return value


def _json_param(params: dict[str, str], name: str) -> Any:
    try:
        return json.loads(_param(params, name))
    except json.JSONDecodeError:
        raise TopFailure(
            top.CODE_INVALID_ARGUMENTS, "Invalid arguments", None, f"{name} is not JSON"
        ) from None


def _paging(params: dict[str, str]) -> tuple[int, int]:
    try:
        page = int(params.get("current_page", "1"))
        size = int(params.get("page_size", "20"))
    except ValueError:
        raise TopFailure(
            top.CODE_INVALID_ARGUMENTS, "Invalid arguments", None, "paging must be whole numbers"
        ) from None
    if page < 1 or not 1 <= size <= top.LIST_PAGE_MAX:
        raise TopFailure(
            top.CODE_INVALID_ARGUMENTS,
            "Invalid arguments",
            None,
            f"current_page ≥ 1 and page_size 1 to {top.LIST_PAGE_MAX}",
        )
    return page, size
