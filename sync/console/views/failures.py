"""Failures grouped by the marketplace's message, one listing's history, and Resync."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response

from sync.console import queries
from sync.console.web import Visit
from sync.settings import ConfigError


def failures(v: Visit) -> Response:
    """Every failure group with its count."""
    account = v.request.query_params.get("account") or None
    return v.render(
        "failures.html",
        groups=queries.failure_groups(v.console.store, account),
        account=account,
        accounts=v.console.accounts,
        notice=v.request.query_params.get("notice"),
    )


def group(v: Visit) -> Response:
    """The listings behind one failure group, to resync all or some."""
    account, key = v.request.path_params["account"], v.request.path_params["key"]
    found = [g for g in queries.failure_groups(v.console.store, account) if g.key == key]
    if not found:
        return v.render("error.html", status=404, title=v.t("Not found"), message="")
    bindings = v.console.store.bindings(account, found[0].skus)
    return v.render("group.html", group=found[0], bindings=[bindings[s] for s in found[0].skus])


def listing(v: Visit) -> Response:
    """One listing: its binding and audit history."""
    account, sku = v.request.path_params["account"], v.request.path_params["sku"]
    found = queries.listing(v.console.store, account, sku)
    if found is None:
        return v.render("error.html", status=404, title=v.t("Not found"), message="")
    return v.render("listing.html", account=account, sku=sku, **found)


async def resync(v: Visit, form: dict[str, Any]) -> Response:
    """Resync a failure group (`group`) or the listings ticked in it (`sku`)."""
    account = str(form.get("account") or "")
    wanted = [s for s in form.get("sku") or [] if isinstance(s, str)]
    groups = queries.failure_groups(v.console.store, account)
    key = form.get("group")
    skus: list[str] = []
    for g in groups:
        if wanted:  # only listings that are failures of this account now
            skus += [s for s in g.skus if s in wanted]
        elif g.key == key:
            skus = list(g.skus)
    if not skus:
        notice = "Nothing to resync."
    else:
        try:
            assert v.user is not None  # the operator role was checked
            v.console.resyncer.start(account, skus, who=v.user.name)
        except ConfigError as error:
            return v.render("error.html", status=400, title=v.t("Not found"), message=str(error))
        celery = v.console.resyncer.via == "celery"
        notice = "Resync queued on the workers" if celery else "Resync started"
    return RedirectResponse(f"/failures?notice={quote(notice)}", status_code=303)
