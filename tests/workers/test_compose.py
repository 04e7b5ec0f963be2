"""docker-compose.yml and the Dockerfile, checked by construction (Docker does not run in
CI): the structure `docker compose config` needs, and commands that really exist — the
other tests in this package start the same `ocop-sync worker`/`beat` processes and run the
same healthchecks against them."""

from __future__ import annotations

import shlex
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from connectors.registry import REGISTRY
from sync.settings import load_settings
from tests.workers.conftest import BIN, OCOP_SYNC
from workers.tuning import WorkerTuning

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("sandbox", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def test_compose_has_the_production_services(compose: dict) -> None:
    assert set(services(compose)) == {"redis", "postgres", "sandbox", "worker", "beat"}
    assert set(compose["volumes"]) == {"redis-data", "postgres-data"}


def test_redis_persists_every_write_and_never_evicts(compose: dict) -> None:
    redis = services(compose)["redis"]
    args = redis["command"]
    assert args[0] == "redis-server"
    options = dict(zip(args[1::2], args[2::2], strict=True))
    assert options["--appendonly"] == "yes"
    assert options["--appendfsync"] in {"always", "everysec"}
    assert options["--maxmemory-policy"] == "noeviction"
    assert "redis-data:/data" in redis["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services(compose)["postgres"]["volumes"]


def test_every_service_has_a_healthcheck_and_dependencies_wait_for_health(compose: dict) -> None:
    known = {"redis-cli", "pg_isready", "python", "ocop-sync", "celery"}
    for name, service in services(compose).items():
        check = service["healthcheck"]["test"]
        assert check[0] in {"CMD", "CMD-SHELL"}, name
        command = shlex.split(check[1])[0] if check[0] == "CMD-SHELL" else check[1]
        assert command in known, (name, check)
    worker = services(compose)["worker"]["depends_on"]
    assert {worker[s]["condition"] for s in ("redis", "postgres")} == {"service_healthy"}
    assert services(compose)["beat"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_workers_scale_and_exactly_one_beat_runs(compose: dict) -> None:
    worker, beat = services(compose)["worker"], services(compose)["beat"]
    assert worker["deploy"]["replicas"] >= 2
    assert "container_name" not in worker and "ports" not in worker  # `--scale worker=N`
    assert beat["deploy"]["replicas"] == 1
    # A warm shutdown must be allowed to outlast a running batch (the hard time limit).
    grace = int(str(worker["stop_grace_period"]).rstrip("s"))
    v = int(services(compose)["worker"]["environment"]["OCOP_SYNC_WORKER_VISIBILITY_TIMEOUT"])
    assert grace > WorkerTuning(visibility_timeout=v).hard_time_limit


def test_app_services_share_one_image_and_point_at_the_compose_services(compose: dict) -> None:
    for name in APP_SERVICES:
        service = services(compose)[name]
        env = service["environment"]
        assert service["image"] == "ocop-sync:latest" and service["build"] == "."
        assert urlparse(env["OCOP_SYNC_REDIS_URL"]).hostname == "redis"
        assert urlparse(env["OCOP_SYNC_STATE_URL"]).hostname == "postgres"
        assert env["OCOP_SYNC_CONFIG"] == "/app/deploy/ocop-sync.toml"
        assert all((ROOT / path).is_file() for path in service["env_file"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_commands_are_real_ocop_sync_commands(compose: dict, name: str) -> None:
    command = services(compose)[name]["command"]
    assert command[0] == "ocop-sync"
    parsed = subprocess.run(
        [OCOP_SYNC, *command[1:], "--help"], capture_output=True, text=True, timeout=60
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr


def test_the_sandbox_service_serves_its_own_healthcheck(compose: dict, tmp_path: Path) -> None:
    sandbox = services(compose)["sandbox"]
    port = _free_port_range(3)
    command = [*sandbox["command"]]
    command[command.index("--port") + 1] = str(port)
    proc = subprocess.Popen(
        [str(BIN / command[0]), *command[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        check = sandbox["healthcheck"]["test"][1:]
        check = [part.replace("8701", str(port)) for part in check]
        check[0] = str(BIN / "python")
        deadline = time.monotonic() + 30
        while subprocess.run(check, capture_output=True, timeout=30).returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None, "sandbox did not start"
            time.sleep(0.2)
        # Ports follow the alphabetical order the configuration's base URLs assume.
        for offset, name in enumerate(sorted(REGISTRY)):
            answer = httpx.get(f"http://127.0.0.1:{port + offset}/openapi.json", timeout=5)
            assert answer.status_code == 200, name
    finally:
        proc.terminate()
        proc.wait(20)


def test_the_deployment_configuration_loads_with_the_compose_environment(
    compose: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = services(compose)["worker"]
    for path in worker["env_file"]:
        for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                monkeypatch.setenv(key, value)
    for key, value in worker["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = load_settings(ROOT / "deploy" / "ocop-sync.toml")
    assert settings.catalog is not None
    assert (ROOT / Path(settings.catalog).relative_to("/app")).is_file()  # copied in the image
    ports = {name: 8701 + i for i, name in enumerate(sorted(REGISTRY))}
    assert {a.marketplace for a in settings.accounts} == set(REGISTRY)
    for account in settings.accounts:
        assert account.base_url == f"http://sandbox:{ports[account.marketplace]}"
        kit = REGISTRY[account.marketplace].sandbox_kit.account(account.name, account.base_url)
        assert {k: v.get_secret_value() for k, v in account.credentials.items()} == {
            k: v.get_secret_value() for k, v in kit.credentials.items()
        }, "the sandbox would refuse these credentials"


def test_dockerfile_builds_the_app_image_on_python_slim() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    assert 'RUN pip install ".[postgres]"' in lines
    copied = {line.split()[1] for line in lines if line.startswith("COPY")}
    assert {"sync", "connectors", "workers", "examples", "deploy"} <= copied
    assert any(line.startswith("USER ") and line != "USER root" for line in lines)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".venv" in ignored and ".git" in ignored


def _free_port_range(n: int) -> int:
    """A first port with the n-1 following ones free too."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = int(sock.getsockname()[1])
        if base + n < 65535 and all(_free(base + i) for i in range(n)):
            return base
    raise AssertionError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
