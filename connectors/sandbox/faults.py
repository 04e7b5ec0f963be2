"""Sandbox configuration and fault injection: the ways real marketplace APIs misbehave."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Fault = Literal["error500", "error503", "throttle", "slow", "drop"]

# Faults that happen after the request was processed: the write is done but the answer is
# lost. These are the ones that tempt a client into duplicate creates.
POST_FAULTS: frozenset[Fault] = frozenset({"slow", "drop"})


@dataclass
class SandboxConfig:
    """How a sandbox behaves. Changeable at run time through POST /_sandbox/config."""

    rate_limit: float | None = None  # requests per second per seller; None = unlimited
    fault_rate: float = 0.0  # share of API requests that get a fault
    faults: tuple[Fault, ...] = ("error500", "error503", "throttle", "slow", "drop")
    slow_seconds: float = 12.0  # a "slow" answer comes this late (past the client timeout)
    throttle_seconds: float = 1.0  # the wait an injected throttle answer asks for
    latency_ms: float = 0.0  # added to every API answer (to model a remote server)
    seed: int | None = None
    persist: Path | None = None
    token_ttl: float = 3600.0  # session lifetime, where the protocol has sessions

    def public(self) -> dict[str, Any]:
        """JSON view for /_sandbox/config."""
        data = asdict(self)
        data["persist"] = str(self.persist) if self.persist else None
        return data

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update (unknown keys are a ValueError)."""
        for key, value in changes.items():
            if key not in self.__dataclass_fields__ or key == "persist":
                raise ValueError(f"unknown or read-only sandbox setting: {key}")
            setattr(self, key, tuple(value) if key == "faults" else value)


@dataclass
class FaultPlan:
    """Decides, per request, whether to inject a fault (seeded, so runs are repeatable)."""

    config: SandboxConfig
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def draw(self) -> Fault | None:
        """The fault for the next request, or None."""
        if self.config.fault_rate <= 0 or not self.config.faults:
            return None
        if self.rng.random() >= self.config.fault_rate:
            return None
        return self.rng.choice(self.config.faults)
