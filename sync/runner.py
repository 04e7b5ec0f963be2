"""Glue between settings, catalog, state and connectors: what the CLI, the demo and the
Celery tasks call to plan and run a sync."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from connectors.base import Connector
from connectors.ratelimit import RateLimiter
from connectors.registry import get_connector
from sync.catalog_io import LoadResult, load_catalog
from sync.executor import Progress, RunReport, run_plans
from sync.plan import AccountPlan, PlanFilter, plan_all
from sync.reconcile import ReconcileReport, reconcile_account
from sync.settings import Account, ConfigError, Settings
from sync.state.index import BindingIndex
from sync.state.store import StateStore


@dataclass
class Job:
    """A run's inputs: settings, the accounts it covers, the loaded catalog, the store."""

    settings: Settings
    accounts: list[Account]
    store: StateStore
    catalog: LoadResult | None = None

    def connectors(self) -> dict[str, Connector]:
        """Connector per marketplace used by these accounts."""
        return {a.marketplace: get_connector(a.marketplace) for a in self.accounts}


def select_accounts(settings: Settings, names: Sequence[str] = ()) -> list[Account]:
    """The named accounts (all when none named); ConfigError for unknown names or none at all."""
    if not settings.accounts:
        raise ConfigError("no accounts configured (add [[accounts]] to the configuration file)")
    return [settings.account(n) for n in names] if names else list(settings.accounts)


def open_job(
    settings: Settings,
    account_names: Sequence[str] = (),
    *,
    catalog: Path | None = None,
    need_catalog: bool = True,
) -> Job:
    """Resolve accounts, open the state store and load the catalog (raises clear errors)."""
    accounts = select_accounts(settings, account_names)
    store = StateStore(settings.state_url)
    job = Job(settings, accounts, store)
    if need_catalog:
        path = catalog or settings.catalog
        if path is None:
            raise ConfigError("no catalog given (--catalog FILE or `catalog` in the configuration)")
        job.catalog = load_catalog(path)
    return job


def make_plans(job: Job, today: date, flt: PlanFilter | None = None) -> list[AccountPlan]:
    """Plan every account of the job (hashing each product once)."""
    assert job.catalog is not None
    return plan_all(
        job.catalog.catalog,
        [
            (a, get_connector(a.marketplace), BindingIndex.load(job.store, a.name))
            for a in job.accounts
        ],
        today,
        flt,
    )


async def execute_plans(
    job: Job,
    plans: Sequence[AccountPlan],
    *,
    kind: str = "sync",
    trigger: str = "cli",
    progress: Progress | None = None,
    limiters: dict[str, RateLimiter] | None = None,
) -> list[RunReport]:
    """Run the plans of every account concurrently, then apply the audit retention."""
    connectors = {p.account.marketplace: get_connector(p.account.marketplace) for p in plans}
    reports = await run_plans(
        plans,
        connectors,
        job.store,
        limiters=limiters,
        kind=kind,
        trigger=trigger,
        progress=progress,
    )
    # Keep the audit trail within its retention (an indexed DELETE: cheap when nothing is due).
    await asyncio.to_thread(job.store.prune_audit, job.settings.audit_retention_days)
    return reports


async def reconcile_accounts(job: Job) -> list[ReconcileReport]:
    """Scan every account's remote listings and mark drift for the next sync."""
    reports = []
    for account in job.accounts:
        client = get_connector(account.marketplace).client_factory(account)
        try:
            reports.append(await reconcile_account(client, job.store))
        finally:
            await client.aclose()
    return reports
