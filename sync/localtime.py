"""Times shown to people: in the schedule's timezone, with the zone's name."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands back naive UTC values)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_time(moment: datetime | None, zone: str, *, seconds: bool = False) -> str:
    """`moment` in `zone` as "2026-11-29 14:05 +07", or "—" for None."""
    if moment is None:
        return "—"
    shown = aware(moment).astimezone(ZoneInfo(zone))
    offset = shown.strftime("%z")  # +0700 -> +07, +0530 -> +05:30
    short = offset[:3] if offset.endswith("00") else f"{offset[:3]}:{offset[3:]}"
    return shown.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " " + short


def duration(seconds: float | None) -> str:
    """A run's length for people: "42 s", "3 min 5 s", "1 h 2 min"."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
