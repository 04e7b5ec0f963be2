"""Marketplace name -> connector. Adding a marketplace: its folder plus one line here."""

from __future__ import annotations

from connectors.base import Connector

REGISTRY: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    """Add a connector to the registry (called by the lines below)."""
    REGISTRY[connector.name] = connector
    return connector


def get_connector(name: str) -> Connector:
    """The connector for marketplace `name`; KeyError names the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown marketplace {name!r} (known: {', '.join(sorted(REGISTRY))})"
        ) from None


def _load() -> None:
    # One line per marketplace. Imports are local so a broken optional connector cannot
    # stop the others from loading in tools that only need one.
    from connectors.alibaba import CONNECTOR as alibaba
    from connectors.lazada import CONNECTOR as lazada
    from connectors.postmart import CONNECTOR as postmart
    from connectors.shopee import CONNECTOR as shopee
    from connectors.tiktok import CONNECTOR as tiktok
    from connectors.voso import CONNECTOR as voso

    for connector in (voso, postmart, alibaba, shopee, lazada, tiktok):
        register(connector)


_load()
