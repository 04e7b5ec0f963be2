"""Worker fixtures: a Redis database of our own, real sandboxes, real worker subprocesses.

Workers are started exactly as production starts them (`ocop-sync worker`, the compose
command) and killed with real signals; the test process only plays marketplace (the
sandboxes) and operator (the CLI, also a subprocess).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import redis

from connectors.registry import REGISTRY
from connectors.sandbox import SandboxConfig, SandboxServer
from sync.catalog import Catalog
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.samples.bac_kan import build_bac_kan_catalog
from sync.settings import Account
from tests.engine.conftest import authorize_sandboxes

BIN = Path(sys.executable).parent
OCOP_SYNC = str(BIN / "ocop-sync")
REDIS_HOST = os.environ.get("OCOP_SYNC_TEST_REDIS", "redis://127.0.0.1:6379")
# Databases this suite may use; a session claims one so two sessions never share it.
REDIS_DBS = range(10, 16)


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A Redis database number claimed for this test session (flushed at start and end)."""
    claims = redis.Redis.from_url(f"{REDIS_HOST}/0")
    token = uuid.uuid4().hex
    for db in REDIS_DBS:
        if claims.set(f"ocop-sync:test-claim:{db}", token, nx=True, ex=1800):
            break
    else:
        pytest.skip("every Redis test database is claimed by another session")
    client = redis.Redis.from_url(f"{REDIS_HOST}/{db}")
    client.flushdb()
    yield db
    client.flushdb()
    if claims.get(f"ocop-sync:test-claim:{db}") == token.encode():
        claims.delete(f"ocop-sync:test-claim:{db}")


@pytest.fixture
def redis_url(redis_db: int) -> str:
    """The session's Redis database, empty at the start of each test."""
    url = f"{REDIS_HOST}/{redis_db}"
    redis.Redis.from_url(url).flushdb()
    return url


def sample_catalog(products: int | None = None) -> Catalog:
    """The bundled Bắc Kạn sample, or its first `products` products."""
    catalog = build_bac_kan_catalog()
    if products is not None:
        catalog = Catalog(products=catalog.products[:products])
    return catalog


def sandbox_account(marketplace: str, base_url: str, **changes: object) -> Account:
    """A fresh sandbox account (unique seller) with settings changed for the test."""
    name = f"{marketplace}-{uuid.uuid4().hex[:6]}"
    account = REGISTRY[marketplace].sandbox_kit.account(name, base_url)
    return account.model_copy(update=changes) if changes else account


def start_sandbox(marketplace: str, **config: object) -> SandboxServer:
    """A sandbox of its own for one test (rate limits, latency)."""
    app = REGISTRY[marketplace].sandbox_factory(SandboxConfig(**config))  # type: ignore[arg-type]
    return SandboxServer(app).start()


def sandbox_fixture(marketplace: str, **config: object) -> Any:
    """A fixture giving each test a sandbox of its own, stopped after it:
    `slow_voso = sandbox_fixture("voso", latency_ms=100)` (the module attribute names it)."""

    @pytest.fixture
    def own_sandbox() -> Iterator[SandboxServer]:
        server = start_sandbox(marketplace, **config)
        yield server
        server.stop()

    return own_sandbox


def stats(server: SandboxServer) -> dict:
    """GET /_sandbox/stats."""
    return httpx.get(server.base_url + "/_sandbox/stats").json()


