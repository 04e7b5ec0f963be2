"""VND money: int đồng, strict parsing. VND has no minor unit."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_CURRENCY = re.compile(r"(₫|vnđ|vnd|đồng|dong|đ)$", re.IGNORECASE)
# Thousands grouped by "." or a (narrow/no-break) space, groups of exactly three digits.
_GROUPED = re.compile(r"^\d{1,3}([. \u00a0\u202f]\d{3})+$")
_PLAIN = re.compile(r"^\d+$")


class MoneyError(ValueError):
    """A price that is not a whole number of đồng."""


def parse_vnd(value: object) -> int:
    """Parse '45.000', '45 000', '45.000 ₫', '45000' or an int into int đồng.

    A decimal part ('45,5', 45.5) is an error, never silently truncated.
    """
    if isinstance(value, bool):
        raise MoneyError(f"not a price: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        # int(inf) raises OverflowError, which validators would not turn into a clean error.
        if not math.isfinite(value):
            raise MoneyError(f"not a price: {value!r}")
        if value != int(value):
            raise MoneyError(f"VND has no minor unit, got {value}")
        return int(value)
    if not isinstance(value, str):
        raise MoneyError(f"not a price: {value!r}")
    text = value.strip()
    text = _CURRENCY.sub("", text).strip()
    if not text:
        raise MoneyError("empty price")
    if "," in text:
        raise MoneyError(
            f"{value!r}: ',' is a decimal separator and VND has no minor unit; "
            "write 45.000 or 45000"
        )
    if _PLAIN.match(text):
        return int(text)
    if _GROUPED.match(text):
        return int(re.sub(r"\D", "", text))
    raise MoneyError(f"{value!r} is not a whole VND amount (e.g. 45.000 or 45000)")


def group_thousands(amount: int) -> str:
    """Digits grouped the Vietnamese way: 45000 -> '45.000'."""
    return f"{amount:,}".replace(",", ".")


def format_vnd(amount: int) -> str:
    """Format int đồng the Vietnamese way: 45000 -> '45.000 ₫'."""
    return group_thousands(amount) + " ₫"


def round_to(amount: int | Decimal, step: int) -> int:
    """Round half-up to a multiple of `step` đồng (e.g. 1,000)."""
    if step <= 1:
        return int(Decimal(amount).to_integral_value(rounding="ROUND_HALF_UP"))
    q = (Decimal(amount) / step).to_integral_value(rounding="ROUND_HALF_UP")
    return int(q) * step


def vnd_to_usd(amount: int, rate_vnd_per_usd: Decimal) -> Decimal:
    """Convert đồng to USD with two decimals (half-up)."""
    try:
        return (Decimal(amount) / rate_vnd_per_usd).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    except InvalidOperation as exc:  # pragma: no cover - rate validated upstream
        raise MoneyError(f"cannot convert {amount} VND at rate {rate_vnd_per_usd}") from exc
