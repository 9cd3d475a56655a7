"""Times: the one clock type, UTC and Beijing days, parsing and showing. Input without an offset is Beijing
time; storage is UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

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
    """Parse an effective time → aware UTC (`tracker.domain.inputs.parse_when`: a date alone is the start of
    that day in Beijing, a time without an offset is Beijing time, within 2000-01-01..2100-12-31).

    Raises `UsageError`.
    """
    from tracker.domain.inputs import parse_when as parse

    return parse(text)


def parse_day(text: str) -> date:
    """Parse a calendar date `YYYY-MM-DD` within 2000-01-01..2100-12-31 (`tracker.domain.inputs.parse_day`).

    Raises `UsageError`.
    """
    from tracker.domain.inputs import parse_day as parse

    return parse(text)


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
