"""Holding an account's lease for the length of a run: taken (or waited for) on entry,
renewed by a heartbeat while the run works, released on exit.

The heartbeat runs as a task on the run's event loop; a renewal that finds the lease gone
(it expired while the loop was stalled, and another run took it over) marks the lease lost,
and the run stops sending at its next operation (`check`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from sync.state.leases import Lease, LeaseBusy, LeaseLost, Leases, holder_is_dead
from sync.state.store import StateStore

INLINE_TTL = 30.0  # seconds a dead inline holder blocks the account (heartbeat every ttl/3)


class HeldLease:
    """One run's hold on one account's lease (with `take=False`, the keeping alive of a
    lease its owner took earlier: a Celery run's, taken by its plan task, kept by each batch).

    async with HeldLease(store, "voso-backan", holder="cli pid 1 on host", wait=5):
        ...  # LeaseBusy on entry when another run kept it for `wait` seconds
    """

    def __init__(
        self,
        store: StateStore,
        account: str,
        *,
        holder: str,
        wait: float = 0.0,
        ttl: float = INLINE_TTL,
        owner: str | None = None,
        take: bool = True,
    ) -> None:
        self.store = store
        self.account = account
        self.holder = holder
        self.wait = wait
        self.owner = owner or uuid.uuid4().hex
        self.leases = Leases(store, ttl)
        self.lost = False
        self.take = take  # False: keep alive a lease `owner` took earlier (a Celery run's)
        self._beat: asyncio.Task[None] | None = None

    async def __aenter__(self) -> HeldLease:
        if not self.take:
            self.lost = not await asyncio.to_thread(self.leases.renew, self.account, self.owner)
            self._beat = asyncio.create_task(self._heartbeat())
            return self
        deadline = time.monotonic() + self.wait
        while True:
            busy: Lease | None = await asyncio.to_thread(
                self.leases.acquire, self.account, self.owner, self.holder
            )
            if busy is None:
                break
            if holder_is_dead(busy.holder) and await asyncio.to_thread(
                self.leases.take_over, self.account, self.owner, self.holder, busy
            ):
                break  # its holder was killed on this machine: no need to wait it out
            left = deadline - time.monotonic()
            if left <= 0:
                raise LeaseBusy(busy)
            await asyncio.sleep(min(0.5, left))
        self._beat = asyncio.create_task(self._heartbeat())
        return self

    async def attach_run(self, run_id: int) -> None:
        """Name the run holding the lease (shown to whoever finds the account busy)."""
        if not await asyncio.to_thread(self.leases.renew, self.account, self.owner, run_id):
            self.lost = True

    def check(self) -> None:
        """Raise LeaseLost when another run took the lease over: stop sending."""
        if self.lost:
            raise LeaseLost(
                f"account {self.account}: this run lost its lease (it was not renewed in "
                f"time and another run took the account over); stopped sending"
            )

    async def _heartbeat(self) -> None:
        while not self.lost:
            await asyncio.sleep(self.leases.ttl / 3)
            try:
                renewed = await asyncio.to_thread(self.leases.renew, self.account, self.owner)
            except Exception:
                continue  # a database blip: the next beat tries again before the expiry
            self.lost = not renewed

    async def __aexit__(self, *_: object) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        if self.take:
            await asyncio.to_thread(self.leases.release, self.account, self.owner)


__all__ = ["INLINE_TTL", "HeldLease", "LeaseBusy", "LeaseLost"]
