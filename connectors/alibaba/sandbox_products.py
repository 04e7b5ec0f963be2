"""The Alibaba.com sandbox's `/sync` methods: the Schema flow, product reads, photobank,
and the review every write goes through.

A write (schema.add, schema.update, a display change) puts the product under review until
the sandbox clock passes `Audit.seconds` after it (0 by default, so products pass at once):
meanwhile product.get reports status `new` (never approved) or `modified`, and a change is
refused with PUB_BIZCHECK_PRODUCT_IN_AUDITING, as the platform does. After the review the
product is `approved`, or `tbd` with a reason when its title contains `Audit.reject_word`.
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from connectors.alibaba import api
from connectors.alibaba import item_schema as f
from connectors.alibaba.rules import (
    LEAD_TIME_MAX,
    LEAD_TIME_MIN,
    MOQ_MAX,
    MOQ_MIN,
    price_problem,
    stock_problem,
)
from connectors.alibaba.sandbox_schema import category_schema
from connectors.alibaba.schema import Image, ItemSchema, parse_document, rule_problems
from connectors.sandbox import ListingStore
from connectors.sandbox.oauth_state import SandboxClock

_IMAGE_TYPES = frozenset({"jpg", "jpeg", "png", "gif", "webp"})
Handler = Callable[[str, dict[str, str], dict[str, bytes]], Awaitable[dict[str, Any]]]


class Refusal(Exception):
    """A business refusal: answered as `biz_success: false` in the method's envelope."""

    def __init__(self, msg_code: str, message: str) -> None:
        super().__init__(message)
        self.msg_code, self.message = msg_code, message


class GatewayFailure(Exception):
    """A gateway error: answered as `error_response`."""

    def __init__(self, code: str, msg: str, error_type: api.ErrorType = "ISV") -> None:
        super().__init__(msg)
        self.code, self.msg, self.error_type = code, msg, error_type


@dataclass
class Audit:
    """How long the sandbox's review takes (sandbox-clock seconds) and what it refuses."""

    seconds: float = 0.0
    reject_word: str | None = None


@dataclass
class Photobank:
    """Every seller's uploaded files, optionally kept in a JSON file."""

    path: Path | None = None
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _next: int = 32238240000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.path and self.path.exists():
            self.files = json.loads(self.path.read_text(encoding="utf-8"))

    def add(self, seller: str, name: str, size: int) -> dict[str, Any]:
        """Store one upload; its file id and photobank URL."""
        with self._lock:
            self._next += 1
            file = {
                "file_id": self._next,
                "file_name": name,
                "photobank_url": f"//sc04.alicdn.example/kf/{seller}/{self._next}.jpg",
                "size": size,
            }
            self.files.setdefault(seller, []).append(file)
            if self.path:
                self.path.write_text(json.dumps(self.files), encoding="utf-8")
        return file

    def url_of(self, seller: str, file_id: str) -> str | None:
        """The URL of one of `seller`'s files, or None."""
        return next(
            (
                x["photobank_url"]
                for x in self.files.get(seller, [])
                if str(x["file_id"]) == file_id
            ),
            None,
        )


