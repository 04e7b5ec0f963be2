"""Shopee sandbox, product side: items with one variation tier and their models.

Models live in the toolkit's listing store (one record per model, keyed "item_id:model_id",
SKU = model SKU), so duplicates, hand edits and /_sandbox/listings work as for every
sandbox; item-level fields live beside them in `ShopItems`. A model is active while its item
is NORMAL; update_tier_variation deletes the models its `model_list` leaves out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from connectors.sandbox import ListingStore, SellerStore
from connectors.shopee import rules
from connectors.shopee.api import ITEM_FIELDS


class ParamError(Exception):
    """A request Shopee would refuse with error_param (or a more precise code)."""

    def __init__(self, message: str, code: str = "error_param") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ShopItems:
    """Item-level data of every shop, and the media space."""

    store: ListingStore
    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # shop -> id -> item
    images: dict[str, str] = field(default_factory=dict)  # image id -> source

    def shop(self, seller: str) -> dict[str, dict[str, Any]]:
        """Items of one shop (seller key of the listing store)."""
        return self.items.setdefault(seller, {})

    def item(self, seller: str, item_id: Any) -> dict[str, Any]:
        """One item, or error_item_not_found."""
        found = self.shop(seller).get(str(item_id))
        if found is None:
            raise ParamError(f"item_id {item_id} not found", "error_item_not_found")
        return found

    def models(self, seller: str, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The item's model records still in the listing store (a hand delete removes one)."""
        listings = self.store.seller(seller).listings
        return [listings[rid] for rid in item["models"] if rid in listings]

    # -- writes -----------------------------------------------------------------------------
    def add_item(self, seller: str, body: dict[str, Any]) -> dict[str, Any]:
        check_item(body, self.images, creating=True)
        shop = self.shop(seller)
        if any(
            i["item_sku"] == body.get("item_sku") for i in shop.values() if body.get("item_sku")
        ):
            self.store.seller(seller).duplicates += 1  # a second item for one product
        item_id = self.store.new_id()
        shop[item_id] = {
            "item_id": int(item_id),
            **{key: body.get(key) for key in ITEM_FIELDS},
            "image": {"image_id_list": list(body["image"]["image_id_list"])},
            "item_status": "NORMAL",
            "tier_variation": [],
            "models": [],
            "update_time": int(time.time()),
        }
        self.store.counters["writes"] += 1
        return {"item_id": int(item_id), "item_status": "NORMAL"}

    def update_item(self, seller: str, body: dict[str, Any]) -> dict[str, Any]:
        item = self.item(seller, body.get("item_id"))
        check_item({**item, **body}, self.images, creating=False)
        for key in ITEM_FIELDS:
            if key in body:
                item[key] = body[key]
        if "image" in body:
            item["image"] = {"image_id_list": list(body["image"]["image_id_list"])}
        item["update_time"] = int(time.time())
        self.store.counters["writes"] += 1
        return {"item_id": item["item_id"]}

    def set_tiers(self, seller: str, body: dict[str, Any], *, init: bool) -> dict[str, Any]:
        item = self.item(seller, body.get("item_id"))
        tiers = body.get("tier_variation")
        if not isinstance(tiers, list) or len(tiers) != 1:
            raise ParamError("tier_variation must hold exactly one tier in this sandbox")
        options = tiers[0].get("option_list") or []
        if not options or any(
            not 0 < len(str(o.get("option", ""))) <= rules.OPTION_MAX for o in options
        ):
            raise ParamError(f"option length should be between 1 and {rules.OPTION_MAX}")
        if init and item["tier_variation"]:
            raise ParamError("item already has tier variation, use update_tier_variation")
        if not init:
            self._place_models(seller, item, body.get("model_list"), len(options))
        item["tier_variation"] = tiers
        added = self.add_models(seller, item, body.get("model") or []) if init else []
        return {"item_id": item["item_id"], "tier_variation": tiers, "model": added}

    def _place_models(
        self, seller: str, item: dict[str, Any], model_list: Any, option_count: int
    ) -> None:
        """update_tier_variation's `model_list`: the models kept and their new options.
        Shopee keeps an existing model's information only when it is listed there (Variant
        management guide), so a model left out is deleted with its option."""
        entries = model_list if isinstance(model_list, list) else []
        by_id = {m["model_id"]: m for m in self.models(seller, item)}
        placed: dict[int, list[int]] = {}
        for entry in entries:
            model_id, index = entry.get("model_id"), entry.get("tier_index") or []
            if model_id not in by_id:
                raise ParamError(f"model_id {model_id} not found")
            if len(index) != 1 or not 0 <= index[0] < option_count:
                raise ParamError("tier_index does not match an option")
            if model_id in placed or index in placed.values():
                raise ParamError("model_list holds a model or an option twice")
            placed[model_id] = list(index)
        listings = self.store.seller(seller)
        for model_id, model in by_id.items():
            if model_id in placed:
                model["tier_index"] = placed[model_id]
            else:
                listings.delete(model["id"])
                item["models"].remove(model["id"])

    def add_models(
        self, seller: str, item: dict[str, Any], models: list[Any]
    ) -> list[dict[str, Any]]:
        store: SellerStore = self.store.seller(seller)
        options = item["tier_variation"][0]["option_list"] if item["tier_variation"] else []
        taken = {tuple(m["tier_index"]) for m in self.models(seller, item)}
        added = []
        for model in models:
            index = model.get("tier_index") or []
            if len(index) != 1 or not 0 <= index[0] < len(options) or tuple(index) in taken:
                raise ParamError("tier_index does not match a free option")
            price = check_price(model.get("original_price"))
            sku = str(model.get("model_sku") or "")
            if len(sku) > rules.MODEL_SKU_MAX:
                raise ParamError(f"model_sku longer than {rules.MODEL_SKU_MAX}")
            model_id = self.store.new_id()
            remote_id = f"{item['item_id']}:{model_id}"
            store.create(
                remote_id,
                sku,
                {
                    "item_id": item["item_id"],
                    "model_id": int(model_id),
                    "tier_index": index,
                    "price": price,
                    "stock": stock_of(model),
                    "gtin_code": model.get("gtin_code") or "",
                    "active": item["item_status"] == "NORMAL",
                },
            )
            item["models"].append(remote_id)
            taken.add(tuple(index))
            added.append({"model_id": int(model_id), "tier_index": index, "model_sku": sku})
        self.store.counters["writes"] += 1
        return added

    def set_status(self, seller: str, item_id: Any, unlist: bool) -> None:
        item = self.item(seller, item_id)
        item["item_status"] = "UNLIST" if unlist else "NORMAL"
        for record in self.models(seller, item):
            record["active"] = not unlist
        self.store.counters["writes"] += 1


