"""`python -m bench.versus`: an earlier revision measured beside this tree, end to end (its
worktree, its own virtualenv, the ABBA order). It asserts that both sides ran and wrote
their figures, never a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]


def test_versus_measures_a_revision_and_this_tree_alternately(tmp_path: Path) -> None:
    out = tmp_path / "versus.json"
    workdir = tmp_path / "work"
    command = [sys.executable, "-m", "bench.versus", "HEAD", "--size", "200"]
    command += ["--only", "floor", "--rounds", "1", "--workdir", str(workdir), "--out", str(out)]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        data = json.loads(out.read_text())
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        assert data["commit"] == head
        runs = data["runs"]
        assert set(runs) == {head[:12], "this tree"}
        for side in runs.values():  # ABBA: two runs of each side per round
            assert len(side) == 2
            assert all(isinstance(run.get("floor_ratio"), float) for run in side), side
        # Each run has a directory, in the order they ran: old, new, new, old.
        assert sorted(p.name for p in workdir.iterdir() if p.name[:3] in ("old", "new")) == [
            "new-1a",
            "new-1b",
            "old-1a",
            "old-1b",
        ]
        assert "floor_ratio" in proc.stdout
    finally:
        for tree in workdir.glob("tree-*"):
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
