"""The web console: a Starlette app over the state database, server-rendered with Jinja2.

`create_app(settings)` builds it; `ocop-sync serve` runs it with uvicorn. Pages are read
by anyone logged in; the one action (Resync) needs the operator role and, like every POST,
the visitor's CSRF token. /metrics is open (it carries counts, never a secret) so that
Prometheus can scrape it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.routing import Route

from sync.body_limit import CONSOLE_MAX_BODY, BodyLimit
from sync.console.actions import Resyncer
from sync.console.auth import Authenticator
from sync.console.coverage import CatalogCache
from sync.console.views import catalog, failures, pages, session
from sync.console.web import TEMPLATES, Console, action, page
from sync.observe.metrics import metrics_endpoint
from sync.settings import Settings
from sync.state.store import StateStore


def create_app(settings: Settings, *, resync_via: str = "inline") -> Starlette:
    """The console app over `settings`' state database and catalog."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
    )
    store = StateStore(settings.state_url)
    console = Console(
        settings,
        store,
        Authenticator(settings.console),
        CatalogCache(settings.catalog),
        Resyncer(settings, resync_via),
        env,
    )
    routes = [
        Route("/", page(pages.overview)),
        Route("/runs", page(pages.runs)),
        Route("/runs/{run_id:int}", page(pages.run)),
        Route("/failures", page(failures.failures)),
        Route("/failures/{account}/{key}", page(failures.group)),
        Route("/failures/resync", action("operator")(failures.resync), methods=["POST"]),
        Route("/listings/{account}/{sku}", page(failures.listing)),
        Route("/coverage", page(catalog.coverage_page)),
        Route("/certificates", page(catalog.certificates)),
        Route("/login", session.login_form),
        Route("/login", action(None)(session.login), methods=["POST"]),
        Route("/logout", action(None)(session.logout), methods=["POST"]),
        Route("/lang/{code}", session.language),
        Route("/metrics", metrics_endpoint(store, settings)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(BodyLimit, max_bytes=CONSOLE_MAX_BODY)  # 413 for oversized posts
    app.state.console = console
    return app
