"""requirements.lock (the image's dependencies, `make lock`) agrees with pyproject.toml,
checked offline: every runtime requirement and the postgres extra are pinned within their
specifiers with hashes, nothing is pinned for pyproject.toml that it no longer asks for, and
the dev tools stay out. `make lock-check` (in .ci/run) also re-resolves it against PyPI."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path
from typing import cast

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
IMAGE_EXTRAS = ("postgres",)
# The image: Linux, CPython 3.11 (python:3.11-slim).
IMAGE_ENV: dict[str, str] = {
    # default_environment() is the Environment TypedDict, whose fields are all str.
    **cast("dict[str, str]", default_environment()),
    "python_version": "3.11",
    "sys_platform": "linux",
}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def direct_requirements() -> list[Requirement]:
    """Runtime dependencies plus the extras the image installs."""
    meta = project()
    texts = list(meta["dependencies"])
    for extra in IMAGE_EXTRAS:
        texts += meta["optional-dependencies"][extra]
    return [Requirement(text) for text in texts]


def parse_lock(text: str) -> tuple[dict[str, tuple[str, str | None, int]], set[str]]:
    """{name: (version, marker, hashes)} and the names pinned "via ocop-sync"."""
    pins: dict[str, tuple[str, str | None, int]] = {}
    direct: set[str] = set()
    current = None
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = block.split("\\", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;]+)\s*(?:;\s*(.+))?$", head)
        if not match:
            continue
        current = canonicalize_name(match[1])
        pins[current] = (match[2], match[3], block.count("--hash=sha256:"))
        if "ocop-sync (pyproject.toml)" in block:
            direct.add(current)
    return pins, direct


def check(lock_text: str, requirements: list[Requirement]) -> list[str]:
    """Every disagreement between the lock and the requirements (empty: they agree)."""
    pins, direct = parse_lock(lock_text)
    problems = []
    wanted = {canonicalize_name(r.name) for r in requirements if r.name != "ocop-sync"}
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if requirement.marker and not requirement.marker.evaluate(IMAGE_ENV):
            continue
        if name not in pins:
            problems.append(f"{requirement} is not in the lock")
            continue
        version = pins[name][0]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{name}=={version} does not satisfy {requirement}")
        for extra in requirement.extras:  # e.g. psycopg[binary]: what the extra pulls in
            for dependency in _extra_requirements(requirement.name, extra):
                if canonicalize_name(dependency.name) not in pins:
                    problems.append(f"{dependency.name} ({requirement}) is not in the lock")
    problems += [
        f"{name} is pinned for pyproject.toml but not asked for" for name in direct - wanted
    ]
    problems += [f"{name} has no hash" for name, (_, _, hashes) in pins.items() if not hashes]
    return problems


def _extra_requirements(name: str, extra: str) -> list[Requirement]:
    """What `name[extra]` adds, from the installed distribution's metadata (offline)."""
    try:
        texts = requires(name) or []
    except PackageNotFoundError:
        return []
    found = []
    for text in texts:
        requirement = Requirement(text)
        marker = requirement.marker
        adds = marker is not None and marker.evaluate({**IMAGE_ENV, "extra": extra})
        if adds and marker is not None and not marker.evaluate({**IMAGE_ENV, "extra": ""}):
            found.append(requirement)
    return found


def test_the_committed_lock_agrees_with_pyproject() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert check(lock, direct_requirements()) == []


def test_the_dev_tools_stay_out_of_the_image() -> None:
    pins, _ = parse_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    dev = {
        canonicalize_name(Requirement(t).name) for t in project()["optional-dependencies"]["dev"]
    }
    assert not (dev - {"ocop-sync"}) & set(pins)


def test_a_lock_that_disagrees_is_caught() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    requirements = direct_requirements()
    # A new dependency that was never locked.
    assert check(lock, [*requirements, Requirement("humanize>=4")]) == [
        "humanize>=4 is not in the lock"
    ]
    # A dependency removed from pyproject.toml but still pinned for it.
    fewer = [r for r in requirements if r.name != "tenacity"]
    assert check(lock, fewer) == ["tenacity is pinned for pyproject.toml but not asked for"]
    # A raised lower bound the pin no longer meets.
    pins, _ = parse_lock(lock)
    raised = [
        Requirement(f"httpx>{pins['httpx'][0]}") if r.name == "httpx" else r for r in requirements
    ]
    assert check(lock, raised) == [
        f"httpx=={pins['httpx'][0]} does not satisfy httpx>{pins['httpx'][0]}"
    ]
    # The extra's own dependencies: psycopg[binary] needs psycopg-binary pinned.
    without = re.sub(r"\npsycopg-binary==.*?(?=\n[a-z])", "", lock, flags=re.S)
    assert any("psycopg-binary" in problem for problem in check(without, requirements))
