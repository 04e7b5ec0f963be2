"""bench.read_catalog runs both ways and reads every product (a smoke test, not a speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_read_catalog_reports_both_modes_with_every_product(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.read_catalog", str(path), "--write", "40"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["mode"] for line in lines] == ["stream", "load"]
    assert all(line["products"] == 40 and line["row_errors"] == 0 for line in lines)
    assert all(line["peak_rss_mb"] > 0 for line in lines)
