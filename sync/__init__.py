"""ocop-sync core: the canonical OCOP catalog, planning, state and the inline executor."""

__version__ = "0.1.0"
