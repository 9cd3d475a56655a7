"""The statutory holidays (法定节假日) the law fixes, whatever the yearly State Council schedule arranges.

《全国年节及纪念日放假办法》 art. 2 names the days off for all citizens; each revision is one `[[statutory]]`
version in `data/calendars/*.toml`, in force from `effective_from` to `effective_until` (DOMAIN §6). The yearly
notice only adds bridges and 调休 make-up days around them, and the weekday given off for a statutory day that
falls on a weekend (art. 6): a calendar built from these days alone is provisional.

The lunar dates (除夕, 端午, 中秋) and the solar terms (清明) are computed with `tyme4py` (6tail's Chinese
calendar library; solar terms from 寿星天文历), imported only when a date is actually asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, cast

from tracker.rules._toml import Doc, Where, show
from tracker.rules.model import ALWAYS, Effective, Source

__all__ = ["StatutoryDay", "StatutoryHoliday", "StatutoryVersion", "read_statutory", "statutory_days"]

Anchor = Literal["solar", "lunar", "solar_term"]
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class StatutoryDay:
    """One statutory day off (法定节假日) as the law fixes it, e.g. 2027-02-05 春节 (除夕)."""

    day: date
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class StatutoryHoliday:
    """One holiday the law fixes: `days` consecutive days from an anchor date moved by `offset` days.

    The anchor is a Gregorian month-day (`solar`), a lunar month-day (`lunar`, regular months 1–12, days
    1–29), or the day of a solar term (`solar_term`, e.g. 清明) in Beijing time. 除夕 is lunar 01-01 with
    offset -1: the last day of the lunar year, whether 腊月 has 29 or 30 days.
    """

    zh: str
    en: str
    anchor: Anchor
    month: int = 0
    day: int = 0
    term: str = ""
    offset: int = 0
    days: int = 1

    def starts(self, year: int) -> list[date]:
        """First days of this holiday for the anchors of years year-1 .. year+1 (Gregorian dates)."""
        out: list[date] = []
        for y in (year - 1, year, year + 1):
            if self.anchor == "solar":
                anchor = date(y, self.month, self.day)
            elif self.anchor == "lunar":
                from tyme4py.lunar import LunarDay  # deferred: only a provisional year needs it

                anchor = _gregorian(LunarDay.from_ymd(y, self.month, self.day).get_solar_day())
            else:
                from tyme4py.solar import SolarTerm

                anchor = _gregorian(SolarTerm.from_name(y, self.term).get_solar_day())
            out.append(anchor + timedelta(days=self.offset))
        return out

    def dates(self, year: int) -> list[date]:
        """The days of this holiday that fall in Gregorian `year`."""
        found: set[date] = set()
        for first in self.starts(year):
            found.update(d for i in range(self.days) if (d := first + timedelta(days=i)).year == year)
        return sorted(found)


def _gregorian(day: Any) -> date:
    """A tyme4py SolarDay as a date."""
    return date(day.get_year(), day.get_month(), day.get_day())


@dataclass(frozen=True, slots=True)
class StatutoryVersion:
    """The statutory holidays of one version of 《全国年节及纪念日放假办法》, in force over `effective`."""

    holidays: tuple[StatutoryHoliday, ...]
    effective: Effective
    source: Source


def statutory_days(versions: Iterable[StatutoryVersion], year: int) -> tuple[StatutoryDay, ...]:
    """The statutory days off of Gregorian `year`, by date, each from the version in force on that day."""
    out: dict[date, StatutoryDay] = {}
    whole_year = Effective(date(year, 1, 1), date(year, 12, 31))
    for version in versions:
        if not version.effective.overlaps(whole_year):
            continue  # not in force that year: no lunar arithmetic needed
        for holiday in version.holidays:
            for day in holiday.dates(year):
                if version.effective.covers(day):
                    out.setdefault(day, StatutoryDay(day, holiday.zh, holiday.en))
    return tuple(out[d] for d in sorted(out))


def _month_day(doc: Doc, value: Any, where: Where, lunar: bool) -> tuple[int, int]:
    match = _MONTH_DAY.match(value) if isinstance(value, str) else None
    if match is None:
        doc.fail(where, f'{show(where)} must be a month-day string such as "05-01", not {value!r}')
    month, day = int(match[1]), int(match[2])
    if lunar:
        if not (1 <= month <= 12 and 1 <= day <= 29):
            doc.fail(
                where,
                f"{show(where)}: lunar {value} must be month 01–12, day 01–29 "
                '(for 除夕, the last day of the year, write lunar = "01-01" with offset = -1)',
            )
    else:
        try:
            date(2001, month, day)  # a common year: 02-29 is refused, it is not in every year
        except ValueError:
            doc.fail(where, f"{show(where)}: {value} is not a day of every year")
    return month, day


def _holiday(doc: Doc, raw: Any, where: Where, terms: Sequence[str]) -> StatutoryHoliday:
    table = doc.table(
        raw, where, required=("zh", "en"), optional=("solar", "lunar", "solar_term", "offset", "days")
    )
    anchors = [k for k in ("solar", "lunar", "solar_term") if k in table]
    if len(anchors) != 1:
        doc.fail(where, f"{show(where)} needs exactly one of solar, lunar or solar_term")
    anchor = cast(Anchor, anchors[0])
    month = day = 0
    term = ""
    if anchor == "solar_term":
        term = doc.get(table, where, "solar_term", str)
        if term not in terms:
            doc.fail((*where, "solar_term"), f"{show(where)}: unknown solar term {term!r} (e.g. 清明, 冬至)")
    else:
        month, day = _month_day(doc, table[anchor], (*where, anchor), anchor == "lunar")
    offset = doc.opt(table, where, "offset", int, 0)
    days = doc.opt(table, where, "days", int, 1)
    if not 1 <= days <= 31:
        doc.fail((*where, "days"), f"{show(where)}: days must be between 1 and 31, not {days}")
    if abs(offset) > 31:
        doc.fail((*where, "offset"), f"{show(where)}: offset must be within a month, not {offset}")
    return StatutoryHoliday(
        zh=doc.get(table, where, "zh", str),
        en=doc.get(table, where, "en", str),
        anchor=anchor,
        month=month,
        day=day,
        term=term,
        offset=offset,
        days=days,
    )


def read_statutory(doc: Doc) -> list[StatutoryVersion]:
    """The `[[statutory]]` versions of one calendar file; RulesError naming the file and line if one is wrong."""
    raw = doc.data.get("statutory", [])
    if not isinstance(raw, list):
        doc.fail(("statutory",), "statutory must be an array of tables ([[statutory]])")
    from tyme4py.solar import SolarTerm  # deferred: the names of the 24 solar terms

    terms: list[str] = list(SolarTerm.NAMES)
    out: list[StatutoryVersion] = []
    for i, entry in enumerate(raw):
        at: Where = ("statutory", i)
        table = doc.table(
            entry,
            at,
            required=("source", "cite", "holidays"),
            optional=("effective_from", "effective_until", "note"),
        )
        start = (
            doc.day(table["effective_from"], (*at, "effective_from")) if "effective_from" in table else None
        )
        until = (
            doc.day(table["effective_until"], (*at, "effective_until"))
            if "effective_until" in table
            else None
        )
        if start is not None and until is not None and until < start:
            doc.fail(
                (*at, "effective_until"),
                f"{show(at)}: effective_until {until} is before effective_from {start}",
            )
        holidays = table["holidays"]
        if not isinstance(holidays, list) or not holidays:
            doc.fail((*at, "holidays"), f"{show(at)}.holidays must be a non-empty array of inline tables")
        doc.opt(table, at, "note", str, "")
        source = Source(*doc.source(table, at))
        effective = Effective(start, until, source) if start or until else ALWAYS
        out.append(
            StatutoryVersion(
                tuple(_holiday(doc, h, (*at, "holidays", j), terms) for j, h in enumerate(holidays)),
                effective,
                source,
            )
        )
    return out