@dataclass
class Deployment:
    """A configuration file, its environment, and the processes started from it."""

    root: Path
    config: Path
    env: dict[str, str]
    procs: list[WorkerProc] = field(default_factory=list)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)  # beat, CLI runs

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `ocop-sync ARGS` to completion."""
        return subprocess.run(
            [OCOP_SYNC, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )

    def popen(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        """Start `ocop-sync ARGS` in the background, output to root/log (stopped at the end)."""
        proc = self._spawn(args, log)
        self.others.append(proc)
        return proc

    def _spawn(self, args: tuple[str, ...], log: str) -> subprocess.Popen[bytes]:
        with open(self.root / log, "ab") as out:  # the child keeps its own descriptor
            return subprocess.Popen(
                [OCOP_SYNC, *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                start_new_session=True,
            )

    def worker(
        self, name: str, concurrency: int = 2, queues: str | None = None, *extra: str
    ) -> WorkerProc:
        """Start `ocop-sync worker [EXTRA…]` and wait until it consumes."""
        return self.workers([name], concurrency, queues, *extra)[0]

    def workers(
        self, names: list[str], concurrency: int = 2, queues: str | None = None, *extra: str
    ) -> list[WorkerProc]:
        """Start several `ocop-sync worker` processes at once; wait until all consume."""
        procs = []
        for name in names:
            args = ["worker", "--concurrency", str(concurrency), "--name", f"{name}@test"]
            if queues:
                args += ["--queues", queues]
            args += extra
            log = self.root / f"{name}.log"
            proc = WorkerProc(name, self._spawn(tuple(args), log.name), log)
            self.procs.append(proc)  # registered at once: stopped at the end whatever happens
            procs.append(proc)
        for proc in procs:
            proc.wait_ready()
        return procs


@dataclass
class WorkerProc:
    """A worker subprocess: its main process, its pool processes, its log."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        """The worker's log so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 30) -> None:
        """Block until the worker logs that it is ready."""
        deadline = time.monotonic() + timeout
        while "ready." not in self.text():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {self.name} did not start:\n{self.text()[-3000:]}")
            time.sleep(0.1)

    def pool(self) -> list[psutil.Process]:
        """The prefork pool processes (children of the main process)."""
        return psutil.Process(self.popen.pid).children()

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM), SIGKILL of the process group if it hangs."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the main process and its pool (a machine lost)."""
        children: list[int] = []
        with contextlib.suppress(psutil.NoSuchProcess):
            children = [p.pid for p in self.pool()]
        for pid in [self.popen.pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait(10)


@pytest.fixture
def deploy(tmp_path: Path, redis_url: str, pg_url: str) -> Iterator[Callable[..., Deployment]]:
    """Build a deployment: catalog file, config file (fresh PostgreSQL state), environment."""
    made: list[Deployment] = []

    def make(
        accounts: list[Account],
        catalog: Catalog,
        *,
        batch_size: int = 50,
        redis: str | None = None,
        **tuning: object,
    ) -> Deployment:
        root = tmp_path / f"deploy{len(made)}"
        root.mkdir()
        catalog_path = root / "catalog.json"
        export_catalog(catalog, catalog_path)
        config = root / "ocop-sync.toml"
        write_config(config, catalog_path, pg_url, accounts)
        authorize_sandboxes(pg_url, accounts)
        text = config.read_text(encoding="utf-8")
        config.write_text(f"batch_size = {batch_size}\n" + text, encoding="utf-8")
        env = {
            **os.environ,
            "OCOP_SYNC_CONFIG": str(config),
            "OCOP_SYNC_REDIS_URL": redis or redis_url,
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
            # The workers' catalog snapshots go with the deployment, not to the temp dir.
            "OCOP_SYNC_CACHE_DIR": str(root / "cache"),
        }
        env.update({f"OCOP_SYNC_WORKER_{k.upper()}": str(v) for k, v in tuning.items()})
        deployment = Deployment(root, config, env)
        made.append(deployment)
        return deployment

    yield make
    for other in (p for deployment in made for p in deployment.others):
        if other.poll() is None:
            other.send_signal(signal.SIGTERM)
            try:
                other.wait(20)
            except subprocess.TimeoutExpired:
                other.kill()
    for proc in (proc for deployment in made for proc in deployment.procs):
        if proc.popen.poll() is None:
            proc.kill()  # the test is over: no need to wait for a warm shutdown


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Callable[[], RedisServer]]:
    """A redis-server of the test's own (never the machine's), on a free port, with AOF."""
    servers: list[RedisServer] = []

    def make() -> RedisServer:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        server = RedisServer(tmp_path / f"redis{len(servers)}", _free_port())
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """A redis-server process owned by a test: start, SIGKILL, start again on its data."""

    dir: Path
    port: int
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """redis://127.0.0.1:port/0"""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) on the same directory: the AOF brings the data back."""
        self.dir.mkdir(exist_ok=True)
        self.popen = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL (a crash): what was acknowledged is on disk (appendfsync always)."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def _active(item: dict) -> bool:
    # Postmart and Alibaba sandboxes keep an `active` flag, Voso's a `status`.
    return bool(item.get("active", True)) and item.get("status", "active") == "active"


def listed_exactly_once(server: SandboxServer, account: Account, state_url: str) -> int:
    """Assert the sandbox holds each listed binding once, on sale, under the remote id the
    state recorded, and nothing else on sale (delisted ones are off sale); returns the
    number of listings on sale."""
    from sync.state.store import StateStore
    from tests.conftest import seller_listings, seller_stats

    remote = seller_listings(server, account.name)
    figures = seller_stats(server, account.name)
    store = StateStore(state_url, migrate=False)
    try:
        bindings = store.bindings(account.name)
    finally:
        store.close()
    listed = {b.sku: b.remote_id for b in bindings.values() if b.status == "listed"}
    delisted = {b.sku: b.remote_id for b in bindings.values() if b.status == "delisted"}
    assert figures["duplicates"] == 0, figures
    assert len(remote) == len({item["sku"] for item in remote}), "a SKU is listed twice"
    assert {item["sku"]: str(item["id"]) for item in remote if _active(item)} == listed
    assert {item["sku"]: str(item["id"]) for item in remote if not _active(item)} == delisted
    failed = [b for b in bindings.values() if b.status == "failed"]
    assert not failed, [(b.sku, b.reason) for b in failed]
    return len(listed)


def listable_count(catalog: Catalog, marketplace: str, account: Account) -> int:
    """How many listings the catalog should produce on this account (mapping says so)."""
    from datetime import date

    mapping = REGISTRY[marketplace].mapping
    today = date.today()
    return sum(
        1
        for product in catalog.products
        if product.listability(today).ok
        for listing in mapping.map_product(product, account, today)
        if listing.ok
    )
