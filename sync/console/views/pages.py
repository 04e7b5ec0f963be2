"""Overview, runs and one run."""

from __future__ import annotations

from starlette.responses import Response

from sync.console import queries
from sync.console.web import Visit


def overview(v: Visit) -> Response:
    """Per account: listings by status, adopted, last and running runs; the schedule; token
    expiries."""
    store, accounts = v.console.store, v.console.accounts
    counts = queries.status_counts(store, accounts)
    adopted = queries.adopted_counts(store)
    last = {a: queries.runs(store, a, limit=1) for a in accounts}
    rows = [
        {
            "account": a.name,
            "marketplace": a.marketplace,
            "counts": counts[a.name],
            "adopted": adopted.get(a.name, 0),
            "last": last[a.name][0] if last[a.name] else None,
        }
        for a in v.console.settings.accounts
    ]
    return v.render(
        "overview.html",
        rows=rows,
        statuses=queries.STATUSES,
        running=queries.running_runs(store),
        next_runs=queries.next_runs(store, v.console.settings.schedule),
        tokens=queries.token_statuses(store),
    )


def runs(v: Visit) -> Response:
    """The newest runs, of one account when `?account=` is given."""
    account = v.request.query_params.get("account") or None
    return v.render(
        "runs.html",
        runs=queries.runs(v.console.store, account, limit=100),
        account=account,
        accounts=v.console.accounts,
    )


def run(v: Visit) -> Response:
    """One run: counts, duration, requests, throttles, errors; refreshing while it runs."""
    detail = queries.run_detail(v.console.store, int(v.request.path_params["run_id"]))
    if detail is None:
        return v.render("error.html", status=404, title=v.t("Not found"), message="")
    return v.render("run.html", run=detail)
