"""docker-compose.yml (production) and docker-compose.sandbox.yml (local trial), checked by
construction, since Docker does not run in CI: each app service's environment, env file,
volumes and secrets against the settings the code reads (no variable it ignores, none it
needs missing, no secret value in the files), its commands run for real (`--help`, the
sandbox's own healthcheck), and the configuration each one mounts loads as the container
would load it. tests/workers/test_liveness.py runs the worker's healthcheck for real."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from connectors.registry import REGISTRY
from sync.settings import (
    FILE_SUFFIX,
    Settings,
    account_env_prefix,
    file_variables,
    load_settings,
)
from sync.state.cipher import KEY_ENV, cipher_from_env
from tests.deploy.compose_model import BASE, OVERLAY, ROOT, compose, host_path, project_env
from tests.workers.conftest import OCOP_SYNC
from workers.tuning import WorkerTuning

APP = ("worker", "beat", "console")
SECRETS = ("postgres_password", "state_url", "secret_key")
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN|SESSION")


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The secrets deploy/make-secrets.sh writes (the real script, as the README runs it)."""
    folder = tmp_path_factory.mktemp("secrets") / "secrets"
    subprocess.run(["sh", str(ROOT / "deploy" / "make-secrets.sh"), str(folder)], check=True)
    return folder


def production(secrets_dir: Path) -> dict[str, Any]:
    """The production file with the example configuration folder and fresh secrets."""
    example = ROOT / "deploy" / "config.example"
    return compose(
        trial=False,
        env={
            "OCOP_SYNC_CONFIG_DIR": str(example),
            "OCOP_SYNC_ENV_FILE": str(example / "ocop-sync.env"),
            "OCOP_SYNC_SECRETS_DIR": str(secrets_dir),
        },
    )


def trial(secrets_dir: Path) -> dict[str, Any]:
    return compose(trial=True, env={"OCOP_SYNC_SECRETS_DIR": str(secrets_dir)})


def env_file_variables(path: Path) -> dict[str, str]:
    return project_env(path)


def container_env(project: dict[str, Any], name: str) -> dict[str, str]:
    """The service's environment as its container sees it (env files, then `environment`)."""
    service = project["services"][name]
    env: dict[str, str] = {}
    for path in service.get("env_file", []):
        env.update(env_file_variables(host_path(path)))
    env.update({key: str(value) for key, value in service.get("environment", {}).items()})
    return env


def to_host(project: dict[str, Any], name: str, path: str) -> Path:
    """A path inside the service's container -> the host file behind it (bind mount or
    Docker secret); AssertionError when nothing is mounted there."""
    service = project["services"][name]
    inside = PurePosixPath(path)
    if inside.parent == PurePosixPath("/run/secrets"):
        assert inside.name in service.get("secrets", []), f"{name}: secret {inside.name} not given"
        return host_path(project["secrets"][inside.name]["file"])
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if inside.is_relative_to(target) and source.startswith((".", "/")):
            return host_path(source) / inside.relative_to(target)
    raise AssertionError(f"{name}: nothing mounted at {path}")


def known_variables(settings: Settings) -> tuple[set[str], set[str]]:
    """(every variable the code reads, those it also reads as <NAME>_FILE)."""
    with_files = {*file_variables(), KEY_ENV}
    for account in settings.accounts:
        prefix = account_env_prefix(account.name)
        with_files |= {prefix + key.upper() for key in REGISTRY[account.marketplace].credentials}
    plain = {"OCOP_SYNC_CONFIG"} | {
        f"OCOP_SYNC_WORKER_{field.upper()}" for field in WorkerTuning.model_fields
    }
    return plain | with_files, with_files


