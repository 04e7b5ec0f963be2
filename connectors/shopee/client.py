"""Shopee client: one shop, Open Platform v2, over the shared HTTP layer.

Every call is a shop-level call signed with the tokens the engine's TokenProvider hands
out (`prepare`). An expired-token answer raises `TokenExpired` carrying the pair it was
signed with; `_call` then asks the provider for `refreshed(stale)` — one refresh across
every process — and sends the call once more. A product is one item (item SKU = product
SKU) with one variation tier whose options are the variants (model SKU = variant SKU); a
listing's remote id is "item_id:model_id".

Shopee unlists items, not models (a shop's own models have no status it may set), so a
variant is delisted by removing its model while a sibling stays on sale, and the item is
unlisted only with its last model; a delisted variant comes back as a new model of the same
SKU (docs/marketplaces/shopee.md, "Delisting a variant").
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from connectors.base import ChangedFields, ItemResult, Listing, RemoteListing, fields_to_send
from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
    ThrottledError,
)
from connectors.http import HttpClient, RetryPolicy, parse_retry_after
from connectors.image_upload import ImageFetcher, MediaMemory
from connectors.oauth import TokenProvider, Tokens, hide_tokens_in_http_logs
from connectors.ratelimit import RateLimiter
from connectors.shopee import api
from connectors.shopee.catalog_calls import CatalogCalls
from connectors.shopee.mapping import unique_option
from connectors.shopee.media import MediaSpace
from connectors.shopee.oauth import partner
from connectors.shopee.rules import BATCH_MAX
from connectors.shopee.signing import now, shop_params
from sync.settings import Account

_TOKENS = "ocop_tokens"  # request extension: the pair a request was signed with


class TokenExpired(AuthError):
    """Shopee refused the access token as expired or invalid; `stale` is the pair used."""

    def __init__(self, message: str, stale: Tokens | None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.stale = stale


def split_id(remote_id: str, account: str) -> tuple[int, int]:
    """(item_id, model_id) of a remote id; NotFoundError when it is not one of ours."""
    try:
        item, model = remote_id.split(":")
        return int(item), int(model)
    except ValueError:
        raise NotFoundError(
            f"{remote_id!r} is not a Shopee item:model id", account=account
        ) from None


class ShopeeClient(CatalogCalls, HttpClient):
    """MarketplaceClient for one Shopee shop (credentials: partner_id, partner_key)."""

    marketplace = "shopee"

    def __init__(
        self,
        account: Account,
        *,
        tokens: TokenProvider,
        media: MediaMemory | None = None,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(account, http=http, limiter=limiter, policy=policy)
        self.tokens = tokens
        hide_tokens_in_http_logs()  # the access token travels in every URL's query
        # Our sandbox takes `image_url` instead of the bytes (no image server in tests);
        # the real media space needs the bytes, so fetching is the default.
        self.images = ImageFetcher(self.http, account, option="media_fetch", title="Shopee")
        self.media = MediaSpace(account, self._upload, media)
        # Product SKU -> lock: one item per product, even for concurrent creates.
        self._item_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Item id -> lock: every change of the variation tier rewrites the whole option and
        # model list read just before, so two at once would undo each other.
        self._tier_locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    # -- protocol hooks ---------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Sign as a shop-level call with the current tokens and a fresh timestamp."""
        tokens = await self.tokens.current()
        partner_id, key = partner(self.account)
        shop_id = tokens.shop_id or str(self.account.options.get("shop_id", ""))
        params = shop_params(partner_id, key, request.url.path, now(), tokens.access_token, shop_id)
        request.url = request.url.copy_merge_params(params)
        request.extensions[_TOKENS] = tokens

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """Shopee's envelope -> the taxonomy (an `error` code fails even an HTTP 200)."""
        try:
            body = response.json()
        except ValueError:
            return super().classify(response)
        if not isinstance(body, dict):
            return super().classify(response)
        code = str(body.get("error") or "")
        status = response.status_code
        if not code and status < 400:
            return None
        message = str(body.get("message") or code or f"HTTP {status}")[:500]
        kw: dict[str, Any] = {"account": self.account.name, "status": status, "code": code or None}
        if code in api.EXPIRED_TOKEN_CODES:
            return TokenExpired(message, response.request.extensions.get(_TOKENS), **kw)
        if status == 429 or code in api.THROTTLE_CODES:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            return ThrottledError(message, retry_after=wait, **kw)
        if status >= 500 or code in api.SERVER_CODES:
            return RetriableError(message, **kw)
        if code in api.AUTH_CODES or status in (401, 403):
            return AuthError(message, **kw)
        if code == api.ITEM_NOT_FOUND or status == 404:
            return NotFoundError(message, **kw)
        return ItemRejected(message, **kw)

    async def _call(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> Any:
        """One API call; an expired token is refreshed once (for every process) and the
        call sent again — it was refused, not processed, so even a create may be."""
        try:
            response = await self.request(method, path, retry=retry, **kwargs)
        except TokenExpired as expired:
            stale = expired.stale or await self.tokens.current()
            await self.tokens.refreshed(stale)
            response = await self.request(method, path, retry=retry, **kwargs)
        body = response.json()
        inner = body.get("response") if isinstance(body, dict) else None
        return inner if isinstance(inner, dict) else {}

    async def _upload(self, source: str) -> str:
        """media_space/upload_image of one image; its image id."""
        if not self.images.fetch:
            data = await self._call("POST", api.UPLOAD_IMAGE, data={"image_url": source})
        else:
            image = await self.images.fetch_image(source)
            files = {"image": ("image", image.data, image.content_type)}
            data = await self._call("POST", api.UPLOAD_IMAGE, files=files)
        return str(data["image_info"]["image_id"])

    # -- MarketplaceClient: writes ----------------------------------------------------------
    async def create(self, listing: Listing) -> str:
        """Add the model (and its item, the first time); one attempt per write, since a
        create whose answer is lost is looked up by SKU (idempotency.create_once).

        An unlisted item holds only variants delisted here (the last one delisted unlists
        its item): a model joining it goes on sale alone, so those are removed and the
        item listed again."""
        async with self._item_locks[listing.product_sku]:
            item = await self._item_by_sku(listing.product_sku)
            if item is None:
                body = await self._item_body(listing)
                body["original_price"] = listing.price
                body["seller_stock"] = [{"stock": listing.stock}]
                added = await self._call("POST", api.ADD_ITEM, retry=False, json=body)
                item = {"item_id": int(added["item_id"]), "item_status": "NORMAL"}
            item_id = int(item["item_id"])
            async with self._tier_locks[item_id]:
                remote_id = await self._add_model(item_id, listing)
                if item.get("item_status") == "UNLIST":
                    tiers, models = await self._models(item_id)
                    _, model_id = split_id(remote_id, self.account.name)
                    await self._place(
                        item_id, tiers, [m for m in models if m["model_id"] == model_id]
                    )
                    await self._unlist(item_id, False)
            return remote_id

    async def _add_model(self, item_id: int, listing: Listing) -> str:
        model = {
            "original_price": listing.price,
            "model_sku": listing.sku,
            "seller_stock": [{"stock": listing.stock}],
            "gtin_code": listing.content.get("gtin_code", ""),
        }
        tiers, models = await self._models(item_id)
        option = listing.content["option"]
        if not tiers:
            tier = [{"name": api.TIER_NAME, "option_list": [{"option": option}]}]
            body = {
                "item_id": item_id,
                "tier_variation": tier,
                "model": [{"tier_index": [0], **model}],
            }
            done = await self._call("POST", api.INIT_TIER, retry=False, json=body)
            return f"{item_id}:{done['model'][0]['model_id']}"
        options = [entry["option"] for entry in tiers[0]["option_list"]]
        mine = next((m for m in models if m["model_sku"] == model["model_sku"]), None)
        if mine is not None:  # created by an attempt whose answer was lost
            return f"{item_id}:{mine['model_id']}"
        used = {options[m["tier_index"][0]] for m in models if m["tier_index"][0] < len(options)}
        option = unique_option(option, listing.sku, used)
        if option in options:  # an option left without a model (a model deleted by hand)
            index = options.index(option)
        else:
            options.append(option)
            index = len(options) - 1
            await self._set_tier(item_id, tiers[0]["name"], options, models)
        body = {"item_id": item_id, "model_list": [{"tier_index": [index], **model}]}
        done = await self._call("POST", api.ADD_MODEL, retry=False, json=body)
        return f"{item_id}:{done['model'][0]['model_id']}"

    async def _item_body(self, listing: Listing) -> dict[str, Any]:
        content = listing.content
        body = {key: content[key] for key in api.ITEM_FIELDS}
        body["image"] = {"image_id_list": await self.media.ids(content["images"], listing.images)}
        return body

    async def update(self, remote_id: str, listing: Listing) -> None:
        """Item content, the model's SKU, GTIN and option, then price and stock; a model
        no longer there (a delisted variant) is NotFoundError before anything is sent."""
        item_id, model_id = split_id(remote_id, self.account.name)
        async with self._tier_locks[item_id]:
            tiers, models = await self._models(item_id)
            mine = self._model(item_id, model_id, models)
            body = {"item_id": item_id, **await self._item_body(listing)}
            await self._call("POST", api.UPDATE_ITEM, json=body)
            change = {
                "model_id": model_id,
                "model_sku": listing.sku,
                "gtin_code": listing.content.get("gtin_code", ""),
            }
            await self._call("POST", api.UPDATE_MODEL, json={"item_id": item_id, "model": [change]})
            options = [entry["option"] for entry in tiers[0]["option_list"]]
            if options[mine["tier_index"][0]] != listing.content["option"]:
                options[mine["tier_index"][0]] = listing.content["option"]
                await self._set_tier(item_id, tiers[0]["name"], options, models)
        await self.update_price(remote_id, listing)
        await self.update_stock(remote_id, listing)

    def _model(self, item_id: int, model_id: int, models: list[dict[str, Any]]) -> dict[str, Any]:
        mine = next((m for m in models if m["model_id"] == model_id), None)
        if mine is None:
            raise NotFoundError(
                f"model {model_id} of item {item_id} not found", account=self.account.name
            )
        return mine

    async def _set_tier(
        self, item_id: int, name: str, options: list[str], models: list[dict[str, Any]]
    ) -> None:
        """update_tier_variation with every model in `model_list` at its option: Shopee
        keeps a model's information only when it is listed there."""
        body = {
            "item_id": item_id,
            "tier_variation": [{"name": name, "option_list": [{"option": o} for o in options]}],
            "model_list": [
                {"model_id": m["model_id"], "tier_index": list(m["tier_index"])} for m in models
            ],
        }
        await self._call("POST", api.UPDATE_TIER, json=body)

    async def _place(
        self, item_id: int, tiers: list[dict[str, Any]], kept: list[dict[str, Any]]
    ) -> None:
        """Keep only the models `kept`: the others go with their options (update_tier_variation,
        as Shopee's variant guide deletes a variant of an unchanged tier structure)."""
        options = [entry["option"] for entry in tiers[0]["option_list"]]
        used = sorted({m["tier_index"][0] for m in kept})
        moved = {old: new for new, old in enumerate(used)}
        placed = [{**m, "tier_index": [moved[m["tier_index"][0]]]} for m in kept]
        await self._set_tier(item_id, tiers[0]["name"], [options[i] for i in used], placed)

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """Price only."""
        only = {listing.sku: ("price",)}
        result = (await self.update_prices_stocks([(remote_id, listing)], changed=only))[0]
        if result.error is not None:
            raise result.error

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """Stock only."""
        only = {listing.sku: ("stock",)}
        result = (await self.update_prices_stocks([(remote_id, listing)], changed=only))[0]
        if result.error is not None:
            raise result.error

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """Price and stock per item, up to 50 models a call (Shopee's batches are per item);
        each model's outcome from Shopee's failure_list."""
        errors: dict[int, MarketplaceError | None] = {}
        groups: dict[int, list[tuple[int, int, Listing]]] = defaultdict(list)
        for position, (remote_id, listing) in enumerate(items):
            try:
                item_id, model_id = split_id(remote_id, self.account.name)
            except NotFoundError as bad:
                errors[position] = bad
                continue
            errors[position] = None
            groups[item_id].append((position, model_id, listing))
        for item_id, members in groups.items():
            for kind in ("price", "stock"):  # a model only in the call of what changed
                wanted = [m for m in members if kind in fields_to_send(changed, m[2].sku)]
                for start in range(0, len(wanted), BATCH_MAX):
                    await self._batch(item_id, wanted[start : start + BATCH_MAX], kind, errors)
        return [ItemResult(listing.sku, errors[i]) for i, (_, listing) in enumerate(items)]

    async def _batch(
        self,
        item_id: int,
        chunk: list[tuple[int, int, Listing]],
        kind: str,
        errors: dict[int, MarketplaceError | None],
    ) -> None:
        entries: list[dict[str, Any]]
        if kind == "price":
            path, key = api.UPDATE_PRICE, "price_list"
            entries = [{"model_id": m, "original_price": listing.price} for _, m, listing in chunk]
        else:
            path, key = api.UPDATE_STOCK, "stock_list"
            entries = [
                {"model_id": m, "seller_stock": [{"stock": listing.stock}]}
                for _, m, listing in chunk
            ]
        try:
            data = await self._call("POST", path, json={"item_id": item_id, key: entries})
        except AuthError:
            raise  # the whole account, not these models
        except MarketplaceError as failed:
            for position, _, _ in chunk:
                errors[position] = errors[position] or failed
            return
        failed_models = {
            entry.get("model_id"): str(entry.get("failed_reason") or "refused")
            for entry in data.get("failure_list") or []
        }
        for position, model_id, _ in chunk:
            if model_id in failed_models and errors[position] is None:
                errors[position] = ItemRejected(
                    failed_models[model_id], account=self.account.name, code=kind
                )

    async def delist(self, remote_id: str, sku: str) -> None:
        """Take this variant off sale and leave its siblings on sale: its model is removed
        while the item has others; the last model stays and its item is unlisted."""
        item_id, model_id = split_id(remote_id, self.account.name)
        async with self._tier_locks[item_id]:
            tiers, models = await self._models(item_id)
            self._model(item_id, model_id, models)
            others = [m for m in models if m["model_id"] != model_id]
            if others:
                await self._place(item_id, tiers, others)
            else:
                await self._unlist(item_id, True)

    async def relist(self, remote_id: str, sku: str) -> None:
        """unlist_item with unlist=false for a model still there; a removed one (a variant
        delisted beside siblings on sale) is NotFoundError, which the engine answers by
        creating it again (a new model of the same SKU, with the listing's price and stock)."""
        item_id, model_id = split_id(remote_id, self.account.name)
        async with self._tier_locks[item_id]:
            _, models = await self._models(item_id)
            self._model(item_id, model_id, models)
            await self._unlist(item_id, False)

    async def _unlist(self, item_id: int, unlist: bool) -> None:
        body = {"item_list": [{"item_id": item_id, "unlist": unlist}]}
        data = await self._call("POST", api.UNLIST_ITEM, json=body)
        for failure in data.get("failure_list") or []:
            reason = str(failure.get("failed_reason") or "refused")
            kind = NotFoundError if "not found" in reason else ItemRejected
            raise kind(reason, account=self.account.name)

    # -- MarketplaceClient: reads -----------------------------------------------------------
    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """search_item by SKU keyword, then the exact model among the hits."""
        for item_id in await self._search(sku):
            for remote in await self._remote_listings([item_id]):
                if remote.sku == sku:
                    return remote
        return None

    def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """Every model of every listed or unlisted item, page by page."""
        return self._list_remote(page_size)
