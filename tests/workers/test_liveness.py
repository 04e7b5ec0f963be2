"""The worker healthcheck of docker-compose.yml run for real: `ocop-sync worker
--liveness-file` keeps the file fresh while it consumes, the compose healthcheck passes on
it, fails on a stale file and after the worker stops."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.deploy.compose_model import compose
from tests.workers.conftest import Deployment, sample_catalog, sandbox_account

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.celery]


def healthcheck(path: Path) -> int:
    """The compose file's worker healthcheck, pointed at `path`."""
    worker = compose(trial=False)["services"]["worker"]
    liveness = worker["command"][worker["command"].index("--liveness-file") + 1]
    kind, command = worker["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    return subprocess.run(["sh", "-c", command.replace(liveness, str(path))]).returncode


def test_the_worker_healthcheck_follows_the_consumer(
    deploy: Callable[..., Deployment], tmp_path: Path
) -> None:
    deployment = deploy([sandbox_account("voso", "http://127.0.0.1:9")], sample_catalog(2))
    alive = tmp_path / "run" / "worker.alive"
    assert healthcheck(alive) != 0  # no file yet
    proc = deployment.popen(
        "worker", "--name", "live@test", "--liveness-file", str(alive), log="live.log"
    )
    deadline = time.monotonic() + 60
    while "ready." not in (deployment.root / "live.log").read_text(errors="replace"):
        assert proc.poll() is None and time.monotonic() < deadline, "worker did not start"
        time.sleep(0.2)
    assert alive.exists() and healthcheck(alive) == 0
    # A file two minutes old is stale; the consumer's timer touches it again (every 10 s).
    stale = time.time() - 120
    os.utime(alive, (stale, stale))
    assert healthcheck(alive) != 0
    deadline = time.monotonic() + 60
    while alive.stat().st_mtime <= stale:
        assert time.monotonic() < deadline, "the liveness file was not touched again"
        time.sleep(0.5)
    assert healthcheck(alive) == 0
    proc.terminate()  # warm shutdown: the step removes its file
    proc.wait(60)
    assert not alive.exists() and healthcheck(alive) != 0
