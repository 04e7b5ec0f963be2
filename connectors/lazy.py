"""Registry entries that name a function by its module, imported on first use.

A connector's sandbox (a Starlette app served by uvicorn) and its seller-portal feed
(openpyxl) are tooling: a process that only syncs — `ocop-sync sync`, every Celery pool
process — never calls them, yet imported them all through the registry: ~8 MB of every
process's memory and ~0.3 s of its start went to libraries it did not use. A connector's
`__init__` names those functions with `lazy("module:function")`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy(target: str) -> Callable[..., Any]:
    """A function that imports `package.module:function` on its first call and calls it."""
    module_name, _, name = target.partition(":")
    if not module_name or not name:
        raise ValueError(f"lazy target must be 'module:function', got {target!r}")
    resolved: list[Callable[..., Any]] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not resolved:
            resolved.append(getattr(importlib.import_module(module_name), name))
        return resolved[0](*args, **kwargs)

    call.__name__ = name
    call.__qualname__ = target
    call.__doc__ = f"{target}, imported on first call."
    return call


__all__ = ["lazy"]
