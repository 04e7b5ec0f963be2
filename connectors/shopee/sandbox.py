"""Shopee sandbox: the Open Platform v2 calls this connector uses, over real HTTP.

Signatures and the 5-minute timestamp window, tokens on a clock tests can move
(`POST /_sandbox/clock {"advance": seconds}`), single-use refresh tokens, batch limits,
paging, plus the toolkit's faults and rate limits. Sandbox-only: `POST /_sandbox/consent`
(the shop owner's consent, answering with a code) and the consent link itself, which
redirects at once (its optional `shop_id` stands for the shop the owner logs in as).
Tokens issued here are random; the sandbox's own stats count refresh calls.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from connectors.sandbox import ListingStore, SandboxConfig, SandboxHooks, build_sandbox_app
from connectors.shopee import api, rules
from connectors.shopee.api import ITEM_FIELDS
from connectors.shopee.sandbox_auth import AuthState, SignatureError, auth_routes, envelope
from connectors.shopee.sandbox_items import ParamError, ShopItems, check_price, parse_form, stock_of

Handler = Callable[[str, Request, dict[str, Any]], Awaitable[dict[str, Any]]]


class ShopeeStore(ListingStore):
    """The listing store plus the authorisation figures in /_sandbox/stats."""

    auth: AuthState

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "oauth": self.auth.stats()}

    def reset(self) -> None:
        super().reset()
        self.auth.figures.reset()


def _seller_of(scope: Scope) -> str | None:
    query = dict(parse_qsl(scope.get("query_string", b"").decode()))
    return query.get("shop_id") or query.get("partner_id")


def create_app(config: SandboxConfig) -> Starlette:
    """The Shopee sandbox app (access tokens live `config.token_ttl` sandbox seconds)."""
    store = ShopeeStore(config.persist, is_active=lambda record: bool(record.get("active")))
    auth = store.auth = AuthState(token_ttl=config.token_ttl)
    items = ShopItems(store)

    def seller(shop_id: int) -> str:
        name = auth.shop_names.get(shop_id)
        return f"{name}#{shop_id}" if name else f"shop-{shop_id}"

    def shop_call(handler: Handler, methods: list[str]) -> Route:
        path = handler.__name__.replace("__", "/")
        path = f"{api.PREFIX}/{path}"

        async def endpoint(request: Request) -> Response:
            query = dict(request.query_params)
            try:
                shop_id = auth.check_shop(path, query)
            except SignatureError as exc:
                return envelope(exc.code, exc.message, status=exc.status)
            body: dict[str, Any] = dict(query)
            if request.method == "POST" and request.headers.get("content-type", "").startswith(
                "application/json"
            ):
                try:
                    body = json.loads(await request.body() or b"{}")
                except ValueError:
                    return envelope("error_param", "body is not JSON", status=400)
            try:
                return envelope(response=await handler(seller(shop_id), request, body))
            except ParamError as exc:
                return envelope(
                    exc.code, exc.message, status=400 if exc.code == "error_param" else 404
                )
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                return envelope(
                    "error_param", f"invalid request: {type(exc).__name__} {exc}", status=400
                )

        return Route(path, endpoint, methods=methods)

    # -- product calls (function names spell the path) --------------------------------------
    async def product__add_item(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        return items.add_item(shop, body)

    async def product__update_item(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        return items.update_item(shop, body)

    async def product__init_tier_variation(
        shop: str, _: Request, body: dict[str, Any]
    ) -> dict[str, Any]:
        return items.set_tiers(shop, body, init=True)

    async def product__update_tier_variation(
        shop: str, _: Request, body: dict[str, Any]
    ) -> dict[str, Any]:
        return items.set_tiers(shop, body, init=False)

    async def product__add_model(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        item = items.item(shop, body.get("item_id"))
        return {"model": items.add_models(shop, item, body.get("model_list") or [])}

    async def product__update_model(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        item = items.item(shop, body.get("item_id"))
        by_id = {m["model_id"]: m for m in items.models(shop, item)}
        for change in body.get("model") or []:
            model = by_id.get(change.get("model_id"))
            if model is None:
                raise ParamError(f"model_id {change.get('model_id')} not found")
            listing_store = store.seller(shop)
            if "model_sku" in change and change["model_sku"] != model["sku"]:
                listing_store.by_sku.get(model["sku"], []).remove(model["id"])
                listing_store.by_sku.setdefault(change["model_sku"], []).append(model["id"])
                model["sku"] = change["model_sku"]
            if "gtin_code" in change:
                model["gtin_code"] = change["gtin_code"]
        store.counters["writes"] += 1
        return {}

    def batch(
        shop: str, body: dict[str, Any], key: str, apply: Callable[[dict, dict], Any]
    ) -> dict[str, Any]:
        item = items.item(shop, body.get("item_id"))
        entries = body.get(key) or []
        if not 0 < len(entries) <= rules.BATCH_MAX:
            raise ParamError(f"{key} length should be between 1 and {rules.BATCH_MAX}")
        by_id = {m["model_id"]: m for m in items.models(shop, item)}
        failures, successes = [], []
        for entry in entries:
            model = by_id.get(entry.get("model_id"))
            try:
                if model is None:
                    raise ParamError("model not found")
                successes.append({"model_id": model["model_id"], **apply(model, entry)})
            except ParamError as exc:
                failures.append({"model_id": entry.get("model_id"), "failed_reason": exc.message})
        store.counters["writes"] += 1
        return {"failure_list": failures, "success_list": successes}

    async def product__update_price(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        def apply(model: dict, entry: dict) -> dict:
            model["price"] = check_price(entry.get("original_price"))
            return {"original_price": model["price"]}

        return batch(shop, body, "price_list", apply)

    async def product__update_stock(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        def apply(model: dict, entry: dict) -> dict:
            model["stock"] = stock_of(entry)
            return {"stock": model["stock"]}

        return batch(shop, body, "stock_list", apply)

    async def product__unlist_item(shop: str, _: Request, body: dict[str, Any]) -> dict[str, Any]:
        entries = body.get("item_list") or []
        if not 0 < len(entries) <= rules.BATCH_MAX:
            raise ParamError(f"item_list length should be between 1 and {rules.BATCH_MAX}")
        failures, successes = [], []
        for entry in entries:
            try:
                items.set_status(shop, entry.get("item_id"), bool(entry.get("unlist")))
                successes.append(
                    {"item_id": entry.get("item_id"), "unlist": bool(entry.get("unlist"))}
                )
            except ParamError as exc:
                failures.append({"item_id": entry.get("item_id"), "failed_reason": exc.message})
        return {"failure_list": failures, "success_list": successes}

    async def product__get_item_list(
        shop: str, request: Request, query: dict[str, Any]
    ) -> dict[str, Any]:
        offset, size = int(query.get("offset", 0)), int(query.get("page_size", 10))
        if not 0 < size <= rules.PAGE_SIZE_MAX:
            raise ParamError(f"page_size should be between 1 and {rules.PAGE_SIZE_MAX}")
        statuses = set(request.query_params.getlist("item_status")) or {"NORMAL"}
        chosen = [i for i in items.shop(shop).values() if i["item_status"] in statuses]
        page = chosen[offset : offset + size]
        more = offset + size < len(chosen)
        return {
            "item": [
                {
                    "item_id": i["item_id"],
                    "item_status": i["item_status"],
                    "update_time": i["update_time"],
                }
                for i in page
            ],
            "total_count": len(chosen),
            "has_next_page": more,
            "next_offset": offset + size if more else 0,
        }

    async def product__get_item_base_info(
        shop: str, _: Request, query: dict[str, Any]
    ) -> dict[str, Any]:
        ids = [part for part in str(query.get("item_id_list", "")).split(",") if part]
        if not 0 < len(ids) <= rules.BASE_INFO_MAX:
            raise ParamError(f"item_id_list length should be between 1 and {rules.BASE_INFO_MAX}")
        found = [items.shop(shop).get(i) for i in ids]
        return {
            "item_list": [
                {
                    "item_id": i["item_id"],
                    "item_status": i["item_status"],
                    "image": i["image"],
                    "has_model": bool(items.models(shop, i)),
                    **{k: i[k] for k in ITEM_FIELDS},
                }
                for i in found
                if i is not None
            ]
        }

    async def product__get_model_list(
        shop: str, _: Request, query: dict[str, Any]
    ) -> dict[str, Any]:
        item = items.item(shop, query.get("item_id"))
        return {
            "tier_variation": item["tier_variation"],
            "model": [
                {
                    "model_id": m["model_id"],
                    "tier_index": m["tier_index"],
                    "model_sku": m["sku"],
                    "price_info": [{"original_price": m["price"], "current_price": m["price"]}],
                    "stock_info_v2": {"seller_stock": [{"stock": m["stock"]}]},
                    "gtin_code": m.get("gtin_code", ""),
                }
                for m in items.models(shop, item)
            ],
        }

    async def product__search_item(shop: str, _: Request, query: dict[str, Any]) -> dict[str, Any]:
        keyword = str(query.get("item_sku") or "")
        offset, size = int(query.get("offset", 0)), int(query.get("page_size", 10))
        if not 0 < size <= rules.PAGE_SIZE_MAX:
            raise ParamError(f"page_size should be between 1 and {rules.PAGE_SIZE_MAX}")
        hits = [
            i["item_id"]
            for i in items.shop(shop).values()
            if keyword in str(i.get("item_sku") or "")
            or any(keyword in m["sku"] for m in items.models(shop, i))
        ]
        page = hits[offset : offset + size]
        more = offset + size < len(hits)
        return {
            "item_id_list": page,
            "total_count": len(hits),
            "next_offset": str(offset + size) if more else "",
        }

    async def media_space__upload_image(
        _: str, request: Request, __: dict[str, Any]
    ) -> dict[str, Any]:
        fields, files = parse_form(request.headers.get("content-type", ""), await request.body())
        if "image" in files:
            source = f"bytes:{len(files['image'])}"
        elif fields.get("image_url"):  # sandbox only: no image server in tests
            source = fields["image_url"]
        else:
            raise ParamError("image is required")
        image_id = "sg-11134201-" + secrets.token_hex(12)
        items.images[image_id] = source
        return {
            "image_info": {
                "image_id": image_id,
                "image_url_list": [
                    {"image_url_region": "VN", "image_url": f"https://cf.shopee.vn/file/{image_id}"}
                ],
            }
        }

    async def shop__get_shop_info(shop: str, request: Request, _: dict[str, Any]) -> dict[str, Any]:
        shop_id = int(request.query_params["shop_id"])
        until = int(auth.authorized_until.get(shop_id, auth.now() + 365 * 86400))
        return {
            "shop_name": shop,
            "region": "VN",
            "status": "NORMAL",
            "auth_time": until - 365 * 86400,
            "expire_time": until,
        }

    handlers: list[tuple[Handler, list[str]]] = [
        (product__add_item, ["POST"]),
        (product__update_item, ["POST"]),
        (product__init_tier_variation, ["POST"]),
        (product__update_tier_variation, ["POST"]),
        (product__add_model, ["POST"]),
        (product__update_model, ["POST"]),
        (product__update_price, ["POST"]),
        (product__update_stock, ["POST"]),
        (product__unlist_item, ["POST"]),
        (product__get_item_list, ["GET"]),
        (product__get_item_base_info, ["GET"]),
        (product__get_model_list, ["GET"]),
        (product__search_item, ["GET"]),
        (media_space__upload_image, ["POST"]),
        (shop__get_shop_info, ["GET"]),
    ]
    routes: list[BaseRoute] = [shop_call(h, m) for h, m in handlers]
    routes += auth_routes(auth)
    hooks = SandboxHooks(
        seller_of=_seller_of,
        throttle_response=lambda wait: _throttled(wait),
        error_response=lambda status: envelope(
            "error_server", "Something wrong. Please try later.", status=status
        ),
    )
    return build_sandbox_app(routes, store=store, config=config, hooks=hooks)


def _throttled(wait: float) -> Response:
    response = envelope(
        "error_rate_limit", "Too many requests, please try again later.", status=429
    )
    response.headers["Retry-After"] = f"{wait:.2f}"
    return response