def load_in_container(
    project: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, dict[str, str]]:
    """Load the settings with the container's environment, its paths mapped to the host."""
    env = container_env(project, name)
    for key in [k for k in os.environ if k.startswith("OCOP_SYNC_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key == "OCOP_SYNC_CONFIG" or key.endswith(FILE_SUFFIX):
            value = str(to_host(project, name, value))
        monkeypatch.setenv(key, value or "placeholder")  # example credentials are blank
    return load_settings(), env


@pytest.mark.parametrize("variant", ["production", "trial"])
@pytest.mark.parametrize("name", APP)
def test_every_variable_is_read_by_the_code_and_none_it_needs_is_missing(
    variant: str, name: str, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = production(secrets_dir) if variant == "production" else trial(secrets_dir)
    settings, env = load_in_container(project, name, monkeypatch)
    known, with_files = known_variables(settings)
    for variable in env:
        plain = variable.removesuffix(FILE_SUFFIX)
        assert variable in known or (variable != plain and plain in with_files), (
            f"{name}: {variable} is read by nothing"
        )
    # Needed: the configuration, Redis, the state database, and the token key (OAuth).
    assert (env["OCOP_SYNC_CONFIG"]).startswith("/config/")
    assert urlparse(settings.redis_url).hostname == "redis"
    assert urlparse(settings.state_url).hostname == "postgres"
    assert urlparse(settings.state_url).password  # from the secret, not from the file
    cipher_from_env()  # the key file holds a usable Fernet key
    for account in settings.accounts:
        prefix = account_env_prefix(account.name)
        for key in REGISTRY[account.marketplace].credentials:
            assert prefix + key.upper() in env or prefix + key.upper() + FILE_SUFFIX in env, (
                f"{name}: {account.name} needs {prefix}{key.upper()}"
            )
    # The catalog is in a mounted folder (read-only), never in the image.
    assert settings.catalog is not None
    mounted = to_host(project, name, str(settings.catalog))
    assert variant == "production" or mounted.is_file()
    assert all(v.endswith(":ro") for v in project["services"][name]["volumes"] if "/config" in v)


def test_production_accounts_cover_every_marketplace(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = load_in_container(production(secrets_dir), "worker", monkeypatch)
    assert {a.marketplace for a in settings.accounts} == set(REGISTRY)
    assert all(urlparse(a.base_url).scheme == "https" for a in settings.accounts)


def test_no_secret_value_in_the_compose_files() -> None:
    for path in (BASE, OVERLAY):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", text), f"{path.name}: URL with password"
        for variant in (False, True):
            for name, service in compose(trial=variant)["services"].items():
                environment = service.get("environment", {})
                for key, value in environment.items():
                    if SECRET_WORDS.search(key):
                        assert key.endswith(FILE_SUFFIX), (name, key)
                        assert str(value).startswith("/run/secrets/"), (name, key)


def test_only_loopback_ports_and_only_the_sandboxes_differ_in_the_trial(
    secrets_dir: Path,
) -> None:
    prod, demo = production(secrets_dir), trial(secrets_dir)
    published = {name for name, service in prod["services"].items() if "ports" in service}
    assert published == {"console"}  # the operators' page; Redis, PostgreSQL: never
    assert set(demo["services"]) - set(prod["services"]) == {"sandbox"}
    for name, service in demo["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        if name in prod["services"]:
            before = prod["services"][name]
            changed = {k for k in {*service, *before} if service.get(k) != before.get(k)}
            # What differs besides the mounted folders (compose.env): the sample catalog and
            # waiting for the sandboxes.
            assert changed <= {"volumes", "depends_on", "env_file"}, (name, changed)
            if "depends_on" in changed:
                assert set(service["depends_on"]) - set(before["depends_on"]) == {"sandbox"}


def test_trial_accounts_point_at_the_sandbox_service_with_its_credentials(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = load_in_container(trial(secrets_dir), "worker", monkeypatch)
    ports = {name: 8701 + i for i, name in enumerate(sorted(REGISTRY))}  # `ocop-sync sandbox`
    assert settings.accounts
    for account in settings.accounts:
        assert account.base_url == f"http://sandbox:{ports[account.marketplace]}"
        kit = REGISTRY[account.marketplace].sandbox_kit.account(account.name, account.base_url)
        assert {k: v.get_secret_value() for k, v in account.credentials.items()} == {
            k: v.get_secret_value() for k, v in kit.credentials.items()
        }, "the sandbox would refuse these credentials"
    published = trial(secrets_dir)["services"]["sandbox"]["ports"]
    assert published == [f"127.0.0.1:8701-{8700 + len(REGISTRY)}:8701-{8700 + len(REGISTRY)}"]


def test_redis_persists_every_write_and_never_evicts(secrets_dir: Path) -> None:
    services = production(secrets_dir)["services"]
    args = services["redis"]["command"]
    options = dict(zip(args[1::2], args[2::2], strict=True))
    assert args[0] == "redis-server" and options["--appendonly"] == "yes"
    assert options["--appendfsync"] in {"always", "everysec"}
    assert options["--maxmemory-policy"] == "noeviction"
    assert "redis-data:/data" in services["redis"]["volumes"]
    postgres = services["postgres"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    password = to_host(production(secrets_dir), "postgres", "/run/secrets/postgres_password")
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    state_url = to_host(production(secrets_dir), "worker", "/run/secrets/state_url").read_text()
    assert urlparse(state_url).password == password.read_text()  # one password, two files
    assert urlparse(state_url).username == postgres["environment"]["POSTGRES_USER"]


def test_beat_keeps_its_schedule_on_a_volume_and_one_runs(secrets_dir: Path) -> None:
    project = production(secrets_dir)
    beat = project["services"]["beat"]
    schedule = PurePosixPath(beat["command"][beat["command"].index("--schedule-file") + 1])
    volumes = {v.split(":")[1]: v.split(":")[0] for v in beat["volumes"]}
    assert volumes[str(schedule.parent)] in project["volumes"]  # a named volume, not /tmp
    assert beat["deploy"]["replicas"] == 1
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"mkdir -p {schedule.parent}" in dockerfile  # owned by the user, not root


def test_workers_scale_with_a_grace_period_and_a_cheap_healthcheck(secrets_dir: Path) -> None:
    worker = production(secrets_dir)["services"]["worker"]
    assert worker["deploy"]["replicas"] >= 2 and "container_name" not in worker
    grace = int(str(worker["stop_grace_period"]).rstrip("s"))
    v = int(worker["environment"]["OCOP_SYNC_WORKER_VISIBILITY_TIMEOUT"])
    assert grace > WorkerTuning(visibility_timeout=v).hard_time_limit
    command = worker["command"]
    liveness = command[command.index("--liveness-file") + 1]
    kind, check = worker["healthcheck"]["test"]
    assert kind == "CMD-SHELL" and shlex.split(check)[:2] == ["find", liveness]
    programs = {"ocop-sync", "celery", "python"}
    assert not programs & set(shlex.split(check))  # no import, no broker call every 30 s
    depends = worker["depends_on"]
    assert {depends[s]["condition"] for s in ("redis", "postgres")} == {"service_healthy"}


@pytest.mark.parametrize(
    ("variant", "name"), [("p", "worker"), ("p", "beat"), ("p", "console"), ("t", "sandbox")]
)
def test_service_commands_are_real_ocop_sync_commands(
    variant: str, name: str, secrets_dir: Path
) -> None:
    project = production(secrets_dir) if variant == "p" else trial(secrets_dir)
    command = project["services"][name]["command"]
    assert command[0] == "ocop-sync"
    parsed = subprocess.run(
        [OCOP_SYNC, *command[1:], "--help"], capture_output=True, text=True, timeout=60
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr


def test_dockerfile_installs_the_lock_before_the_code_and_runs_as_a_user() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    locked = lines.index("RUN pip install --require-hashes --no-deps -r requirements.lock")
    assert lines.index("COPY requirements.lock ./") < locked
    copies = [i for i, line in enumerate(lines) if line.startswith("COPY")]
    code = [i for i in copies if lines[i].split()[1] in {"sync", "connectors", "workers"}]
    assert len(code) == 3 and min(code) > locked  # a code change keeps the dependency layer
    assert any(line.startswith("RUN pip install --no-deps .") for line in lines)
    copied = {lines[i].split()[1] for i in copies}
    assert not {"examples", "deploy", "tests"} & copied  # catalog and config are mounted
    user = [line for line in lines if line.startswith("USER ")]
    assert user and user[-1] != "USER root"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "config", "secrets"} <= set(ignored)


def test_the_trial_sandbox_serves_its_own_healthcheck(secrets_dir: Path) -> None:
    sandbox = trial(secrets_dir)["services"]["sandbox"]
    port = _free_port_range(len(REGISTRY))
    command = [*sandbox["command"]]
    command[command.index("--port") + 1] = str(port)
    command[command.index("--host") + 1] = "127.0.0.1"
    proc = subprocess.Popen(
        [OCOP_SYNC, *command[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        check = [part.replace("8701", str(port)) for part in sandbox["healthcheck"]["test"][1:]]
        check[0] = sys.executable
        deadline = time.monotonic() + 60
        while subprocess.run(check, capture_output=True, timeout=30).returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None, "sandbox did not start"
            time.sleep(0.2)
        # Ports follow the alphabetical order the trial configuration's base URLs assume.
        for offset, name in enumerate(sorted(REGISTRY)):
            answer = httpx.get(f"http://127.0.0.1:{port + offset}/_sandbox/stats", timeout=5)
            assert answer.status_code == 200, name
    finally:
        proc.terminate()
        proc.wait(20)


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


def test_the_console_serves_its_own_healthcheck(secrets_dir: Path, tmp_path: Path) -> None:
    console = production(secrets_dir)["services"]["console"]
    port = _free_port_range(1)
    command = [*console["command"]]
    command[command.index("--port") + 1] = str(port)
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--via") + 1] = "inline"  # no workers here; the page is the same
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_SYNC_")}
    env["OCOP_SYNC_STATE_URL"] = f"sqlite:///{tmp_path / 'state.db'}"
    log = (tmp_path / "console.log").open("wb")
    proc = subprocess.Popen([OCOP_SYNC, *command[1:]], stdout=log, stderr=log, env=env)
    try:
        check = [part.replace("8700", str(port)) for part in console["healthcheck"]["test"][1:]]
        check[0] = sys.executable
        deadline = time.monotonic() + 60
        while subprocess.run(check, capture_output=True, timeout=30).returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None, (
                tmp_path / "console.log"
            ).read_text()
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
