"""Log in, log out, choose the language."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sync.console.auth import ANON_COOKIE, SESSION_COOKIE
from sync.console.i18n import LANGUAGES
from sync.console.web import LANG_COOKIE, Visit, visit

log = logging.getLogger("ocop_sync.console")


def _safe_next(target: Any) -> str:
    # Only paths of this site: an open redirect would make a convincing phishing link.
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def login_form(request: Request) -> Response:
    """The login page."""
    v = visit(request)
    return v.render(
        "login.html",
        next=_safe_next(request.query_params.get("next")),
        failed=False,
        configured=v.console.auth.configured,
    )


async def login(v: Visit, form: dict[str, Any]) -> Response:
    """Check the credentials; on success a signed session cookie and back to `next`."""
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    user = v.console.auth.login(name.strip(), password)
    if user is None:
        log.warning("console login refused for %r", name[:64])
        return v.render(
            "login.html",
            status=401,
            next=_safe_next(form.get("next")),
            failed=True,
            configured=v.console.auth.configured,
        )
    log.info("console login: %s (%s)", user.name, user.role)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        v.console.auth.session_cookie(user),
        max_age=v.console.auth.max_age,
        httponly=True,
        samesite="strict",
        secure=v.request.url.scheme == "https",
    )
    response.delete_cookie(ANON_COOKIE)
    return response


async def logout(v: Visit, form: dict[str, Any]) -> Response:
    """Forget the session."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def language(request: Request) -> Response:
    """Switch the language (a cookie), back to the page the visitor was on."""
    code = request.path_params["code"]
    back = _safe_next(request.query_params.get("next"))
    response = RedirectResponse(back, status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response
