"""CI smoke test of the benchmark: at the smallest size it runs end to end and writes its
JSON with every figure. It asserts that the bench works, never a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import FIGURE_KEYS
from connectors.registry import REGISTRY
from sync.engine.review import FOLLOW_PER_RUN

pytestmark = [pytest.mark.redis, pytest.mark.celery]


def test_bench_at_the_smallest_size_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--size",
            "200",
            "--rate",
            "20",
            "--rate-seconds",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert set(FIGURE_KEYS) <= set(data["figures"])
    assert data["catalog"]["products"] == 200
    assert data["cpu_count"] >= 1
    assert data["versions"]["python"]
    for key in FIGURE_KEYS:
        figure = data["figures"][key]
        # Measured, or missing with the reason (Celery when no worker can run here).
        assert figure["value"] is not None or figure["note"], key
    # The no-op resync after a full sync pushes nothing: a correctness check, not a speed.
    # Its only requests are the bounded review follow-ups of marketplaces that review new
    # listings (sync/engine/review.py: the longest-waiting ones, before and after a run).
    noop = data["figures"]["noop_requests"]
    assert noop["details"]["operations_done"] == 0
    reviewing = {m for m, c in REGISTRY.items() if c.reviews}
    for marketplace, requests in noop["details"]["requests_by_marketplace"].items():
        bound = 2 * (FOLLOW_PER_RUN + 1) if marketplace in reviewing else 0
        assert requests <= bound, (marketplace, requests)