class Products:
    """The method handlers, by method name."""

    def __init__(
        self, store: ListingStore, photobank: Photobank, clock: SandboxClock, audit: Audit
    ):
        self.store, self.photobank, self.clock, self.audit = store, photobank, clock, audit
        self.handlers: dict[str, Handler] = {
            api.SCHEMA_RENDER: self.render,
            api.SCHEMA_ADD: self.add,
            api.SCHEMA_UPDATE: self.update,
            api.PRODUCT_GET: self.get,
            api.PRODUCT_LIST: self.list_products,
            api.PHOTOBANK_UPLOAD: self.upload,
            api.PHOTOBANK_LIST: self.photos,
            api.LEGACY_ADD: self.legacy_add,
            api.LEGACY_UPDATE: self.legacy_update,
        }

    async def render(self, seller: str, p: dict[str, str], _: dict[str, bytes]) -> dict[str, Any]:
        return {"biz_success": True, "data": _schema(_request(p)).to_xml()}

    async def add(self, seller: str, p: dict[str, str], _: dict[str, bytes]) -> dict[str, Any]:
        request = _request(p)
        schema = _schema(request)
        values = self._checked(seller, schema, request, partial=False)
        sku = str(values[f.SKU])
        remote_id = self.store.new_id()
        record = {"category_id": str(request["cat_id"]), "values": values, "active": True}
        store = self.store.seller(seller)
        store.create(remote_id, sku, record)
        self._to_review(store.listings[remote_id], approved_before=False)  # create copies
        return {"biz_success": True, "product_id": remote_id}

    async def update(self, seller: str, p: dict[str, str], _: dict[str, bytes]) -> dict[str, Any]:
        request = _request(p)
        record = self._record(seller, str(request.get("product_id") or ""))
        if self._status(record) in (api.STATUS_NEW, api.STATUS_MODIFIED):
            raise Refusal(api.IN_AUDIT, "The product is being audited and cannot be modified now")
        xml = str(request.get("xml") or "")
        if xml.lstrip().startswith("<product"):
            record["active"] = _display(xml, record["id"])
        else:
            schema = _schema({**request, "cat_id": request.get("cat_id") or record["category_id"]})
            values = self._checked(seller, schema, request, partial=True)
            if f.SKU in values and values[f.SKU] != record["sku"]:
                raise Refusal(api.SCHEMA_INVALID, "skuCode cannot be changed")
            record["values"] = {**record["values"], **values}
        self._to_review(record, approved_before=self._status(record) == api.STATUS_APPROVED)
        return {"biz_success": True, "product_id": record["id"]}

    async def get(self, seller: str, p: dict[str, str], _: dict[str, bytes]) -> dict[str, Any]:
        return {"product": self._view(self._record(seller, p.get("product_id", "")))}

    async def list_products(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        page, size = _paging(p, api.LIST_PAGE_MAX)
        store = self.store.seller(seller)
        if p.get("sku_code"):  # ours: the seller-SKU filter find_by_sku needs
            found = store.find_sku(p["sku_code"])
            records, total = ([found], 1) if found else ([], 0)
        else:
            records, total = store.page(page, size)
        summaries = [
            {
                key: value
                for key, value in self._view(r).items()
                if key in ("product_id", "subject", "category_id", "display", "status", "sku_code")
                or key == "gmt_modified"
            }
            for r in records
        ]
        return {"products": summaries, "total_item": total, "current_page": page}

    async def upload(
        self, seller: str, p: dict[str, str], files: dict[str, bytes]
    ) -> dict[str, Any]:
        name = p.get("file_name", "")
        if not name or "image_bytes" not in files:
            raise GatewayFailure(
                api.MISSING_PARAMETER, "file_name and the image_bytes file are required"
            )
        if PurePosixPath(name).suffix.lstrip(".").lower() not in _IMAGE_TYPES:
            raise Refusal(api.IMAGE_INVALID, f"file_name must end in one of {sorted(_IMAGE_TYPES)}")
        if len(files["image_bytes"]) > 5 * 1024 * 1024:
            raise Refusal(api.IMAGE_INVALID, "an image may be at most 5 MB")
        self.store.counters["writes"] += 1
        self.store.counters["photobank_uploads"] += 1
        file = self.photobank.add(seller, name, len(files["image_bytes"]))
        return {k: file[k] for k in ("file_id", "photobank_url", "file_name")}

    async def photos(self, seller: str, p: dict[str, str], _: dict[str, bytes]) -> dict[str, Any]:
        page, size = _paging(p, api.PHOTOBANK_PAGE_MAX)
        files = self.photobank.files.get(seller, [])
        start = (page - 1) * size
        photos = [
            {k: x[k] for k in ("file_id", "file_name", "photobank_url")}
            for x in files[start : start + size]
        ]
        return {"photos": photos, "total_item": len(files)}

    async def legacy_add(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        raise GatewayFailure(api.INSUFFICIENT_PERMISSION, "Insufficient permission: use schema.add")

    async def legacy_update(
        self, seller: str, p: dict[str, str], _: dict[str, bytes]
    ) -> dict[str, Any]:
        raise GatewayFailure(api.API_OFFLINE, "The API is offline: use schema.update")

    # -- helpers ----------------------------------------------------------------------------
    def _checked(
        self, seller: str, schema: ItemSchema, request: dict[str, Any], *, partial: bool
    ) -> dict[str, Any]:
        """The document's values if it keeps every rule; else Refusal with the first broken."""
        values, problems = parse_document(str(request.get("xml") or ""), schema)
        problems += rule_problems(schema, values, partial=partial)
        problems += self._business_problems(seller, values)
        if problems:
            raise Refusal(api.SCHEMA_INVALID, "; ".join(problems[:3]))
        if f.IMAGES in values:  # stored as JSON (the store may persist to a file)
            values[f.IMAGES] = [{"file_id": i.file_id, "url": i.url} for i in values[f.IMAGES]]
        return values

    def _business_problems(self, seller: str, values: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        for image in values.get(f.IMAGES, []):
            if self.photobank.url_of(seller, image.file_id) != image.url:
                problems.append(
                    f"image fileId {image.file_id} is not in your photobank with that URL"
                )
        text = values.get(f.DESCRIPTION)
        if text is not None and "<img" not in text:
            problems.append("the detailed description needs at least one image")
        for tier in (values.get(f.LADDER_PRICE) or {}).values():
            problem = price_problem(tier.get("price"))
            if problem is not None:
                problems.append(problem.message)
        for name, low, high, where in (
            (f.MOQ, MOQ_MIN, MOQ_MAX, values),
            (
                "day",
                LEAD_TIME_MIN,
                LEAD_TIME_MAX,
                (values.get(f.LADDER_PERIOD) or {}).get("ladderPeriod_0") or {},
            ),
        ):
            if name in where and not (where[name].isdigit() and low <= int(where[name]) <= high):
                problems.append(f"{name} must be a whole number from {low} to {high}")
        if f.STOCK in values:
            stock = values[f.STOCK]
            problem = stock_problem(int(stock) if stock.isdigit() else stock)
            if problem is not None:
                problems.append(problem.message)
        return problems

    def _record(self, seller: str, product_id: str) -> dict[str, Any]:
        record = self.store.seller(seller).listings.get(product_id)
        if record is None:
            raise Refusal(api.PRODUCT_NOT_FOUND, f"product {product_id or '(none)'} does not exist")
        return record

    def _to_review(self, record: dict[str, Any], *, approved_before: bool) -> None:
        record["audit_until"] = self.clock.now() + self.audit.seconds
        record["approved_before"] = approved_before or record.get("approved_before", False)
        word = self.audit.reject_word
        title = str(record["values"].get(f.TITLE, ""))
        record["audit_reason"] = (
            f"The product name contains a prohibited word: {word}"
            if word and word.casefold() in title.casefold()
            else None
        )
        record["modified"] = self.clock.now()
        self.store.counters["writes"] += 1

    def _status(self, record: dict[str, Any]) -> str:
        if self.clock.now() < record["audit_until"]:
            return api.STATUS_MODIFIED if record.get("approved_before") else api.STATUS_NEW
        return api.STATUS_REFUSED if record.get("audit_reason") else api.STATUS_APPROVED

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        """A stored product as product.get answers it."""
        schema = category_schema(record["category_id"])
        values = record["values"]
        attributes = [
            {
                "attribute_name": spec.name,
                "attribute_value": ", ".join(v) if isinstance(v, list) else v,
            }
            for spec in schema.fields.values()
            if spec.id.startswith("p-") and (v := values.get(spec.id)) not in (None, "", [])
        ] + [
            {"attribute_name": e["attrName"], "attribute_value": e["attrValue"]}
            for e in values.get(f.CUSTOM, [])
        ]
        tiers = lambda key: [t for _, t in sorted((values.get(key) or {}).items())]  # noqa: E731
        view = {
            "product_id": record["id"],
            "category_id": record["category_id"],
            "subject": values.get(f.TITLE, ""),
            "language": "ENGLISH",
            "keywords": values.get(f.KEYWORDS, []),
            "status": self._status(record),
            "display": "Y" if record.get("active", True) else "N",
            "gmt_modified": int(record.get("modified", 0) * 1000),
            "description": values.get(f.DESCRIPTION, ""),
            "main_image": {"images": [image["url"] for image in values.get(f.IMAGES, [])]},
            "attributes": attributes,
            "wholesale_trade": {
                "price": (tiers(f.LADDER_PRICE) or [{}])[0].get("price", ""),
                "unit_type": schema.fields[f.UNIT].option_name(values.get(f.UNIT, "")) or "",
                "min_order_quantity": int(values.get(f.MOQ, "0")),
                "ladder_prices": [
                    {"quantity": int(t["quantity"]), "price": t["price"]}
                    for t in tiers(f.LADDER_PRICE)
                ],
                "deliver_periods": [
                    {"quantity": int(t["quantity"]), "day": int(t["day"])}
                    for t in tiers(f.LADDER_PERIOD)
                ],
            },
            "sku_code": record["sku"],  # ours
            "inventory": int(values.get(f.STOCK, "0")),  # ours
        }
        if view["status"] == api.STATUS_REFUSED:
            view["audit_reason"] = record["audit_reason"]  # ours
        return view


def _request(p: dict[str, str]) -> dict[str, Any]:
    raw = p.get("param_product_top_publish_request", "")
    if not raw:
        raise GatewayFailure(
            api.MISSING_PARAMETER, "Missing parameter: param_product_top_publish_request"
        )
    try:
        request = json.loads(raw)
    except json.JSONDecodeError:
        raise GatewayFailure(
            api.INVALID_PARAMETER, "param_product_top_publish_request is not JSON"
        ) from None
    if not isinstance(request, dict):
        raise GatewayFailure(
            api.INVALID_PARAMETER, "param_product_top_publish_request is not an object"
        )
    return request


def _schema(request: dict[str, Any]) -> ItemSchema:
    try:
        return category_schema(str(request.get("cat_id") or ""))
    except KeyError:
        raise Refusal(api.SCHEMA_INVALID, f"unknown category {request.get('cat_id')!r}") from None


def _display(xml: str, product_id: str) -> bool:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        raise Refusal(api.SCHEMA_INVALID, "the <product> document is not XML") from None
    if root.findtext("product_id") != product_id or root.findtext("display") not in ("Y", "N"):
        raise Refusal(api.SCHEMA_INVALID, "<product> needs this product_id and display Y or N")
    return root.findtext("display") == "Y"


def _paging(params: dict[str, str], maximum: int) -> tuple[int, int]:
    try:
        page, size = int(params.get("current_page", "1")), int(params.get("page_size", "20"))
    except ValueError:
        raise GatewayFailure(api.INVALID_PARAMETER, "paging must be whole numbers") from None
    if page < 1 or not 1 <= size <= maximum:
        raise GatewayFailure(
            api.INVALID_PARAMETER, f"current_page ≥ 1 and page_size 1 to {maximum}"
        )
    return page, size


__all__ = ["Audit", "GatewayFailure", "Image", "Photobank", "Products", "Refusal"]
