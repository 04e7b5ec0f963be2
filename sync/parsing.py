"""Strict parsers for the values people type into catalog spreadsheets."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

_STARS = re.compile(r"^([1-5])\s*(\*|★|sao|stars?)?$", re.IGNORECASE)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_QUANTITY = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*(g|gr|gram|kg|ml|l|lít|lit|piece|pcs|cái|gói|hộp)$", re.I
)
_UNIT_ALIASES = {
    "g": "g",
    "gr": "g",
    "gram": "g",
    "kg": "kg",
    "ml": "ml",
    "l": "l",
    "lít": "l",
    "lit": "l",
    "piece": "piece",
    "pcs": "piece",
    "cái": "piece",
    "gói": "piece",
    "hộp": "piece",
}


def parse_stars(value: object) -> int:
    """'4', 4, '4*', '4 sao', '★★★★' -> 4."""
    if isinstance(value, bool):
        raise ValueError(f"not a star rating: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if text and set(text) == {"★"}:
        return len(text)
    match = _STARS.match(text)
    if not match:
        raise ValueError(f"not a star rating: {value!r} (use 3, '4*', '4 sao' or '★★★')")
    return int(match.group(1))


def parse_date(value: object) -> date:
    """dd/mm/yyyy (Vietnamese order), ISO yyyy-mm-dd, or a spreadsheet date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DMY.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use dd/mm/yyyy or yyyy-mm-dd)") from None


def parse_quantity(value: object) -> tuple[Decimal, str]:
    """'500 g', '0,5 kg', '1 lít' -> (Decimal('500'), 'g')."""
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"not a net quantity: {value!r} (e.g. '500 g', '1 l', '10 piece')")
    try:
        amount = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:  # pragma: no cover - regex guarantees digits
        raise ValueError(f"not a net quantity: {value!r}") from None
    # casefold, not lower: IGNORECASE also matches e.g. 'ſ' for 's', which lower() keeps.
    unit = _UNIT_ALIASES.get(match.group(2).casefold())
    if unit is None:
        raise ValueError(f"not a net quantity: {value!r} (e.g. '500 g', '1 l', '10 piece')")
    return amount, unit


def parse_int(value: object, what: str = "number") -> int:
    """A whole number from a cell: 12, 12.0, '12', '1.200' (thousands dots allowed)."""
    if isinstance(value, bool):
        raise ValueError(f"not a whole {what}: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"not a whole {what}: {value!r}")
        return int(value)
    text = str(value).strip().replace("\u00a0", " ")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"\d{1,3}([. ]\d{3})+", text):
        return int(re.sub(r"\D", "", text))
    raise ValueError(f"not a whole {what}: {value!r}")


def split_list(value: object) -> list[str]:
    """Split a cell holding several values separated by ';' or newlines."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[;\n]", str(value)) if part.strip()]
