"""Settings: accounts, state URL, catalog path, Redis, schedule.

Loaded from a TOML file (``--config`` or ``OCOP_SYNC_CONFIG``) plus ``OCOP_SYNC_*`` environment
variables. Credentials are SecretStr and can come from the environment alone:
``OCOP_SYNC_ACCOUNT_<NAME>_<KEY>`` (name upper-cased, '-' -> '_'), e.g.
``OCOP_SYNC_ACCOUNT_VOSO_BACKAN_PASSWORD``.

Docker secrets: every one of these variables can instead name a file that holds the value,
``<VARIABLE>_FILE`` (e.g. ``OCOP_SYNC_STATE_URL_FILE=/run/secrets/state_url``,
``OCOP_SYNC_SECRET_KEY_FILE``, ``OCOP_SYNC_ACCOUNT_VOSO_BACKAN_PASSWORD_FILE``). Setting both
the variable and its ``_FILE`` is an error; an empty variable counts as unset.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class ConfigError(Exception):
    """The configuration file or environment is wrong; the message says where and why."""


FILE_SUFFIX = "_FILE"


def env_value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable `name`, or the content of the file its `<name>_FILE` names (Docker
    secrets; one trailing newline dropped); None when neither is set. ConfigError when both
    are set or the file cannot be read."""
    env = os.environ if environ is None else environ
    direct, file = env.get(name) or None, env.get(name + FILE_SUFFIX) or None
    if direct is not None and file is not None:
        raise ConfigError(f"set {name} or {name}{FILE_SUFFIX}, not both")
    if file is None:
        return direct
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}{FILE_SUFFIX}: cannot read {file}: {exc}") from None
    return text.removesuffix("\n").removesuffix("\r")


class PriceRules(BaseModel):
    """Catalog price -> marketplace price, applied in order: markup, add, round, floor, FX."""

    model_config = ConfigDict(extra="forbid")

    markup_percent: Decimal = Decimal(0)
    fixed_add: int = 0
    round_to: Annotated[int, Field(ge=1)] = 1000
    floor: Annotated[int, Field(ge=0)] = 0
    usd_rate: Annotated[Decimal, Field(gt=0)] | None = None  # VND per USD, for USD marketplaces


class StockRules(BaseModel):
    """Catalog stock -> stock shown: keep a buffer back, show a share, cap what is shown;
    and what a listing does when that reaches 0."""

    model_config = ConfigDict(extra="forbid")

    buffer: Annotated[int, Field(ge=0)] = 0
    # The part of the stock this account may sell when several channels share one stock.
    share_percent: Annotated[Decimal, Field(gt=0, le=100)] = Decimal(100)
    max_shown: Annotated[int, Field(ge=0)] | None = None
    # "keep": stay listed showing 0 (sold out); "delist": unlist at 0, relist when it returns.
    at_zero: Literal["keep", "delist"] = "keep"


class Selection(BaseModel):
    """Which catalog products an account takes (`[accounts.select]`; sync.selection).

    Every rule that is set must hold (AND); a list holds when any of its entries matches.
    Nothing set: the whole catalog.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    producers: list[str] = Field(default_factory=list)  # tax id or name of the producer
    min_stars: Annotated[int, Field(ge=1, le=5)] | None = None
    groups: list[str] = Field(default_factory=list)  # OCOP groups
    product_sets: list[str] = Field(default_factory=list)
    provinces: list[str] = Field(default_factory=list)  # province or current province
    communes: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    include_skus: list[str] = Field(default_factory=list)  # only these product/variant SKUs
    exclude_skus: list[str] = Field(default_factory=list)  # never these

    @property
    def everything(self) -> bool:
        """True when no rule is set (the account takes the whole catalog)."""
        return not any(getattr(self, name) for name in type(self).model_fields)


class Account(BaseModel):
    """One seller account on one marketplace (e.g. one per cooperative or province)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    marketplace: str
    base_url: str
    credentials: dict[str, SecretStr] = Field(default_factory=dict)
    rate_limit: Annotated[float, Field(gt=0)] = 10.0  # requests per second allowed
    concurrency: Annotated[int, Field(ge=1, le=256)] = 8
    timeout: Annotated[float, Field(gt=0)] = 10.0
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    max_retry_delay: Annotated[float, Field(gt=0)] = 60.0  # total seconds of retry waits
    categories: dict[str, str] = Field(default_factory=dict)  # OCOP group/product set -> id
    default_category: str | None = None
    price: PriceRules = Field(default_factory=PriceRules)
    stock: StockRules = Field(default_factory=StockRules)
    select: Selection = Field(default_factory=Selection)
    options: dict[str, Any] = Field(default_factory=dict)  # marketplace-specific knobs

    def secret(self, key: str) -> str:
        """The credential `key` in clear, for signing/login only. Raises ConfigError if absent."""
        try:
            return self.credentials[key].get_secret_value()
        except KeyError:
            raise ConfigError(f"account {self.name}: credential {key!r} is not set") from None

    def category_for(self, group: str, product_set: str | None) -> str | None:
        """Marketplace category id: product set first, then OCOP group, then the default."""
        if product_set and product_set in self.categories:
            return self.categories[product_set]
        return self.categories.get(group, self.default_category)


