"""Database drivers: a state URL whose driver is not installed is a configuration error with
the install hint, not a ModuleNotFoundError traceback.

PostgreSQL needs the `postgres` extra (psycopg 3): ``pip install 'ocop-sync[postgres]'``.
SQLite is built into Python.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from sync.settings import ConfigError

# Driver module -> what installs it.
INSTALL_HINTS = {
    "psycopg": "pip install 'ocop-sync[postgres]'",
    "psycopg_binary": "pip install 'ocop-sync[postgres]'",
}


def open_engine(url: str) -> Engine:
    """SQLAlchemy engine for the state URL; ConfigError (exit 2) when the URL is not a
    database URL or its driver is missing (the message says what to install)."""
    try:
        return create_engine(url, future=True, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        module = (exc.name or "").split(".")[0]
        hint = INSTALL_HINTS.get(module, f"install the Python package {module!r}")
        raise ConfigError(
            f"state_url {_safe(url)}: the database driver {module!r} is not installed; {hint}"
        ) from None
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(f"state_url {_safe(url)}: not a usable database URL ({exc})") from None


def _safe(url: str) -> str:
    """The URL with its password hidden (it is printed in error messages)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable URL)"
