"""Small helpers for engine tests: run a pass, edit a catalog file."""

from __future__ import annotations

import asyncio
from datetime import date

from sync.executor import RunReport
from sync.plan import AccountPlan, PlanFilter
from sync.runner import open_job, plan_streamed, sync_streamed
from sync.settings import Settings

TODAY = date(2026, 11, 29)


def run_pass(
    settings: Settings, today: date = TODAY, flt: PlanFilter | None = None
) -> tuple[list[AccountPlan], list[RunReport]]:
    """The dry run, then the run, of every account inline, like `ocop-sync plan` then
    `ocop-sync sync` (both stream the catalog)."""
    job = open_job(settings, stream=True)
    try:
        plans = plan_streamed(job, today, flt)
    finally:
        job.store.close()
    job = open_job(settings, stream=True)
    try:
        reports = asyncio.run(sync_streamed(job, today, flt))
    finally:
        job.store.close()
    return plans, reports


def by_account(reports: list[RunReport]) -> dict[str, RunReport]:
    """Reports keyed by account name."""
    return {r.account: r for r in reports}
