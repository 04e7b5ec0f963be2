"""A worker's liveness file: a cheap container healthcheck.

`ocop-sync worker --liveness-file PATH` adds a consumer step that touches PATH every
`INTERVAL` seconds from the consumer's own event loop, once it is connected to the broker.
The healthcheck only looks at the file's age (`find PATH -mmin -1`): it neither imports the
app nor talks to Redis every 30 s, as `celery inspect ping` would, and it still fails when
the consumer stops consuming (lost broker, wedged loop) because the touches stop too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, ClassVar

from celery import Celery, bootsteps

INTERVAL = 10.0  # seconds between touches; the healthcheck allows one minute


def touch(path: Path) -> None:
    """Create `path` or set its modification time to now (errors are not fatal)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path)


def add_liveness(app: Celery, path: Path, interval: float = INTERVAL) -> None:
    """Register the consumer step that keeps `path` fresh while the worker consumes."""

    class Liveness(bootsteps.StartStopStep):
        """Touches the liveness file on the consumer's timer."""

        requires: ClassVar[set[str]] = {"celery.worker.consumer.tasks:Tasks"}

        def __init__(self, parent: Any, **kwargs: Any) -> None:
            super().__init__(parent, **kwargs)
            self.timer_ref: Any = None

        def start(self, consumer: Any) -> None:
            touch(path)
            self.timer_ref = consumer.timer.call_repeatedly(interval, touch, (path,))

        def stop(self, consumer: Any) -> None:
            # Also called while the consumer reconnects: the file just ages meanwhile.
            if self.timer_ref is not None:
                self.timer_ref.cancel()
                self.timer_ref = None

        def shutdown(self, consumer: Any) -> None:
            self.stop(consumer)
            path.unlink(missing_ok=True)

    app.steps["consumer"].add(Liveness)
