"""The compose files as Docker Compose would see them, without Docker: `${VAR:-default}`
interpolation, YAML merge keys, and the overlay merged over the base file (mappings merged
key by key, volumes by their container path, lists such as ports appended) — the subset of
the Compose specification our files use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "docker-compose.yml"
OVERLAY = ROOT / "docker-compose.sandbox.yml"
TRIAL_ENV = ROOT / "deploy" / "sandbox" / "compose.env"

_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def read(path: Path) -> dict[str, Any]:
    """The YAML document (merge keys resolved by PyYAML's safe loader)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def project_env(path: Path | None) -> dict[str, str]:
    """Variables of a `--env-file` (KEY=VALUE lines, comments skipped)."""
    if path is None:
        return {}
    return dict(
        line.split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """`${VAR}` / `${VAR:-default}` replaced everywhere, as Compose does before parsing."""
    if isinstance(node, str):
        return _VARIABLE.sub(lambda m: env.get(m[1]) or (m[2] or ""), node)
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    return node


def _target(volume: str) -> str:
    return volume.split(":")[1]


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """`docker compose -f base -f overlay`: the overlay's services merged over the base's."""
    merged = {**base, "services": {**base["services"]}}
    for name, service in overlay.get("services", {}).items():
        current = dict(merged["services"].get(name, {}))
        for key, value in service.items():
            if key == "volumes":
                by_target = {_target(v): v for v in current.get("volumes", [])}
                by_target.update({_target(v): v for v in value})
                current["volumes"] = list(by_target.values())
            elif isinstance(value, dict):
                current[key] = {**current.get(key, {}), **value}
            elif isinstance(value, list) and key in {"ports", "env_file", "secrets"}:
                current[key] = [*current.get(key, []), *value]
            else:
                current[key] = value
        merged["services"][name] = current
    return merged


def compose(*, trial: bool, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The effective configuration: production alone, or production + sandbox overlay with
    the trial's `--env-file`."""
    variables = {**project_env(TRIAL_ENV if trial else None), **(env or {})}
    base = interpolate(read(BASE), variables)
    return merge(base, interpolate(read(OVERLAY), variables)) if trial else base


def host_path(path: str) -> Path:
    """A host path of a compose file (relative to the project directory) as an absolute one."""
    return (ROOT / path).resolve()