def check_price(value: Any) -> int:
    """A VND price: a whole number within Shopee's bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ParamError("original_price must be a whole number of dong for VND")
    if not rules.PRICE_MIN <= value <= rules.PRICE_MAX:
        raise ParamError(
            f"original_price should be between {rules.PRICE_MIN} and {rules.PRICE_MAX}"
        )
    return int(value)


def stock_of(model: dict[str, Any]) -> int:
    """seller_stock[0].stock of a model or stock entry."""
    entries = model.get("seller_stock") or [{"stock": 0}]
    stock = entries[0].get("stock") if isinstance(entries[0], dict) else None
    if not isinstance(stock, int) or stock < 0:
        raise ParamError("seller_stock.stock must be a non-negative integer")
    return stock


def check_item(body: dict[str, Any], images: dict[str, str], *, creating: bool) -> None:
    """Shopee's item rules (name, description, images, category, weight, logistics)."""
    name = str(body.get("item_name") or "")
    if not 0 < len(name) <= rules.ITEM_NAME_MAX:
        raise ParamError(f"item_name length should be between 1 and {rules.ITEM_NAME_MAX}")
    if len(str(body.get("description") or "")) > rules.DESCRIPTION_MAX:
        raise ParamError(f"description length should be at most {rules.DESCRIPTION_MAX}")
    ids = (body.get("image") or {}).get("image_id_list") or []
    if not 0 < len(ids) <= rules.IMAGES_MAX:
        raise ParamError(f"image count should be between 1 and {rules.IMAGES_MAX}")
    if any(image_id not in images for image_id in ids):
        raise ParamError("image_id not found in media space")
    if not isinstance(body.get("category_id"), int) or body["category_id"] <= 0:
        raise ParamError("category_id is invalid")
    weight = body.get("weight")
    if not isinstance(weight, int | float) or not 0 < weight <= rules.WEIGHT_MAX_KG:
        raise ParamError("weight is invalid")
    if not body.get("logistic_info"):
        raise ParamError("logistic_info should enable at least one channel")
    if creating:
        check_price(body.get("original_price"))


def parse_form(kind: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Text fields and files of a form body, parsed here so the sandbox needs no
    python-multipart."""
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if kind.startswith("application/x-www-form-urlencoded"):
        fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif kind.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            if part.get_filename() is not None:
                files[name] = payload
            else:
                fields[name] = payload.decode("utf-8")
    return fields, files
