"""The console refuses request bodies over CONSOLE_MAX_BODY with 413 (sync.body_limit, the
same middleware as the sandboxes), declared or chunked, before any route reads them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx

from connectors.sandbox import SandboxServer
from sync.body_limit import CONSOLE_MAX_BODY
from sync.console.app import create_app
from sync.settings import Settings


def _chunks(total: int, size: int = 1 << 16) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_an_oversized_post_is_refused_with_413(tmp_path: Path) -> None:
    settings = Settings(state_url=f"sqlite:///{tmp_path / 'state.db'}")
    with (
        SandboxServer(create_app(settings)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        for path in ("/login", "/failures/resync"):
            declared = http.post(path, content=b"x" * (CONSOLE_MAX_BODY + 1))
            assert declared.status_code == 413, path
        with httpx.Client(base_url=server.base_url, timeout=30) as fresh:
            assert fresh.post("/login", content=_chunks(CONSOLE_MAX_BODY + 1)).status_code == 413
        with httpx.Client(base_url=server.base_url, timeout=30) as fresh:
            small = fresh.post("/login", data={"username": "nobody", "password": "x"})
            assert small.status_code != 413  # a login form reaches the route
