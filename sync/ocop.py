"""OCOP programme facts: criteria versions, product groups, stars, certificate rules."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sync.text import ascii_fold


class CriteriaVersion(StrEnum):
    """The decision whose criteria a rating was made under."""

    QD1048_2019 = "1048/2019"  # Decision 1048/QĐ-TTg (2019)
    QD148_2023 = "148/2023"  # Decision 148/QĐ-TTg (24 Feb 2023)
    QD148_1489_2025 = "148+1489/2025"  # 148 as amended by 1489/QĐ-TTg (6 Jul 2025)


GROUPS_148 = (
    "Thực phẩm",
    "Đồ uống",
    "Dược liệu và sản phẩm từ dược liệu",
    "Hàng thủ công mỹ nghệ",
    "Sinh vật cảnh",
    "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
)
GROUPS_1048 = (
    "Thực phẩm",
    "Đồ uống",
    "Thảo dược",
    "Vải và may mặc",
    "Lưu niệm - nội thất - trang trí",
    "Dịch vụ du lịch nông thôn, bán hàng",
)

GROUPS: dict[CriteriaVersion, tuple[str, ...]] = {
    CriteriaVersion.QD1048_2019: GROUPS_1048,
    CriteriaVersion.QD148_2023: GROUPS_148,
    CriteriaVersion.QD148_1489_2025: GROUPS_148,
}


def _group_key(name: str) -> str:
    # Compare groups without case, diacritics, or dash/space variations ("Lưu niệm–nội thất").
    return " ".join(ascii_fold(name).lower().replace("–", "-").replace("-", " ").split())


def canonical_group(version: CriteriaVersion, name: str) -> str:
    """Return the official spelling of `name` for `version`, or raise ValueError."""
    wanted = _group_key(name)
    for group in GROUPS[version]:
        if _group_key(group) == wanted:
            return group
    allowed = "; ".join(GROUPS[version])
    raise ValueError(
        f"unknown OCOP group {name!r} for criteria {version}: expected one of {allowed}"
    )


class OcopStatus(StrEnum):
    """Where a product stands in the OCOP process."""

    PROPOSED = "proposed"
    CERTIFIED = "certified"
    EXPIRED = "expired"
    REVOKED = "revoked"


class IssuerLevel(StrEnum):
    """Who signed the certificate (3★ district until 2025, 4★ province, 5★ central)."""

    DISTRICT = "district"
    PROVINCE = "province"
    CENTRAL = "central"


class ProducerKind(StrEnum):
    """The legal form of the OCOP subject (chủ thể)."""

    ENTERPRISE = "enterprise"
    COOPERATIVE = "cooperative"
    COOPERATIVE_GROUP = "cooperative_group"
    HOUSEHOLD_BUSINESS = "household_business"


CERTIFICATE_VALIDITY_MONTHS = 36
MIN_LISTABLE_STARS = 3


def stars_for_score(score: float) -> int:
    """Stars a 100-point score earns: 5★ ≥ 90, 4★ 70-89, 3★ 50-69, 2★ 30-49, else 1★."""
    if score >= 90:
        return 5
    if score >= 70:
        return 4
    if score >= 50:
        return 3
    if score >= 30:
        return 2
    return 1


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
