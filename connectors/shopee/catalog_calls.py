"""Shopee reads: search_item, get_item_base_info, get_model_list, get_item_list paging,
and the translation of an item's model back into a RemoteListing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from connectors.base import RemoteListing
from connectors.shopee import api
from connectors.shopee.rules import BASE_INFO_MAX, PAGE_SIZE_MAX

if TYPE_CHECKING:
    from connectors.shopee.media import MediaSpace

    class _Host:
        media: MediaSpace

        async def _call(self, method: str, path: str, **kwargs: Any) -> Any: ...

else:
    _Host = object


class CatalogCalls(_Host):
    """Read calls of ShopeeClient (a mixin: it needs `_call` and `media`)."""

    async def _search(self, sku: str) -> list[int]:
        """Item ids whose item SKU or a model SKU contains `sku` (Shopee's keyword search)."""
        found: list[int] = []
        offset = 0
        while True:
            params = {"item_sku": sku, "offset": offset, "page_size": PAGE_SIZE_MAX}
            data = await self._call("GET", api.SEARCH_ITEM, params=params)
            found.extend(int(i) for i in data.get("item_id_list") or [])
            next_offset = str(data.get("next_offset") or "")
            if not next_offset.isdigit() or int(next_offset) <= offset:
                return found
            offset = int(next_offset)

    async def _item_by_sku(self, item_sku: str) -> dict[str, Any] | None:
        """The item whose item SKU is exactly `item_sku` (our product SKU), or None."""
        ids = await self._search(item_sku)
        for start in range(0, len(ids), BASE_INFO_MAX):
            for item in await self._base_info(ids[start : start + BASE_INFO_MAX]):
                if item.get("item_sku") == item_sku:
                    return item
        return None

    async def _base_info(self, item_ids: list[int]) -> list[dict[str, Any]]:
        if not item_ids:
            return []
        params = {"item_id_list": ",".join(str(i) for i in item_ids)}
        data = await self._call("GET", api.ITEM_BASE_INFO, params=params)
        return list(data.get("item_list") or [])

    async def _models(self, item_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(tier_variation, model) of one item."""
        data = await self._call("GET", api.MODEL_LIST, params={"item_id": item_id})
        return list(data.get("tier_variation") or []), list(data.get("model") or [])

    async def _remote_listings(self, item_ids: list[int]) -> list[RemoteListing]:
        """One RemoteListing per model of these items (an item without models: none)."""
        listings: list[RemoteListing] = []
        items = await self._base_info(item_ids)
        await self.media.learn(image_id for item in items for image_id in _image_ids(item))
        for item in items:
            if not item.get("has_model"):
                continue
            tiers, models = await self._models(int(item["item_id"]))
            options = [entry["option"] for entry in tiers[0]["option_list"]] if tiers else []
            listings.extend(self._remote(item, model, options) for model in models)
        return listings

    def _remote(
        self, item: dict[str, Any], model: dict[str, Any], options: list[str]
    ) -> RemoteListing:
        content = {key: item.get(key) for key in api.ITEM_FIELDS}
        content["weight"] = round(float(content["weight"] or 0), 3)
        content["logistic_info"] = [
            {"logistic_id": int(entry["logistic_id"]), "enabled": bool(entry.get("enabled"))}
            for entry in content.get("logistic_info") or []
        ]
        content["images"] = self.media.names(_image_ids(item))
        index = (model.get("tier_index") or [0])[0]
        content["option"] = options[index] if index < len(options) else ""
        content["gtin_code"] = model.get("gtin_code") or ""
        prices = model.get("price_info") or [{}]
        stocks = (model.get("stock_info_v2") or {}).get("seller_stock") or [{}]
        return RemoteListing(
            remote_id=f"{item['item_id']}:{model['model_id']}",
            sku=str(model.get("model_sku") or ""),
            active=item.get("item_status") == "NORMAL",
            price=int(float(prices[0].get("original_price") or 0)),
            stock=int(stocks[0].get("stock") or 0),
            content=content,
        )

    async def _list_remote(self, page_size: int) -> AsyncIterator[RemoteListing]:
        size = max(1, min(page_size, PAGE_SIZE_MAX))
        offset = 0
        while True:
            params: list[tuple[str, Any]] = [
                ("offset", offset),
                ("page_size", size),
                ("item_status", "NORMAL"),
                ("item_status", "UNLIST"),
            ]
            data = await self._call("GET", api.ITEM_LIST, params=params)
            ids = [int(entry["item_id"]) for entry in data.get("item") or []]
            for start in range(0, len(ids), BASE_INFO_MAX):
                for remote in await self._remote_listings(ids[start : start + BASE_INFO_MAX]):
                    yield remote
            if not data.get("has_next_page"):
                return
            offset = int(data.get("next_offset") or offset + size)


def _image_ids(item: dict[str, Any]) -> list[str]:
    return [str(i) for i in (item.get("image") or {}).get("image_id_list") or []]
