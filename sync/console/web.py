"""The console's request plumbing: what every view gets (`Console`, `Visit`), and the two
ways a view is exposed — a page for anyone logged in, an action (POST) behind the CSRF
token and a role. Views import this module; `sync.console.app` wires them into routes."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sync.console.actions import Resyncer
from sync.console.auth import ANON_COOKIE, SESSION_COOKIE, Authenticator, User, new_nonce
from sync.console.coverage import CatalogCache
from sync.console.i18n import LANGUAGES, translate
from sync.localtime import duration, local_time
from sync.settings import Settings
from sync.state.store import StateStore

log = logging.getLogger("ocop_sync.console")
TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "ocop_lang"


@dataclass
class Console:
    """What every view needs: settings, the store, the authenticator, the templates."""

    settings: Settings
    store: StateStore
    auth: Authenticator
    catalog: CatalogCache
    resyncer: Resyncer
    env: Environment

    @property
    def zone(self) -> str:
        """The schedule's timezone: every time on a page is shown in it."""
        return self.settings.schedule.timezone

    @property
    def accounts(self) -> list[str]:
        """Configured account names, in configuration order."""
        return [a.name for a in self.settings.accounts]


@dataclass
class Visit:
    """One request's visitor: the user (None before login), language and CSRF nonce."""

    request: Request
    console: Console
    user: User | None
    nonce: str
    new_nonce: bool
    lang: str

    @property
    def csrf(self) -> str:
        """The token every form of this visitor carries."""
        return self.console.auth.csrf_token(self.nonce)

    def t(self, text: str, **values: Any) -> str:
        """`text` in the visitor's language, with {placeholders} filled."""
        out = translate(text, self.lang)
        return out.format(**values) if values else out

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        """A page of `template` with the common context."""
        console = self.console
        html = console.env.get_template(template).render(
            t=self.t,
            user=self.user,
            csrf=self.csrf,
            lang=self.lang,
            zone=console.zone,
            when=lambda moment, seconds=False: local_time(moment, console.zone, seconds=seconds),
            duration=duration,
            path=self.request.url.path,
            query=self.request.url.query,
            **values,
        )
        return self.finish(HTMLResponse(html, status_code=status))

    def finish(self, response: Response) -> Response:
        """Give a new visitor its nonce cookie (the login form's CSRF token derives from it)."""
        if self.new_nonce:
            response.set_cookie(ANON_COOKIE, self.nonce, httponly=True, samesite="strict")
        return response

    def refuse(self, message: str, status: int = 403) -> Response:
        """The error page."""
        return self.render("error.html", status=status, title=self.t("Forbidden"), message=message)


def visit(request: Request) -> Visit:
    """Who is asking, in which language."""
    console: Console = request.app.state.console
    user = console.auth.user_from(request.cookies.get(SESSION_COOKIE))
    anon = request.cookies.get(ANON_COOKIE)
    nonce = user.nonce if user else (anon or new_nonce())
    lang = request.cookies.get(LANG_COOKIE) or console.settings.console.language
    if lang not in LANGUAGES:
        lang = "vi"
    return Visit(request, console, user, nonce, user is None and not anon, lang)


View = Callable[[Visit], Response]
Action = Callable[[Visit, dict[str, Any]], Awaitable[Response]]


def page(view: View) -> Callable[[Request], Response]:
    """A GET page for anyone logged in; others are sent to the login page. Runs in a thread
    (Starlette runs plain functions in its pool): the state reads block."""

    @functools.wraps(view)
    def endpoint(request: Request) -> Response:
        v = visit(request)
        if v.user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return v.finish(RedirectResponse(f"/login?next={quote(target)}", status_code=303))
        return view(v)

    return endpoint


def action(role: str | None) -> Callable[[Action], Callable[[Request], Awaitable[Response]]]:
    """A POST: the CSRF token first (for everyone), then the role (None: no login needed)."""

    def wrap(handler: Action) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            v = visit(request)
            form = await request.form()
            fields: dict[str, Any] = {
                key: (form.getlist(key) if key == "sku" else form.get(key)) for key in form
            }
            token = fields.get("csrf")
            if not v.console.auth.csrf_ok(v.nonce, token if isinstance(token, str) else None):
                log.warning("refused a POST to %s: CSRF token missing or wrong", request.url.path)
                return v.refuse(
                    v.t("The form expired or came from another site (CSRF token missing or wrong).")
                )
            if role is not None and (
                v.user is None or (role == "operator" and not v.user.may_resync)
            ):
                return v.refuse(v.t("Your role may not do this."))
            return await handler(v, fields)

        return endpoint

    return wrap
