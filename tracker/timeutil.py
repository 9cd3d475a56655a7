"""Times: the one clock type, UTC and Beijing days, parsing and showing. Naive input is local time; storage is UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

from tracker.errors import UsageError

Clock = Callable[[], datetime]
"""What services ask for the current time: returns an aware UTC datetime (tests pass a fake one)."""

_EIGHT_HOURS = timedelta(hours=8)
BEIJING = timezone(_EIGHT_HOURS, "Asia/Shanghai")
"""China Standard Time, UTC+8; mainland China has kept no daylight saving since 1991."""


def now_utc() -> datetime:
    """The current time, aware UTC (the default `Clock`)."""
    return datetime.now(UTC)


def beijing_date(value: datetime) -> date:
    """The calendar day in Beijing (UTC+8) of an aware time; a naive time is taken as UTC (as the tables store it).

    Regulatory days (working-day deadlines, submission days) are Beijing days.
    """
    if value.tzinfo is None or value.tzinfo is UTC:  # what the tables hand back: shift, don't convert
        return (value + _EIGHT_HOURS).date()
    return value.astimezone(BEIJING).date()


def to_utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC); None stays None."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_db(value: datetime) -> datetime:
    """Any time → aware UTC, as the tables store it (a naive time is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_when(text: str) -> datetime:
    """Parse `2026-11-29`, `2026-11-29 14:30`, `2026-11-29T14:30:00+08:00`, `today`, `yesterday` → aware UTC."""
    raw = text.strip()
    lowered = raw.lower()
    if lowered in ("now", "现在"):
        return datetime.now(UTC)
    if lowered in ("today", "今天", "yesterday", "昨天"):
        day = date.today() - (timedelta(days=1) if lowered in ("yesterday", "昨天") else timedelta())
        return datetime.combine(day, datetime.now().time()).astimezone(UTC)
    try:
        value = datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        raise UsageError(
            f"cannot read the time {text!r}",
            hint="use YYYY-MM-DD or YYYY-MM-DD HH:MM, optionally with +08:00",
        ) from None
    if value.tzinfo is None:
        value = value.astimezone()  # local time of this machine
    return value.astimezone(UTC)


def parse_day(text: str) -> date:
    """Parse a calendar date `YYYY-MM-DD`."""
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise UsageError(f"cannot read the date {text!r}", hint="use YYYY-MM-DD") from None


def local(value: datetime) -> datetime:
    """An aware time in this machine's zone, for display."""
    return value.astimezone()


def show(value: datetime | None, *, seconds: bool = False) -> str:
    """`2026-11-29 14:30` in local time, or an empty string."""
    if value is None:
        return ""
    return local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, for JSON."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
