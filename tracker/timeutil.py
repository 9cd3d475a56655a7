"""Parsing and showing times. Naive input is local time; storage is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tracker.errors import UsageError


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
