"""Glue between settings, catalog, state and connectors: what the CLI, the demo and the
Celery tasks call to plan and run a sync."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from connectors.base import Connector
from connectors.errors import MarketplaceError
from connectors.ratelimit import RateLimiter
from connectors.registry import get_connector
from sync.catalog_io import CatalogStream, LoadResult, load_catalog, open_catalog
from sync.dedupe import DedupeReport, dedupe_account
from sync.engine.clients import check_account, open_client
from sync.engine.lease import HeldLease, LeaseBusy
from sync.executor import Progress, RunReport, run_plans
from sync.plan import AccountPlan, PlanFilter, plan_all
from sync.reconcile import ReconcileReport, reconcile_account
from sync.settings import Account, ConfigError, Settings
from sync.state.index import BindingIndex
from sync.state.leases import who_am_i
from sync.state.store import StateStore
from sync.stream import DEFAULT_CHUNK, plan_stream, stream_sync


@dataclass
class Job:
    """A run's inputs: settings, the accounts it covers, the store, and the catalog: loaded
    whole (`catalog`) or opened for streaming (`stream`)."""

    settings: Settings
    accounts: list[Account]
    store: StateStore
    catalog: LoadResult | None = None
    stream: CatalogStream | None = None

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
    stream: bool = False,
) -> Job:
    """Resolve accounts, open the state store and load the catalog, or with `stream` open
    it for `sync_streamed` (file-level problems are raised here either way)."""
    accounts = select_accounts(settings, account_names)
    path = catalog or settings.catalog
    if need_catalog and path is None:
        raise ConfigError("no catalog given (--catalog FILE or `catalog` in the configuration)")
    job = Job(settings, accounts, StateStore(settings.state_url))
    try:
        for account in accounts:
            check_account(account, job.store)
    except BaseException:
        job.store.close()
        raise
    if need_catalog and path is not None:
        try:
            if stream:
                job.stream = open_catalog(path)
            else:
                job.catalog = load_catalog(path)
        except BaseException:
            job.store.close()
            raise
    return job


def make_plans(job: Job, today: date, flt: PlanFilter | None = None) -> list[AccountPlan]:
    """Plan every account of the job (hashing each product once)."""
    assert job.catalog is not None
    flt = dataclasses.replace(flt or PlanFilter(), held=job.catalog.held())
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
    await _keep_audit_retention(job)
    return reports


def plan_streamed(job: Job, today: date, flt: PlanFilter | None = None) -> list[AccountPlan]:
    """Dry run of `sync_streamed`: the operations of every account, the catalog streamed."""
    assert job.stream is not None
    return plan_stream(job.stream, job.accounts, job.store, today, flt=flt, held=job.stream.held)


async def sync_streamed(
    job: Job,
    today: date,
    flt: PlanFilter | None = None,
    *,
    kind: str = "sync",
    trigger: str = "cli",
    progress: Progress | None = None,
    on_planned: Progress | None = None,
    chunk: int = DEFAULT_CHUNK,
    lease_wait: float = 0.0,
) -> list[RunReport]:
    """Stream the job's catalog through every account (`sync.stream`), then apply the
    audit retention. The catalog's row errors are complete (`job.stream.errors`) after."""
    assert job.stream is not None
    reports = await stream_sync(
        job.stream,
        job.accounts,
        job.store,
        today,
        flt=flt,
        held=job.stream.held,
        chunk=chunk,
        kind=kind,
        trigger=trigger,
        progress=progress,
        on_planned=on_planned,
        lease_wait=lease_wait,
    )
    await _keep_audit_retention(job)
    return reports


async def _keep_audit_retention(job: Job) -> None:
    # An indexed DELETE after every run: cheap when nothing is due.
    await asyncio.to_thread(job.store.prune_audit, job.settings.audit_retention_days)


async def reconcile_accounts(
    job: Job, *, trigger: str = "cli", lease_wait: float = 0.0
) -> list[ReconcileReport]:
    """Scan every account's remote listings (holding its lease, so no push runs meanwhile)
    and mark drift for the next sync. A busy account is reported as such, not scanned; one
    whose marketplace refuses or does not answer is reported with the marketplace's error."""
    reports = []
    for account in job.accounts:
        try:
            async with HeldLease(
                job.store, account.name, holder=who_am_i(trigger), wait=lease_wait
            ):
                client = open_client(account, job.store)
                try:
                    reports.append(await reconcile_account(client, job.store))
                finally:
                    await client.aclose()
        except LeaseBusy as error:
            reports.append(ReconcileReport(account.name, busy=str(error)))
        except MarketplaceError as error:  # refused, unreachable: the other accounts go on
            reports.append(ReconcileReport.failed(account.name, error))
    return reports


async def dedupe_accounts(
    job: Job, *, apply: bool, trigger: str = "cli", lease_wait: float = 0.0
) -> list[DedupeReport]:
    """Find (and with `apply` delist) the extra copies of SKUs listed more than once, each
    account under its lease."""
    reports = []
    for account in job.accounts:
        try:
            async with HeldLease(
                job.store, account.name, holder=who_am_i(trigger), wait=lease_wait
            ):
                client = open_client(account, job.store)
                try:
                    reports.append(await dedupe_account(client, job.store, apply=apply))
                finally:
                    await client.aclose()
        except LeaseBusy as error:
            reports.append(DedupeReport(account.name, applied=False, busy=str(error)))
    return reports
