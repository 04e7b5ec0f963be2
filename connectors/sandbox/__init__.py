"""Toolkit shared by the marketplace sandboxes: listing store, rate limit, fault injection,
`/_sandbox/*` inspection endpoints, and a server runner (thread or foreground)."""

from connectors.sandbox.faults import FaultPlan, SandboxConfig
from connectors.sandbox.server import SandboxServer, serve_forever
from connectors.sandbox.store import ListingStore, SellerStore
from connectors.sandbox.toolkit import SandboxHooks, build_sandbox_app

__all__ = [
    "FaultPlan",
    "ListingStore",
    "SandboxConfig",
    "SandboxHooks",
    "SandboxServer",
    "SellerStore",
    "build_sandbox_app",
    "serve_forever",
]
