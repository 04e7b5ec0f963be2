"""Marketplace connectors: one folder per marketplace, shared HTTP/retry layer, sandboxes."""
