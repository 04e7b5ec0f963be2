"""Running sandboxes: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import uvicorn
from starlette.applications import Starlette


class SandboxServer:
    """One uvicorn server on loopback in a daemon thread; `base_url` once started."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        config = uvicorn.Config(
            app, host=host, port=port, log_level="critical", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.host = host

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Start serving and wait until the socket is bound."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        """http://host:port of the running server."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving (listings are saved if the store persists)."""
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


FREEZE_EVERY = 2.0  # seconds between two gc.freeze() of a foreground sandbox process


async def keep_listings_out_of_full_collections(every: float = FREEZE_EVERY) -> None:
    """Move what the process holds now out of the cyclic GC's reach, every `every` s.

    A sandbox under load keeps every listing it was sent (a bench run leaves ~250 000):
    each full collection then walked all of them, a 0.15–0.3 s pause at that size, landing
    on whichever client was being measured. Listings are plain dicts and lists whose memory
    goes back by reference counting when deleted; only garbage cycles alive at a freeze
    would stay, and requests make few that live that long.
    """
    while True:
        await asyncio.sleep(every)
        gc.freeze()


def serve_forever(apps: dict[str, tuple[Starlette, int]], host: str = "127.0.0.1") -> None:
    """Serve several apps in the foreground (one port each) until interrupted."""

    async def run_all() -> None:
        servers = [
            uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
            for app, port in apps.values()
        ]
        freezer = asyncio.ensure_future(keep_listings_out_of_full_collections())
        try:
            await asyncio.gather(*(server.serve() for server in servers))
        finally:
            freezer.cancel()

    asyncio.run(run_all())
