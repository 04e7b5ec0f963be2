"""Builds a sandbox Starlette app around a marketplace's own routes.

The wrapper does what every sandbox shares: counting, per-seller rate limiting with the
marketplace's own throttle answer, fault injection (before or after the request is
processed), a request body limit, and the `/_sandbox/*` endpoints tests and benchmarks read.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.sandbox.faults import POST_FAULTS, FaultPlan, SandboxConfig
from connectors.sandbox.store import ListingStore
from sync.body_limit import SANDBOX_MAX_BODY, BodyLimit

MAX_BODY_BYTES = SANDBOX_MAX_BODY  # every sandbox, every path: 413 above (sync.body_limit)


@dataclass
class SandboxHooks:
    """What differs between marketplaces in the shared behaviour."""

    # Seller id from headers/query alone (rate limits are per seller); None = anonymous.
    seller_of: Callable[[Scope], str | None]
    # The marketplace's own throttle answer, given the seconds to wait.
    throttle_response: Callable[[float], Response]
    # The marketplace's own server-error answer, given the HTTP status.
    error_response: Callable[[int], Response]


class _Limiter:
    """Fixed one-second windows per seller, as marketplaces count."""

    def __init__(self) -> None:
        self.window: dict[str, tuple[int, int]] = {}

    def allow(self, seller: str, rate: float) -> tuple[bool, float]:
        now = time.time()
        second = int(now)
        start, count = self.window.get(seller, (second, 0))
        if start != second:
            start, count = second, 0
        if count >= rate:
            self.window[seller] = (start, count)
            return False, max(0.05, second + 1 - now)
        self.window[seller] = (start, count + 1)
        return True, 0.0


class SandboxMiddleware:
    """ASGI middleware applying rate limits and faults to the API routes."""

    def __init__(
        self,
        app: ASGIApp,
        store: ListingStore,
        config: SandboxConfig,
        hooks: SandboxHooks,
    ) -> None:
        self.app = app
        self.store = store
        self.config = config
        self.hooks = hooks
        self.plan = FaultPlan(config)
        self.limiter = _Limiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/_sandbox", "/openapi")):
            await self.app(scope, receive, send)
            return
        counters = self.store.counters
        counters["requests"] += 1
        seller = self.hooks.seller_of(scope) or "anonymous"
        if self.config.rate_limit:
            allowed, wait = self.limiter.allow(seller, self.config.rate_limit)
            if not allowed:
                counters["throttled"] += 1
                await self.hooks.throttle_response(wait)(scope, receive, send)
                return
        self.store.note_served(seller, int(time.time()))
        counters["served"] += 1
        self.store.enter(seller)
        try:
            await self._serve(scope, receive, send)
        finally:
            self.store.leave(seller)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        counters = self.store.counters
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        fault = self.plan.draw()
        if fault is None:
            await self.app(scope, receive, send)
            return
        counters["faults"] += 1
        counters[f"fault:{fault}"] += 1
        if fault not in POST_FAULTS:
            response = (
                self.hooks.throttle_response(self.config.throttle_seconds)
                if fault == "throttle"
                else self.hooks.error_response(503 if fault == "error503" else 500)
            )
            await response(scope, receive, send)
            return
        # Post faults: process the request fully, then lose the answer.
        buffered: list[Message] = []

        async def keep(message: Message) -> None:
            buffered.append(message)

        await self.app(scope, receive, keep)
        if fault == "slow":
            await asyncio.sleep(self.config.slow_seconds)
            for message in buffered:
                await send(message)
            return
        # "drop": announce a body, send none, and end: the server closes the connection.
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})


def _inspection_routes(store: ListingStore, config: SandboxConfig) -> list[BaseRoute]:
    async def stats(_: Request) -> Response:
        return JSONResponse(store.stats())

    async def listings(request: Request) -> Response:
        seller = request.query_params.get("seller")
        sellers = {seller: store.seller(seller)} if seller else store.sellers
        wanted = request.query_params.get("skus")  # comma-separated: only these SKUs

        def shown(item: dict[str, Any]) -> dict[str, Any]:
            return {**item, "id": store.public_id(item)}  # as the client's remote id

        if wanted:
            skus = wanted.split(",")
            return JSONResponse(
                {
                    name: [shown(item) for sku in skus if (item := s.find_sku(sku)) is not None]
                    for name, s in sellers.items()
                }
            )
        return JSONResponse(
            {name: [shown(item) for item in s.listings.values()] for name, s in sellers.items()}
        )

    async def get_config(request: Request) -> Response:
        if request.method == "POST":
            try:
                config.update(await request.json())
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(config.public())

    async def hand_edit(request: Request) -> Response:
        # Simulates a seller editing or deleting a listing by hand in the web portal.
        seller = store.seller(request.path_params["seller"])
        remote_id = store.record_id(request.path_params["remote_id"])
        if request.method == "DELETE":
            return JSONResponse({"deleted": seller.delete(remote_id)})
        record = seller.listings.get(remote_id)
        if record is None:
            return JSONResponse({"error": "no such listing"}, status_code=404)
        record.update(await request.json())
        return JSONResponse(record)

    async def reset(_: Request) -> Response:
        store.reset()
        return JSONResponse({"ok": True})

    return [
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/listings", listings),
        Route("/_sandbox/config", get_config, methods=["GET", "POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/listings/{seller}/{remote_id}", hand_edit, methods=["PATCH", "DELETE"]),
    ]


def build_sandbox_app(
    routes: list[BaseRoute],
    *,
    store: ListingStore,
    config: SandboxConfig,
    hooks: SandboxHooks,
    openapi: dict[str, Any] | None = None,
) -> Starlette:
    """A sandbox app: the marketplace's routes wrapped in the shared behaviour."""
    extra: list[BaseRoute] = []
    if openapi is not None:

        async def spec(_: Request) -> Response:
            return JSONResponse(openapi)

        extra.append(Route("/openapi.json", spec))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.save()

    app = Starlette(routes=[*routes, *_inspection_routes(store, config), *extra], lifespan=lifespan)
    app.state.store = store
    app.state.config = config
    app.add_middleware(SandboxMiddleware, store=store, config=config, hooks=hooks)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)  # outermost: before anything reads
    return app
