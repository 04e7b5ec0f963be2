"""OCOP coverage and expiring certificates: the catalog read against the state."""

from __future__ import annotations

from datetime import date

from starlette.responses import Response

from sync.console.charts import coverage_bars
from sync.console.coverage import HORIZONS, coverage, expiring
from sync.console.web import Visit


def coverage_page(v: Visit) -> Response:
    """Eligible vs listed by stars × account, by OCOP group and by province / commune."""
    catalog = v.console.catalog.get()
    if catalog is None:
        return v.render("coverage.html", cov=None)
    cov = coverage(catalog, v.console.store, v.console.accounts, date.today())
    chart = coverage_bars(
        [(account, cov.total.eligible, cov.total.listed[account]) for account in cov.accounts],
        v.t("listed"),
        v.t("eligible"),
    )
    return v.render("coverage.html", cov=cov, chart=chart)


def certificates(v: Visit) -> Response:
    """Certificates ending within 30 / 60 / 90 days and the listings they take down."""
    catalog = v.console.catalog.get()
    soon = (
        expiring(catalog, v.console.store, v.console.accounts, date.today())
        if catalog is not None
        else None
    )
    return v.render("certificates.html", soon=soon, horizons=HORIZONS)
