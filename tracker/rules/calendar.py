"""Working days in mainland China: the `chinesecalendar` package, override files in `data/calendars/`, and the
statutory holidays the law fixes for years whose schedule is not yet published.

A year is *published* when an override file marks it `complete = true`, or when the package covers it (patched
by any partial override). For any other year the calendar is *provisional*: the statutory holidays of
《全国年节及纪念日放假办法》 in force that year are days off (they are, whatever the yearly State Council notice
arranges), weekends are days off, every other day is a working day, and every result touching the year is
flagged `provisional` with the warning "调休 not yet published". The notice only adds bridges and 调休 make-up
days around the statutory days (DOMAIN §6), so publishing it (a newer `chinesecalendar`, or the year filled in
`data/calendars/cn.toml` with `complete = true`) turns the year published and changes nothing else. A year with
neither data nor a statutory version in force is counted Monday–Friday, also with a warning.

The statutory days come from `tracker.rules.statutory` (lunar dates and the 清明 solar term by `tyme4py`),
computed only when a provisional year is actually consulted.

Override file format (`data/calendars/*.toml`):

    version = "2026.11"
    [years.2027]
    complete = false          # true: this file alone defines the year, replacing the package
    source = "UNCONFIRMED"
    cite = "..."
    holidays = [2027-01-01, [2027-02-06, 2027-02-13]]   # days off; a pair is an inclusive range
    workdays = [2027-02-14]                             # 调休 make-up workdays

    [[statutory]]             # one version of the statutory holidays; versions may not overlap
    effective_from = 2025-01-01        # inclusive; effective_until (inclusive) closes a superseded version
    source = "official"
    cite = "..."
    holidays = [
        { zh = "元旦", en = "New Year's Day", solar = "01-01" },                 # days = 1 by default
        { zh = "春节", en = "Spring Festival", lunar = "01-01", offset = -1, days = 4 },  # 除夕 to 正月初三
        { zh = "清明节", en = "Qingming Festival", solar_term = "清明" },
    ]
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
from tracker.rules.statutory import (
    StatutoryDay,
    StatutoryHoliday,
    StatutoryVersion,
    read_statutory,
    statutory_days,
)

__all__ = [
    "Counted",
    "DueDate",
    "StatutoryDay",
    "StatutoryHoliday",
    "StatutoryVersion",
    "WorkCalendar",
    "YearOverride",
    "load_calendar",
]

Coverage = Literal["override", "package", "partial", "statutory", "none"]
"""Where a year's schedule comes from; "statutory" means the law's holidays only (provisional)."""
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DueDate:
    """A date computed by counting working days, with any doubt about the calendar used.

    `provisional` is True when the count runs through a year whose 调休 schedule is not yet published: the
    date may still move when it is (`warnings` then says so in words).
    """

    date: date
    warnings: tuple[str, ...] = ()
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Counted:
    """A number of working days, with any doubt about the calendar used (`provisional` as for DueDate)."""

    days: int
    warnings: tuple[str, ...] = ()
    provisional: bool = False


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
    provisional: bool = False


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
    """Answers "is this a working day?" and counts working days; never raises for a year without data.

    `statutory` holds the versions of the statutory holidays (law), used for years nobody has published.
    """

    def __init__(
        self,
        overrides: Iterable[YearOverride] = (),
        *,
        use_package: bool = True,
        statutory: Iterable[StatutoryVersion] = (),
    ) -> None:
        self._overrides = {o.year: o for o in overrides}
        self._use_package = use_package
        self._statutory = tuple(statutory)
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
        statutory = (
            frozenset() if package is not None else frozenset(d.day for d in self.statutory_days(year))
        )
        off = off | statutory
        if override is not None:  # a partial override patches whatever else is known
            on = (on - override.holidays) | override.workdays
            off = (off - override.workdays) | override.holidays
        if package is not None:
            return _Year(on, off, "partial" if override is not None else "package", None)
        if statutory:
            warning = f"provisional: {year} 调休 not yet published; counted with the statutory holidays only"
            return _Year(on, off, "statutory", warning, provisional=True)
        if override is not None and (override.holidays or override.workdays):
            listed = len(override.holidays | override.workdays)
            warning = (
                f"incomplete holiday data for {year}: counted Monday–Friday apart from {listed} listed days"
            )
            return _Year(on, off, "partial", warning, provisional=True)
        return _Year(on, off, "none", f"no holiday data for {year}: counted Monday–Friday", provisional=True)

    def statutory_days(self, year: int) -> tuple[StatutoryDay, ...]:
        """The statutory days off of Gregorian `year` as the law in force on each day fixes them, by date.

        Computed from the `[[statutory]]` versions of `data/calendars/` whatever the year's coverage (for a
        published year this is what the schedule must contain). Empty when no version is in force that year.
        Source: 《全国年节及纪念日放假办法》 art. 2, as cited by each version (DOMAIN §6).
        """
        return statutory_days(self._statutory, year)

    def coverage(self, year: int) -> Coverage:
        """Where the year's schedule comes from: an override file, the package, both (partial), the law's
        statutory holidays only (provisional), or nowhere (Monday–Friday)."""
        return self._year(year).coverage

    def warning_for(self, day: date) -> str | None:
        """The warning to show next to `day` when its year's holidays are not fully known."""
        return self._year(day.year).warning

    def is_provisional(self, day: date) -> bool:
        """Whether `day`'s year has no published schedule: whether it is a working day may still change."""
        return self._year(day.year).provisional

    def warnings_between(self, first: date, last: date) -> tuple[str, ...]:
        """Warnings for every year from `first` to `last` inclusive (in either order)."""
        low, high = sorted((first.year, last.year))
        return tuple(w for y in range(low, high + 1) if (w := self._year(y).warning) is not None)

    def provisional_between(self, first: date, last: date) -> bool:
        """Whether any year from `first` to `last` inclusive (in either order) is provisional."""
        low, high = sorted((first.year, last.year))
        return any(self._year(y).provisional for y in range(low, high + 1))

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day (调休 make-up weekend days are; statutory holidays never are)."""
        year = self._year(day.year)
        if day in year.on:
            return True
        if day in year.off:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: date, n: int) -> DueDate:
        """The day on which the n-th working day after `start` falls (start excluded; n < 0 counts back).

        Counting follows Civil Code art. 201 (the start day is not counted; DOMAIN §6). The result is
        provisional when a day counted lies in a year without a published schedule.
        """
        step = _DAY if n >= 0 else -_DAY
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_workday(day):
                left -= 1
        if not n:
            return DueDate(day)
        first = start + step
        return DueDate(day, self.warnings_between(first, day), self.provisional_between(first, day))

    def workdays_between(self, start: date, end: date) -> Counted:
        """Working days after `start` up to and including `end`; if end < start, minus those in [end, start).

        Provisional when a day counted lies in a year without a published schedule.
        """
        if end >= start:
            first, last, sign = start + _DAY, end, 1
        else:
            first, last, sign = end, start - _DAY, -1
        count, day = 0, first
        while day <= last:
            count += self.is_workday(day)
            day += _DAY
        if first > last:
            return Counted(0)
        return Counted(
            sign * count, self.warnings_between(first, last), self.provisional_between(first, last)
        )


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
    doc.table(doc.data, (), required=("version",), optional=("years", "statutory"))
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
    """The calendar from the package plus every `*.toml` in `calendars_dir` (default `data/calendars/`).

    The files give year overrides (`[years.YYYY]`) and the statutory holidays (`[[statutory]]`). Raises
    RulesError (a ConfigError) naming the file and line of the first problem, e.g. a year defined in two
    files or two statutory versions in force on the same day.
    """
    if calendars_dir is None:
        from tracker.locations import data_dir  # resolved at call time: nothing is read on import

        calendars_dir = data_dir() / "calendars"
        if not calendars_dir.is_dir():
            return WorkCalendar(use_package=use_package)
    elif not calendars_dir.is_dir():
        raise RulesError(calendars_dir, None, "calendar folder not found")
    overrides: dict[int, tuple[YearOverride, Path]] = {}
    statutory: list[tuple[StatutoryVersion, Path]] = []
    for path in sorted(calendars_dir.glob("*.toml")):
        doc = read_toml(path)
        for override in _read_overrides(doc):
            if override.year in overrides:
                previous = overrides[override.year][1].name
                doc.fail(
                    ("years", str(override.year)), f"year {override.year} is already defined in {previous}"
                )
            overrides[override.year] = (override, path)
        for i, version in enumerate(read_statutory(doc)):
            for other, where in statutory:
                if version.effective.overlaps(other.effective):
                    doc.fail(
                        ("statutory", i),
                        f"statutory holidays {version.effective} overlap the version {other.effective} "
                        f"of {where.name}; give effective_from / effective_until periods that do not overlap",
                    )
            statutory.append((version, path))
    return WorkCalendar(
        (o for o, _ in overrides.values()), use_package=use_package, statutory=(v for v, _ in statutory)
    )
