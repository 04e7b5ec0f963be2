"""Circuit breaker per account: stop sending to a marketplace that does not answer.

With nothing listening at an account's base URL, every listing used to retry on its own
(1 475 connection attempts, ~95 s for one account). The breaker counts connection failures
in a row across every call of the client; at `threshold` it opens and each call fails at
once with `Unreachable` (fatal for the account, like a refused login). After `cooldown`
seconds one call is let through as a probe (half-open): an answer closes the breaker, a
failure opens it again.
"""

from __future__ import annotations

import time

from connectors.errors import Unreachable

DEFAULT_THRESHOLD = 8  # one failed round of the default 8 concurrent calls
DEFAULT_COOLDOWN = 30.0


class Breaker:
    """Consecutive connection failures of one account's client."""

    def __init__(
        self,
        account: str,
        base_url: str,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown: float = DEFAULT_COOLDOWN,
    ) -> None:
        self.account = account
        self.base_url = base_url
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def open(self) -> bool:
        """True while calls fail fast."""
        return self._opened_at is not None

    def before_call(self) -> None:
        """Raise Unreachable while open; let one probe through once the cooldown passed."""
        if self._opened_at is None:
            return
        if not self._probing and time.monotonic() - self._opened_at >= self.cooldown:
            self._probing = True  # half-open: this call is the probe
            return
        raise Unreachable(
            f"marketplace unreachable at {self.base_url}: {self.failures} connection "
            "failures in a row; stopped sending to this account",
            account=self.account,
        )

    def answered(self) -> None:
        """Any HTTP answer (even an error status) proves the marketplace is there."""
        self.failures = 0
        self._opened_at = None
        self._probing = False

    def connection_failed(self) -> None:
        """Count one refused, reset or timed-out connection."""
        self.failures += 1
        if self._probing or self.failures >= self.threshold:
            self._opened_at = time.monotonic()
            self._probing = False
