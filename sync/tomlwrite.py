"""A minimal TOML writer for the configuration files ocop-sync writes itself (the standard
library reads TOML but does not write it)."""

from __future__ import annotations

import json
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML string


def _key(key: str) -> str:
    return (
        key
        if key.replace("_", "").replace("-", "").isalnum() and key.isascii()
        else json.dumps(key, ensure_ascii=False)
    )


def dumps_toml(data: dict[str, Any]) -> str:
    """Top-level scalars, then tables, then arrays of tables (one level of nesting each)."""
    lines: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) and not _is_table_list(v)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{_key(key)}]", *(f"{_key(k)} = {_value(v)}" for k, v in value.items())]
        elif _is_table_list(value):
            for item in value:
                lines += ["", f"[[{_key(key)}]]"]
                lines += [
                    f"{_key(k)} = {_value(v)}" for k, v in item.items() if not isinstance(v, dict)
                ]
                for k, v in item.items():
                    if isinstance(v, dict):
                        lines += [
                            f"[{_key(key)}.{_key(k)}]",
                            *(f"{_key(kk)} = {_value(vv)}" for kk, vv in v.items()),
                        ]
    return "\n".join(lines) + "\n"


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