class Schedule(BaseModel):
    """Beat schedule: incremental sync every N minutes, nightly reconcile, and the catalog
    watch (a stat every `watch_every_seconds`, 0 = off; a change is synced once the file
    was left alone for `watch_debounce_seconds`)."""

    model_config = ConfigDict(extra="forbid")

    sync_every_minutes: Annotated[int, Field(ge=1)] = 15
    watch_every_seconds: Annotated[float, Field(ge=0)] = 5.0
    watch_debounce_seconds: Annotated[float, Field(ge=0)] = 2.0
    reconcile_at: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")] = "02:30"
    timezone: str = "Asia/Ho_Chi_Minh"


class Operator(BaseModel):
    """A person allowed into the web console: `viewer` reads, `operator` may also resync."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
    password_hash: SecretStr  # argon2 (`ocop-sync serve --hash-password`) or bcrypt
    role: Literal["viewer", "operator"] = "viewer"


class ConsoleSettings(BaseModel):
    """`ocop-sync serve`: who may log in, where it listens (loopback by default)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8700
    operators: list[Operator] = Field(default_factory=list)
    admin_token: SecretStr | None = None  # logs in as "admin" with the operator role
    session_key: SecretStr | None = None  # signs session cookies; random per process if unset
    session_hours: Annotated[float, Field(gt=0)] = 12.0
    language: Literal["vi", "en"] = "vi"


class Settings(BaseSettings):
    """Everything ocop-sync needs to run."""

    model_config = SettingsConfigDict(
        env_prefix="OCOP_SYNC_", env_nested_delimiter="__", extra="forbid"
    )

    catalog: Path | None = None
    state_url: str = "sqlite:///ocop-sync.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    audit_retention_days: Annotated[int, Field(ge=1)] = 90
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 50
    accounts: list[Account] = Field(default_factory=list)
    schedule: Schedule = Field(default_factory=Schedule)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @field_validator("accounts")
    @classmethod
    def _unique_names(cls, accounts: list[Account]) -> list[Account]:
        names = [account.name for account in accounts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"account names must be unique: {', '.join(dupes)}")
        return accounts

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file (init kwargs carry the file's content).
        return _EnvWithoutFiles(settings_cls), init_settings

    def account(self, name: str) -> Account:
        """The account called `name`, or ConfigError listing the known ones."""
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none configured"
        raise ConfigError(f"no account named {name!r} (known: {known})")


class _EnvWithoutFiles(EnvSettingsSource):
    """The OCOP_SYNC_* environment without the <SECTION>__<FIELD>_FILE variables, which
    `_env_files` reads (nested, they would otherwise look like unknown section keys)."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        for key, value in data.items():
            if isinstance(value, dict):
                data[key] = {k: v for k, v in value.items() if not k.endswith("_file")}
        return data


def account_env_prefix(name: str) -> str:
    """OCOP_SYNC_ACCOUNT_<NAME>_ : the prefix of account `name`'s credential variables."""
    return "OCOP_SYNC_ACCOUNT_" + name.upper().replace("-", "_") + "_"


def _env_credentials(raw_accounts: list[dict[str, Any]]) -> None:
    """Fill credentials from OCOP_SYNC_ACCOUNT_<NAME>_<KEY>[_FILE] variables (they win over
    the file)."""
    for raw in raw_accounts:
        prefix = account_env_prefix(str(raw.get("name", "")))
        creds = dict(raw.get("credentials") or {})
        variables = {var.removesuffix(FILE_SUFFIX) for var in os.environ if var.startswith(prefix)}
        for var in sorted(variables):
            value = env_value(var) if len(var) > len(prefix) else None
            if value is not None:
                creds[var[len(prefix) :].lower()] = value
        raw["credentials"] = creds


def file_variables() -> list[str]:
    """Every settings variable that can also be read through <VARIABLE>_FILE: the top-level
    fields and the fields of the sections (OCOP_SYNC_CONSOLE__SESSION_KEY)."""
    names = []
    for field, info in Settings.model_fields.items():
        names.append("OCOP_SYNC_" + field.upper())
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            names += [f"OCOP_SYNC_{field.upper()}__{sub.upper()}" for sub in section.model_fields]
    return names


def _env_files(data: dict[str, Any]) -> None:
    """Settings from OCOP_SYNC_<FIELD>_FILE / OCOP_SYNC_<SECTION>__<FIELD>_FILE (e.g. the
    state URL as a Docker secret): they take the place of the configuration file's value,
    like the plain variable would."""
    for var in file_variables():
        if os.environ.get(var + FILE_SUFFIX):
            value = env_value(var)  # raises when the plain variable is set as well
            field, _, sub = var.removeprefix("OCOP_SYNC_").lower().partition("__")
            if sub:
                section = data.get(field)
                data[field] = {**(section if isinstance(section, dict) else {}), sub: value}
            else:
                data[field] = value


def load_settings(path: Path | str | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (if any) and the environment; raise ConfigError with a clear reason."""
    path = path or os.environ.get("OCOP_SYNC_CONFIG")
    data: dict[str, Any] = {}
    if path:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: configuration file not found") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read configuration: {exc}") from None
        if data.get("catalog") and not Path(data["catalog"]).is_absolute():
            data["catalog"] = str((file.parent / data["catalog"]).resolve())
    _env_files(data)
    data.update({k: v for k, v in overrides.items() if v is not None})
    _env_credentials(data.setdefault("accounts", []))
    try:
        return Settings(**data)
    except ValueError as exc:
        raise ConfigError(f"{path or 'environment'}: {_short_errors(exc)}") from None


def _short_errors(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return "; ".join(parts)
