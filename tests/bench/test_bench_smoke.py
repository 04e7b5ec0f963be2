"""CI smoke test of the benchmark: at the smallest size it runs end to end and writes its
JSON with every figure. It asserts that the bench works, never a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import FIGURE_KEYS

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
    # The no-op resync after a full sync sends nothing: a correctness check, not a speed.
    assert data["figures"]["noop_requests"]["value"] == 0
