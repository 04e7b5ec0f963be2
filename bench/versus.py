"""This tree's figures against an earlier revision's, measured side by side in one run.

`python -m bench.versus REV [--only FIGURE…] [--size 10k] [--rounds 2]`

A figure written down on another day was measured on a machine in another state (this one
has run one command at half the speed of the day before). To say whether a change made a
figure worse, both revisions are measured now, alternating ABBA in every round (REV, this
tree, this tree, REV), each side a plain `python -m bench --only …` of its own tree:

- REV is checked out as a git worktree under the work directory, with a virtualenv of its
  own (`pip install -e '.[dev]'` of that tree, from the package index), made once and
  kept for the next command;
- each measurement is a separate command with its own sandbox process and scratch
  directory (`<workdir>/<side>-<round><a|b>/`), its JSON kept beside it.

The table gives every figure's value per run and the median per side. Figures the old
revision does not have are shown as missing on its side. Nothing is asserted: the reader
compares (docs/benchmarks.md says what each figure means and which way is better).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
HERE = "this tree"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.versus", description=__doc__)
    parser.add_argument("rev", help="the git revision to measure against (a commit, a tag)")
    parser.add_argument("--only", nargs="+", default=["celery"], help="figures (default celery)")
    parser.add_argument("--size", default="10k")
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds (default 2)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ocop-sync-versus"))
    parser.add_argument("--out", type=Path, help="write every run's figures here as JSON")
    return parser.parse_args(argv)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(rev: str, workdir: Path, console: Console) -> tuple[str, Path]:
    """(full commit id, the Python of a virtualenv with that revision installed)."""
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = workdir / f"tree-{commit[:12]}"
    python = tree / ".venv" / "bin" / "python"
    if not (tree / ".git").exists():
        console.log(f"checking out {commit[:12]} in {tree}…")
        _git("worktree", "add", "--force", "--detach", str(tree), commit)
    if not (tree / ".venv" / ".versus-installed").exists():
        console.log(f"installing {commit[:12]} into its own virtualenv (a few minutes)…")
        subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-e", f"{tree}[dev]"], check=True
        )
        (tree / ".venv" / ".versus-installed").touch()
    return commit, python


def measure(python: Path, tree: Path, args: argparse.Namespace, where: Path) -> dict[str, Any]:
    """One `python -m bench` of `tree`: its figures by key (value or None when missing)."""
    where.mkdir(parents=True, exist_ok=True)
    out = where / "figures.json"
    command = [str(python), "-m", "bench", "--size", args.size, "--only", *args.only]
    command += ["--workdir", str(where / "work"), "--out", str(out)]
    with (where / "bench.log").open("wb") as log:
        subprocess.run(command, cwd=tree, stdout=log, stderr=subprocess.STDOUT, check=False)
    if not out.exists():
        return {}
    figures = json.loads(out.read_text())["figures"]
    return {key: figure.get("value") for key, figure in figures.items()}


def main(argv: list[str] | None = None) -> int:
    """Measure, alternating; print the table; write the JSON when asked."""
    args = parse_args(argv)
    console = Console(stderr=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    commit, old_python = checkout(args.rev, args.workdir, console)
    old_tree = old_python.parent.parent.parent
    sides = {commit[:12]: (old_python, old_tree), HERE: (Path(sys.executable), ROOT)}
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for index in range(1, args.rounds + 1):
        order = [commit[:12], HERE, HERE, commit[:12]]
        for position, side in enumerate(order):
            python, tree = sides[side]
            tag = f"{'old' if side != HERE else 'new'}-{index}{'ab'[position // 2]}"
            console.log(f"round {index}: {side} ({tag})…")
            runs[side].append(measure(python, tree, args, args.workdir / tag))
    keys = sorted({key for side in runs.values() for run in side for key in run})
    table = Table(title=f"{args.size}: {commit[:12]} ({args.rev}) against {HERE}, ABBA")
    table.add_column("figure", no_wrap=True)
    for side in sides:
        table.add_column(f"{side}: runs")
        table.add_column(f"{side}: median", justify="right")
    for key in keys:
        row = [key]
        for side in sides:
            values = [run.get(key) for run in runs[side]]
            known = [v for v in values if isinstance(v, int | float)]
            row.append(", ".join("—" if v is None else f"{v:.3g}" for v in values))
            row.append(f"{statistics.median(known):.3g}" if known else "—")
        table.add_row(*row)
    Console().print(table)
    if args.out:
        args.out.write_text(json.dumps({"rev": args.rev, "commit": commit, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
