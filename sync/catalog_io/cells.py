"""Cell converters for the flat CSV/XLSX layout: raw cell value -> model input, or ValueError.

Converters receive a non-blank cell: a stripped NFC str, or an XLSX int/float/bool/date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sync.money import parse_vnd
from sync.ocop import CriteriaVersion, IssuerLevel, OcopStatus, ProducerKind
from sync.parsing import parse_date, parse_int, parse_quantity, parse_stars, split_list
from sync.text import ascii_fold, nfc

Converter = Callable[[object], object]


def clean(value: object) -> object:
    """NFC-normalise and strip text; blank text and None become None."""
    if isinstance(value, str):
        text = nfc(value).strip()
        return text or None
    return value


def text(value: object) -> str:
    """Any scalar cell as text (XLSX numbers lose a trailing '.0')."""
    if isinstance(value, bool):
        raise ValueError(f"expected text, got the logical value {str(value).upper()}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return nfc(str(value)).strip()


def digits_text(width: int) -> Converter:
    """Text for codes that spreadsheets turn into numbers and strip of leading zeros."""

    def convert(value: object) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            code = text(value)
            # Excel drops the leading 0 of phone numbers and tax IDs typed as numbers; the
            # shortened code is invalid anyway, so restoring the zero cannot hide a mistake.
            return code.zfill(width) if len(code) == width - 1 else code
        return text(value)

    return convert


def gtin(value: object) -> str:
    """A GTIN: digits only; number cells are converted without exponent notation."""
    return text(value).replace(" ", "")


def stars(value: object) -> int:
    """Stars: 4, '4', '4*', '4 sao', '★★★★'."""
    return parse_stars(value)


def score(value: object) -> float:
    """A 0-100 score; '91,14' (Vietnamese decimal comma) and '91.14' both accepted."""
    if isinstance(value, bool):
        raise ValueError(f"not a score: {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        raw = text(value)
        candidate = raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw
        # The exponent form only comes from exports of extreme floats (repr), never from people.
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", candidate):
            raise ValueError(f"not a score: {raw!r} (a number from 0 to 100, e.g. 91.14)")
        number = float(candidate)
    if not math.isfinite(number):
        raise ValueError(f"not a score: {value!r}")
    return number


def day(value: object) -> date:
    """A date: dd/mm/yyyy, yyyy-mm-dd or a spreadsheet date cell."""
    return parse_date(value)


def whole(what: str) -> Converter:
    """A whole number (stock, weight, days); '1.200' allowed, '1,5' is not."""
    return lambda value: parse_int(value, what)


def price(value: object) -> int:
    """Whole đồng: '45.000', '45 000', '45.000 ₫', 45000; '45,5' is an error."""
    return parse_vnd(value)


def quantity(value: object) -> dict[str, object]:
    """Net quantity '500 g', '0,5 kg', '1 lít' -> {'value': Decimal, 'unit': 'g'}; a bare
    number ('500', 0.5) -> {'value': …}, its unit coming from the unit column."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": Decimal(text(value))}
    raw = text(value)
    if re.fullmatch(r"\d+([.,]\d+)?", raw):
        return {"value": Decimal(raw.replace(",", "."))}
    amount, unit_ = parse_quantity(value)
    return {"value": amount, "unit": unit_}


def unit(value: object) -> str:
    """A unit of the net quantity: g, kg, ml, l ('lít'), piece ('cái')."""
    raw = text(value)
    try:
        return parse_quantity(f"1 {raw}")[1]
    except ValueError:
        raise ValueError(f"unknown unit {raw!r} (use g, kg, ml, lít or cái)") from None


def text_list(value: object) -> list[str]:
    """Several values in one cell, separated by ';' or line breaks."""
    return split_list(text(value))


def images(value: object) -> list[dict[str, object]]:
    """Image URLs separated by ';'; the first one is the primary image."""
    return [{"url": url, "primary": i == 0} for i, url in enumerate(text_list(value))]


def _key(value: str) -> str:
    # Enum words compare without case, diacritics or punctuation: "Hợp tác xã" == "hop tac xa".
    return " ".join(re.sub(r"[^a-z0-9+]+", " ", ascii_fold(value).lower()).split())


def _enum(what: str, words: dict[StrEnum, tuple[str, ...]]) -> Converter:
    table: dict[str, str] = {}
    for member, aliases in words.items():
        for alias in (member.value, *aliases):
            table[_key(alias)] = member.value
    english = ", ".join(member.value for member in words)
    vietnamese = ", ".join(aliases[0] for aliases in words.values() if aliases)

    def convert(value: object) -> str:
        raw = text(value)
        found = table.get(_key(raw))
        if found is None:
            raise ValueError(f"unknown {what} {raw!r} (use {english}; or {vietnamese})")
        return found

    convert.__doc__ = f"{what}: {english}"
    return convert


producer_kind = _enum(
    "producer kind",
    {
        ProducerKind.ENTERPRISE: (
            "Doanh nghiệp",
            "Công ty",
            "Cty",
            "DN",
            "Công ty cổ phần",
            "CTCP",
            "Công ty TNHH",
            "TNHH",
            "Doanh nghiệp tư nhân",
            "DNTN",
        ),
        ProducerKind.COOPERATIVE: ("Hợp tác xã", "HTX"),
        ProducerKind.COOPERATIVE_GROUP: ("Tổ hợp tác", "THT", "cooperative group"),
        ProducerKind.HOUSEHOLD_BUSINESS: (
            "Hộ kinh doanh",
            "HKD",
            "Hộ kinh doanh cá thể",
            "Hộ sản xuất",
            "Hộ sản xuất kinh doanh",
            "Cơ sở sản xuất",
            "household business",
        ),
    },
)
issuer_level = _enum(
    "issuer level",
    {
        IssuerLevel.DISTRICT: ("huyện", "cấp huyện", "UBND huyện"),
        IssuerLevel.PROVINCE: ("tỉnh", "cấp tỉnh", "UBND tỉnh"),
        IssuerLevel.CENTRAL: ("trung ương", "cấp trung ương", "TW", "quốc gia", "national"),
    },
)
ocop_status = _enum(
    "OCOP status",
    {
        OcopStatus.PROPOSED: ("đề xuất", "đang đánh giá", "chờ công nhận"),
        OcopStatus.CERTIFIED: ("đã công nhận", "công nhận", "được công nhận", "đạt"),
        OcopStatus.EXPIRED: ("hết hạn", "hết hiệu lực"),
        OcopStatus.REVOKED: ("thu hồi", "bị thu hồi", "đã thu hồi"),
    },
)


# Each version is recognised by its decision number, optionally with the other numbers of its
# official label: "148", "QĐ 148/QĐ-TTg", "148/2023"; "1489", "148+1489/2025"; "1048/2019".
_VERSION_NUMBERS = {
    CriteriaVersion.QD1048_2019: ("1048", {"2019"}),
    CriteriaVersion.QD148_2023: ("148", {"2023"}),
    CriteriaVersion.QD148_1489_2025: ("1489", {"148", "2025"}),
}


def criteria_version(value: object) -> str:
    """Criteria version: '1048/2019', '148/2023', '148+1489/2025' or the decision number."""
    raw = text(value)
    numbers = set(re.findall(r"[0-9]+", raw))
    for version, (decision, extras) in _VERSION_NUMBERS.items():
        if decision in numbers and numbers <= {decision, *extras}:
            return version.value
    versions = ", ".join(v.value for v in CriteriaVersion)
    raise ValueError(f"unknown criteria version {raw!r} (use {versions})")
