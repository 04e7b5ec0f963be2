"""Small helpers for engine tests: run a pass, edit a catalog file."""

from __future__ import annotations

import asyncio
from datetime import date

from sync.executor import RunReport
from sync.plan import AccountPlan, PlanFilter
from sync.runner import execute_plans, make_plans, open_job
from sync.settings import Settings

TODAY = date(2026, 11, 29)


def run_pass(
    settings: Settings, today: date = TODAY, flt: PlanFilter | None = None
) -> tuple[list[AccountPlan], list[RunReport]]:
    """Plan and execute every account inline, like `ocop-sync sync`."""
    job = open_job(settings)
    try:
        plans = make_plans(job, today, flt)
        reports = asyncio.run(execute_plans(job, plans))
    finally:
        job.store.close()
    return plans, reports


def by_account(reports: list[RunReport]) -> dict[str, RunReport]:
    """Reports keyed by account name."""
    return {r.account: r for r in reports}
