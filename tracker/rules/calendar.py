"""Working days in mainland China: the `chinesecalendar` package plus override files in `data/calendars/`.

A year is known from an override file marked `complete = true`, else from the package (patched by any
partial override). A year nobody knows is counted Monday–Friday and every result touching it carries a
warning: a deadline must never be computed silently on a guessed calendar.

Override file format (`data/calendars/*.toml`):

    version = "2026.11"
    [years.2027]
    complete = false          # true: this file alone defines the year, replacing the package
    source = "UNCONFIRMED"
    cite = "..."
    holidays = [2027-01-01, [2027-02-06, 2027-02-13]]   # days off; a pair is an inclusive range
    workdays = [2027-02-14]                             # 调休 make-up workdays
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from tracker.errors import RulesError
from tracker.rules._toml import Doc, Where, read_toml, show
from tracker.rules.model import Source

__all__ = ["Counted", "DueDate", "WorkCalendar", "YearOverride", "load_calendar"]

Coverage = Literal["override", "package", "partial", "none"]
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DueDate:
    """A date computed by counting working days, with any doubt about the calendar used."""

    date: date
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Counted:
    """A number of working days, with any doubt about the calendar used."""

    days: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class YearOverride:
    """The holiday schedule of one year as given by an override file."""

    year: int
    complete: bool
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class _Year:
    on: frozenset[date]  # make-up workdays falling on a weekend
    off: frozenset[date]  # holidays falling on a weekday
    coverage: Coverage
    warning: str | None


def _days(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += _DAY


def _package_year(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    import chinese_calendar  # deferred: only a calendar that is actually consulted pays for it

    on: set[date] = set()
    off: set[date] = set()
    try:
        for day in _days(year):
            workday = chinese_calendar.is_workday(day)
            if workday and day.weekday() >= 5:
                on.add(day)
            elif not workday and day.weekday() < 5:
                off.add(day)
    except NotImplementedError:  # the package raises this for years outside its data
        return None
    return frozenset(on), frozenset(off)


class WorkCalendar:
    """Answers "is this a working day?" and counts working days; never raises for a year without data."""

    def __init__(self, overrides: Iterable[YearOverride] = (), *, use_package: bool = True) -> None:
        self._overrides = {o.year: o for o in overrides}
        self._use_package = use_package
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        known = self._years.get(year)
        if known is None:
            known = self._years[year] = self._resolve(year)
        return known

    def _resolve(self, year: int) -> _Year:
        override = self._overrides.get(year)
        if override is not None and override.complete:
            return _Year(override.workdays, override.holidays, "override", None)
        package = _package_year(year) if self._use_package else None
        on, off = package if package is not None else (frozenset(), frozenset())
        if override is not None:  # a partial override patches whatever else is known
            on = (on - override.holidays) | override.workdays
            off = (off - override.workdays) | override.holidays
        if package is not None:
            return _Year(on, off, "partial" if override is not None else "package", None)
        if override is not None and (override.holidays or override.workdays):
            listed = len(override.holidays | override.workdays)
            warning = (
                f"incomplete holiday data for {year}: counted Monday–Friday apart from {listed} listed days"
            )
            return _Year(on, off, "partial", warning)
        return _Year(on, off, "none", f"no holiday data for {year}: counted Monday–Friday")

    def coverage(self, year: int) -> Coverage:
        """Where the year's schedule comes from: an override file, the package, both (partial), or nowhere."""
        return self._year(year).coverage

    def warning_for(self, day: date) -> str | None:
        """The warning to show next to `day` when its year's holidays are not fully known."""
        return self._year(day.year).warning

    def warnings_between(self, first: date, last: date) -> tuple[str, ...]:
        """Warnings for every year from `first` to `last` inclusive (in either order)."""
        low, high = sorted((first.year, last.year))
        return tuple(w for y in range(low, high + 1) if (w := self._year(y).warning) is not None)

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day (调休 make-up weekend days are)."""
        year = self._year(day.year)
        if day in year.on:
            return True
        if day in year.off:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: date, n: int) -> DueDate:
        """The day on which the n-th working day after `start` falls (start excluded; n < 0 counts back)."""
        step = _DAY if n >= 0 else -_DAY
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_workday(day):
                left -= 1
        warnings = self.warnings_between(start + step, day) if n else ()
        return DueDate(day, warnings)

    def workdays_between(self, start: date, end: date) -> Counted:
        """Working days after `start` up to and including `end`; if end < start, minus those in [end, start)."""
        if end >= start:
            first, last, sign = start + _DAY, end, 1
        else:
            first, last, sign = end, start - _DAY, -1
        count, day = 0, first
        while day <= last:
            count += self.is_workday(day)
            day += _DAY
        warnings = self.warnings_between(first, last) if first <= last else ()
        return Counted(sign * count, warnings)


def _dates(doc: Doc, value: Any, where: Where, year: int) -> frozenset[date]:
    if not isinstance(value, list):
        doc.fail(where, f"{show(where)} must be an array of dates or [first, last] pairs")
    out: set[date] = set()
    for i, item in enumerate(value):
        at = (*where, i)
        if isinstance(item, list):
            if len(item) != 2:
                doc.fail(at, f"{show(where)}: a range must be a pair [first, last], not {len(item)} values")
            first, last = doc.day(item[0], at), doc.day(item[1], at)
            if last < first:
                doc.fail(at, f"{show(where)}: range {first} to {last} ends before it starts")
        else:
            first = last = doc.day(item, at)
        if first.year != year or last.year != year:
            doc.fail(at, f"{show(where)}: {first if first.year != year else last} is not in {year}")
        while first <= last:
            out.add(first)
            first += _DAY
    return frozenset(out)


def _read_overrides(doc: Doc) -> list[YearOverride]:
    doc.table(doc.data, (), required=("version",), optional=("years",))
    doc.get(doc.data, (), "version", str)
    years = doc.data.get("years", {})
    if not isinstance(years, dict):
        doc.fail(("years",), "years must be a table of [years.YYYY] sections")
    out: list[YearOverride] = []
    for name, raw in years.items():
        at: Where = ("years", name)
        if not (name.isdigit() and len(name) == 4):
            doc.fail(at, f"year {name!r} must be four digits, e.g. [years.2027]")
        year = int(name)
        table = doc.table(
            raw, at, required=("complete", "source", "cite"), optional=("holidays", "workdays", "note")
        )
        holidays = _dates(doc, table.get("holidays", []), (*at, "holidays"), year)
        workdays = _dates(doc, table.get("workdays", []), (*at, "workdays"), year)
        if both := sorted(holidays & workdays):
            doc.fail((*at, "workdays"), f"{both[0]} is listed both as a holiday and as a workday")
        doc.opt(table, at, "note", str, "")
        out.append(
            YearOverride(
                year, doc.get(table, at, "complete", bool), holidays, workdays, Source(*doc.source(table, at))
            )
        )
    return out


def load_calendar(calendars_dir: Path | None = None, *, use_package: bool = True) -> WorkCalendar:
    """The calendar from the package plus every `*.toml` override in `calendars_dir` (default `data/calendars/`)."""
    if calendars_dir is None:
        from tracker.locations import data_dir  # resolved at call time: nothing is read on import

        calendars_dir = data_dir() / "calendars"
        if not calendars_dir.is_dir():
            return WorkCalendar(use_package=use_package)
    elif not calendars_dir.is_dir():
        raise RulesError(calendars_dir, None, "calendar folder not found")
    overrides: dict[int, tuple[YearOverride, Path]] = {}
    for path in sorted(calendars_dir.glob("*.toml")):
        doc = read_toml(path)
        for override in _read_overrides(doc):
            if override.year in overrides:
                previous = overrides[override.year][1].name
                doc.fail(
                    ("years", str(override.year)), f"year {override.year} is already defined in {previous}"
                )
            overrides[override.year] = (override, path)
    return WorkCalendar((o for o, _ in overrides.values()), use_package=use_package)
