"""The marketplace sandboxes as a separate process (`ocop-sync sandbox`) on loopback.

A separate process, not a thread: the sandboxes must not share the GIL with the code being
measured, or the bench would time its own server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from connectors.registry import REGISTRY

HOST = "127.0.0.1"
START_TIMEOUT = 30.0


def free_port_block(count: int = 3, first: int = 20000, last: int = 40000) -> int:
    """The first port P in [first, last) such that P … P+count-1 can all be bound now."""
    for port in range(first, last, count):
        sockets: list[socket.socket] = []
        try:
            for offset in range(count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.bind((HOST, port + offset))
            return port
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no block of {count} free ports in [{first}, {last})")


class SandboxProcess:
    """`ocop-sync sandbox --port P` as a child process; one base URL per marketplace."""

    def __init__(self, log: Path, port: int | None = None) -> None:
        self.port = port or free_port_block(len(REGISTRY))
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        # The CLI serves the marketplaces on P, P+1, … in sorted-name order.
        self.urls = {
            name: f"http://{HOST}:{self.port + offset}"
            for offset, name in enumerate(sorted(REGISTRY))
        }
        self.http = httpx.Client(timeout=30.0)

    def start(self) -> SandboxProcess:
        """Start the process and wait until every sandbox answers (bounded by time)."""
        cli = Path(sys.executable).parent / "ocop-sync"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(cli), "sandbox", "--host", HOST, "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        for url in self.urls.values():
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"sandbox process exited; see {self.log}")
                try:
                    self.http.get(url + "/_sandbox/stats", timeout=1.0).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"sandbox {url} did not start; see {self.log}") from None
                    time.sleep(0.1)
        return self

    def stop(self) -> None:
        """Stop the process we started (SIGTERM, then SIGKILL after 10 s)."""
        self.http.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- /_sandbox/* --------------------------------------------------------------------------
    def stats(self, marketplace: str) -> dict[str, Any]:
        """GET /_sandbox/stats of one marketplace."""
        response = self.http.get(self.urls[marketplace] + "/_sandbox/stats")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def all_stats(self) -> dict[str, dict[str, Any]]:
        """Stats of every marketplace."""
        return {name: self.stats(name) for name in self.urls}

    def configure(self, **changes: Any) -> None:
        """POST /_sandbox/config to every marketplace (e.g. rate_limit=50 or None)."""
        for url in self.urls.values():
            self.http.post(url + "/_sandbox/config", json=changes).raise_for_status()

    def reset(self) -> None:
        """Forget every listing and counter on every marketplace."""
        for url in self.urls.values():
            self.http.post(url + "/_sandbox/reset").raise_for_status()


def counter_delta(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], key: str
) -> dict[str, int]:
    """Per marketplace, how much counter `key` grew between two `all_stats` snapshots."""
    return {name: int(after[name][key]) - int(before[name][key]) for name in after}
