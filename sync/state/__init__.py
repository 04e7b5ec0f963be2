"""State store: bindings (account, SKU) -> remote listing, audit trail, runs."""

from sync.state.models import BindingStatus
from sync.state.store import Binding, StateStore

__all__ = ["Binding", "BindingStatus", "StateStore"]
