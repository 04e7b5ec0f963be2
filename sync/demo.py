"""The embedded default end to end: every marketplace's sandbox in-process, SQLite state,
the Bắc Kạn sample synced to every account, then an incremental pass after a few catalog
changes."""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.executor import RunReport
from sync.runner import open_job, sync_streamed
from sync.settings import Account, load_settings
from sync.state.store import StateStore
from sync.state.token_provider import authorize_sandbox_accounts
from sync.tomlwrite import dumps_toml


@dataclass
class DemoPass:
    """One sync pass: what each account's run planned and did."""

    title: str
    reports: list[RunReport]


@dataclass
class DemoResult:
    """Everything the demo shows, for the table and for --json."""

    workdir: Path
    passes: list[DemoPass] = field(default_factory=list)
    sandboxes: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    status: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Figures per pass and account (listed, skipped with reasons, failed, delisted…)."""
        return {
            "workdir": str(self.workdir),
            "changes": self.changes,
            "passes": [
                {
                    "title": p.title,
                    "accounts": [
                        {
                            "account": r.account,
                            "planned": r.planned,
                            "done": dict(r.done),
                            "failed": r.failed,
                            "delisted": r.done["delist"],
                            "requests": r.requests,
                            "skipped": [{"sku": s, "reason": why} for s, why in r.skipped],
                        }
                        for r in p.reports
                    ],
                }
                for p in self.passes
            ],
            "status": self.status,
            "sandboxes": {
                name: {k: s[k] for k in ("requests", "listings", "duplicates", "faults_injected")}
                for name, s in self.sandboxes.items()
            },
        }


def demo_accounts(base_urls: dict[str, str]) -> list[Account]:
    """One sandbox account per marketplace, named '<marketplace>-backan'."""
    # The in-process sandboxes have no rate limit; 100 req/s keeps the demo quick while
    # still exercising the limiter.
    return [
        REGISTRY[name]
        .sandbox_kit.account(f"{name}-backan", url)
        .model_copy(update={"rate_limit": 100.0, "concurrency": 8})
        for name, url in base_urls.items()
    ]


def write_config(path: Path, catalog: Path, state_url: str, accounts: list[Account]) -> None:
    """A configuration file the user can reuse with every command (`--config`)."""
    data: dict[str, Any] = {
        "catalog": str(catalog),
        "state_url": state_url,
        "accounts": [
            {
                **a.model_dump(mode="json", exclude={"credentials"}, exclude_none=True),
                "credentials": {k: v.get_secret_value() for k, v in a.credentials.items()},
            }
            for a in accounts
        ],
    }
    path.write_text(
        "# Written by `ocop-sync demo`: sandbox accounts (sandbox credentials only).\n"
        + dumps_toml(data),
        encoding="utf-8",
    )


def change_catalog(catalog: Catalog, today: date) -> tuple[Catalog, list[str]]:
    """A copy with a few price and stock changes and one certificate expired."""
    changed = catalog.model_copy(deep=True)
    listable = [p for p in changed.products if p.listability(today).ok]
    notes: list[str] = []
    for product in listable[:3]:
        variant = product.variants[0]
        variant.price = variant.price + 5000
        notes.append(f"price {variant.sku} +5.000 ₫ → {variant.price}")
    for product in listable[3:6]:
        variant = product.variants[-1]
        variant.stock = variant.stock + 25
        notes.append(f"stock {variant.sku} → {variant.stock}")
    expiring = listable[6]
    assert expiring.certificate is not None
    expiring.certificate.valid_until = today - timedelta(days=1)
    notes.append(f"certificate of {expiring.sku} expired on {expiring.certificate.valid_until}")
    return changed, notes


def run_demo(workdir: Path, today: date | None = None) -> DemoResult:
    """Start sandboxes, sync the sample, change it, sync again; return the figures."""
    from sync.samples.bac_kan import build_bac_kan_catalog

    today = today or date.today()
    workdir.mkdir(parents=True, exist_ok=True)
    result = DemoResult(workdir)
    catalog_path = workdir / "catalog.xlsx"
    state_url = f"sqlite:///{workdir / 'state.db'}"
    (workdir / "state.db").unlink(missing_ok=True)
    catalog = build_bac_kan_catalog()
    export_catalog(catalog, catalog_path)
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                SandboxServer(connector.sandbox_factory(SandboxConfig(seed=1)))
            )
            for name, connector in REGISTRY.items()
        }
        config_path = workdir / "ocop-sync.toml"
        accounts = demo_accounts({name: s.base_url for name, s in servers.items()})
        write_config(config_path, catalog_path, state_url, accounts)
        settings = load_settings(config_path)
        authorize_demo_shops(state_url, accounts)

        def one_pass(title: str) -> None:
            job = open_job(settings, stream=True)
            try:
                reports = asyncio.run(sync_streamed(job, today, trigger="demo"))
            finally:
                job.store.close()
            result.passes.append(DemoPass(title, reports))

        one_pass("first sync of the Bắc Kạn sample")
        changed, result.changes = change_catalog(catalog, today)
        export_catalog(changed, catalog_path)
        one_pass("incremental sync after the changes")
        job = open_job(settings, need_catalog=False)
        result.status = job.store.status_counts()
        job.store.close()
        for name, server in servers.items():
            result.sandboxes[name] = httpx.get(server.base_url + "/_sandbox/stats").json()
    return result


def authorize_demo_shops(state_url: str, accounts: list[Account]) -> None:
    """The shop owners' consent on the OAuth sandboxes, stored like `ocop-sync auth` does.

    Tokens are encrypted with OCOP_SYNC_SECRET_KEY; a demo started without one makes a key
    for this process alone (the demo's tokens are sandbox tokens, dropped with its state)."""
    os.environ.setdefault("OCOP_SYNC_SECRET_KEY", Fernet.generate_key().decode())
    store = StateStore(state_url)
    try:
        asyncio.run(authorize_sandbox_accounts(store, accounts))
    finally:
        store.close()


def demo_json(result: DemoResult) -> str:
    """The --json output."""
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str)
