"""The layering rules of docs/architecture.md, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sync", "connectors", "workers")
# Client calls that send something to a marketplace.
SENDING = {
    "create",
    "update",
    "update_price",
    "update_stock",
    "update_prices_stocks",
    "delist",
    "relist",
    "perform",
    "perform_price_stock_batch",
    "create_once",
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (function-local ones too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _receiver(func: ast.expr) -> str:
    """The source text of what a method is called on (`client`, `ctx.client(a)`…)."""
    return ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""


def test_no_module_under_workers_sends_a_listing() -> None:
    for path in (ROOT / "workers").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                sending = {a.name for a in node.names} & SENDING
                assert not sending, f"{path.name}:{node.lineno} imports {sending}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if isinstance(func, ast.Name) or "client" in _receiver(func):
                    assert name not in SENDING, f"{path.name}:{node.lineno} calls {name}"


def test_one_function_decides_a_runs_status() -> None:
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "finish_run":
                args = [*node.args, *(k.value for k in node.keywords)]
                deciding = [
                    a
                    for a in args
                    if isinstance(a, ast.Call) and getattr(a.func, "id", "") == "run_status"
                ]
                assert deciding, (
                    f"{path.relative_to(ROOT)}:{node.lineno}: status not from run_status"
                )


def test_connectors_never_reach_into_the_engine_or_the_state() -> None:
    for name, path in modules().items():
        if name.startswith("connectors."):
            for imported in imports(path):
                assert not imported.startswith(("sync.state", "sync.engine", "workers")), (
                    f"{name} imports {imported}"
                )


def test_there_is_no_import_cycle() -> None:
    known = modules()
    graph = {
        name: {
            target
            for target in imports(path)
            if target in known and target != name and not name.startswith(target + ".")
        }
        for name, path in known.items()
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_code_and_docs_point_only_inside_the_repository() -> None:
    files = [
        p
        for package in (*PACKAGES, "tests", "bench", "docs")
        for p in (ROOT / package).rglob("*")
        if p.suffix in {".py", ".md"}
    ]
    files.append(ROOT / "README.md")
    for path in files:
        text = path.read_text(encoding="utf-8")
        outside = ("..", "shared")
        assert "/".join(outside) not in text and "shared/design" + ".md" not in text, path


def test_a_syncing_process_does_not_load_the_tooling_libraries() -> None:
    """The CLI and a Celery worker, once loaded, hold no sandbox server (uvicorn, Starlette),
    no XLSX library and no migration tool: those are imported where they are used
    (`connectors.lazy`, `sync.catalog_io.xlsx_io`, `StateStore.migrate`), so every command
    and pool process starts without them."""
    script = (
        "import sys\n"
        "import sync.cli.app, workers.app, workers.tasks\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'uvicorn', 'starlette', 'openpyxl', 'alembic', 'mako'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.strip() == "[]", result.stdout
