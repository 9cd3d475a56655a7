"""The provisional calendar: statutory holidays for a year whose schedule (调休) is not yet published.

Law: 《全国年节及纪念日放假办法》 art. 2 (as revised in force from 2025-01-01: 13 days; DOMAIN §6). Lunar dates and
the 清明 solar term come from the lunar-calendar library; the published 2008–2026 schedules (chinesecalendar and
data/calendars/cn.toml) check them.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from states import Kind, Stage
from tracker.locations import data_dir
from tracker.rules import RulesError, RuleSet, WorkCalendar, load_calendar, running_deadlines

PROVISIONAL_2027 = "provisional: 2027 调休 not yet published; counted with the statutory holidays only"


def _days(year: int) -> list[date]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        out.append(day)
        day += timedelta(days=1)
    return out


def test_statutory_days_of_2027(calendar: WorkCalendar) -> None:
    days = {d.day: d.zh for d in calendar.statutory_days(2027)}
    assert days == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节",  # 除夕 (腊月廿九: 腊月 2026/27 has 29 days)
        date(2027, 2, 6): "春节",  # 正月初一
        date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节",  # 正月初三
        date(2027, 4, 5): "清明节",  # the 清明 solar term
        date(2027, 5, 1): "劳动节",
        date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",  # 五月初五
        date(2027, 9, 15): "中秋节",  # 八月十五
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节",
    }
    assert len(days) == 13  # the law's 13 days a year since 2025


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2027, 1, 1), False),  # 元旦, a Friday: not a working day whatever the schedule says
        (date(2027, 2, 5), False),  # 除夕, a Friday
        (date(2027, 2, 8), False),  # 正月初三, a Monday
        (date(2027, 2, 9), True),  # 初四: a bridge day only if the schedule says so
        (date(2027, 4, 5), False),  # 清明, a Monday
        (date(2027, 6, 9), False),  # 端午, a Wednesday
        (date(2027, 9, 15), False),  # 中秋, a Wednesday
        (date(2027, 10, 1), False),  # 国庆, a Friday
        (date(2027, 10, 4), True),  # Monday after 国庆: open until the schedule is published
        (date(2027, 1, 2), False),  # weekends stay days off until the schedule names 调休 Saturdays
        (date(2027, 2, 20), False),
        (date(2027, 3, 3), True),
    ],
)
def test_2027_working_days(calendar: WorkCalendar, day: date, workday: bool) -> None:
    assert calendar.is_workday(day) is workday
    assert calendar.is_provisional(day) is True
    assert calendar.warning_for(day) == PROVISIONAL_2027


def test_d1_triggered_on_2026_12_25_falls_due_on_2027_01_11_provisionally(
    rules: RuleSet, calendar: WorkCalendar
) -> None:
    [d1] = running_deadlines(
        rules,
        calendar,
        kind=Kind.ALGORITHM,
        stage=Stage.DRAFT,
        launch_date=date(2026, 12, 25),
        today=date(2026, 12, 28),
    )
    assert d1.id == "D1"
    assert d1.due_date == date(2027, 1, 11)  # 12-28…12-31, then 元旦 skipped, 01-04…01-08, 01-11
    assert d1.provisional is True
    assert d1.warnings == (PROVISIONAL_2027,)
    assert d1.working_days_left == 9


def test_a_count_wholly_inside_a_published_year_is_not_provisional(calendar: WorkCalendar) -> None:
    due = calendar.add_workdays(date(2026, 11, 2), 10)
    assert (due.provisional, due.warnings) == (False, ())
    counted = calendar.workdays_between(date(2026, 11, 2), date(2026, 12, 31))
    assert (counted.provisional, counted.warnings) == (False, ())
    back = calendar.add_workdays(date(2027, 1, 1), -1)  # the start day is not counted (Civil Code art. 201)
    assert back.date == date(2026, 12, 31) and back.provisional is False
    # from 2027-01-04 back, the weekend 01-02/03 is counted as days off: a 调休 Saturday would change that
    assert calendar.add_workdays(date(2027, 1, 4), -1).provisional is True


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_statutory_days_are_days_off_in_each_published_schedule(year: int) -> None:
    """2024 falls under the 2013 revision (春节 初一–初三, 劳动节 1 day), 2025 and 2026 under the 2024 one."""
    import chinese_calendar

    shipped = load_calendar(data_dir() / "calendars")
    statutory = shipped.statutory_days(year)
    assert len(statutory) == (11 if year == 2024 else 13)
    published_off = {d for d in _days(year) if not chinese_calendar.is_workday(d)}
    assert {d.day for d in statutory} <= published_off
    assert all(not shipped.is_workday(d.day) for d in statutory)  # cn.toml's 2026 as well


def test_statutory_days_match_every_schedule_since_2008() -> None:
    """The three revisions (2008, 2014, 2025) against every schedule the package holds: no day is missed."""
    import chinese_calendar

    shipped = load_calendar(data_dir() / "calendars")
    for year in range(2008, 2027):
        for day in shipped.statutory_days(year):
            assert not chinese_calendar.is_workday(day.day), (year, day)
    # 除夕 was a day off in 2008–2013 and again from 2025, not in 2014–2024
    eves = {2013: date(2013, 2, 9), 2024: date(2024, 2, 9), 2025: date(2025, 1, 28)}
    assert {y: d in {s.day for s in shipped.statutory_days(y)} for y, d in eves.items()} == {
        2013: True,
        2024: False,
        2025: True,
    }


def test_the_lunar_dates_agree_with_known_festivals(calendar: WorkCalendar) -> None:
    days = {(d.zh, d.day) for year in (2025, 2026, 2028) for d in calendar.statutory_days(year)}
    for expected in [
        ("春节", date(2025, 1, 28)),  # 除夕 2025
        ("春节", date(2026, 2, 16)),  # 除夕 2026
        ("端午节", date(2026, 6, 19)),
        ("中秋节", date(2025, 10, 6)),
        ("清明节", date(2025, 4, 4)),
        ("清明节", date(2026, 4, 5)),
        ("春节", date(2028, 1, 25)),  # 除夕 2028: the lunar new year falls in January
        ("春节", date(2028, 1, 28)),
    ]:
        assert expected in days


def _cal(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "cn.toml").write_text('version = "t"\n' + text, encoding="utf-8")
    return folder


def _statutory_only() -> str:
    text = (data_dir() / "calendars" / "cn.toml").read_text(encoding="utf-8")
    return text[text.index("\n[[statutory]]\n") : text.index("\n[years.2026]")]


def test_when_the_schedule_arrives_nothing_else_changes(tmp_path: Path) -> None:
    statutory = _statutory_only()
    before = load_calendar(_cal(tmp_path / "before", statutory))
    # a made-up 2027 notice: 春节 2/5–2/11 with 调休 Saturday 2/20, 元旦 alone
    published = load_calendar(
        _cal(
            tmp_path / "after",
            statutory + '\n[years.2027]\ncomplete = true\nsource = "official"\ncite = "test notice"\n'
            "holidays = [2027-01-01, [2027-02-05, 2027-02-11]]\nworkdays = [2027-02-20]\n",
        )
    )
    assert before.coverage(2027) == "statutory" and published.coverage(2027) == "override"
    due_before = before.add_workdays(date(2026, 12, 25), 10)
    due_after = published.add_workdays(date(2026, 12, 25), 10)
    assert due_before == due_after.__class__(date(2027, 1, 11), (PROVISIONAL_2027,), True)
    assert (due_after.date, due_after.warnings, due_after.provisional) == (date(2027, 1, 11), (), False)
    assert published.is_workday(date(2027, 2, 9)) is False  # the notice's bridge days
    assert published.is_workday(date(2027, 2, 20)) is True  # and its 调休 Saturday
    assert before.is_workday(date(2027, 2, 9)) is True
    assert before.statutory_days(2027) == published.statutory_days(2027)  # the law's days are the same


def test_a_partial_override_patches_the_provisional_year(tmp_path: Path) -> None:
    statutory = _statutory_only()
    cal = load_calendar(
        _cal(
            tmp_path / "cal",
            statutory + '\n[years.2027]\ncomplete = false\nsource = "UNCONFIRMED"\ncite = "t"\n'
            "holidays = [2027-02-09]\n",
        )
    )
    assert cal.coverage(2027) == "statutory"
    assert cal.is_workday(date(2027, 2, 9)) is False and cal.is_workday(date(2027, 2, 5)) is False
    assert cal.is_provisional(date(2027, 2, 9))


def test_without_a_statutory_version_a_year_is_counted_monday_to_friday(tmp_path: Path) -> None:
    bare = load_calendar(_cal(tmp_path / "cal", ""), use_package=False)
    assert bare.coverage(2027) == "none"
    assert bare.is_workday(date(2027, 1, 1)) is True
    assert bare.warning_for(date(2027, 1, 1)) == "no holiday data for 2027: counted Monday–Friday"
    assert bare.add_workdays(date(2026, 12, 25), 10).provisional is True
    # and before the first version in force (2008) the law's days are not guessed either
    shipped = load_calendar(data_dir() / "calendars", use_package=False)
    assert shipped.statutory_days(2007) == () and shipped.coverage(2007) == "none"
    assert len(shipped.statutory_days(2010)) == 11 and shipped.coverage(2010) == "statutory"


HOLIDAY = '[[statutory]]\nsource = "official"\ncite = "t"\nholidays = [\n    {h},\n]\n'


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (HOLIDAY.replace("{h}", '{ zh = "x", en = "x", solar = "02-29" }'), 6, "not a day of every year"),
        (HOLIDAY.replace("{h}", '{ zh = "x", en = "x", lunar = "12-30" }'), 6, "offset = -1"),
        (HOLIDAY.replace("{h}", '{ zh = "x", en = "x", lunar = "5/5" }'), 6, "month-day string"),
        (HOLIDAY.replace("{h}", '{ zh = "x", en = "x", solar_term = "Qingming" }'), 6, "unknown solar term"),
        (
            HOLIDAY.replace("{h}", '{ zh = "x", en = "x", solar = "01-01", lunar = "01-01" }'),
            6,
            "exactly one",
        ),
        (HOLIDAY.replace("{h}", '{ zh = "x", en = "x", solar = "01-01", days = 0 }'), 6, "between 1 and 31"),
        (HOLIDAY.replace("{h}", '{ zh = "x", solar = "01-01" }'), 6, "lacks the required key 'en'"),
        (
            HOLIDAY.replace("{h}", '{ zh = "x", en = "x", solar = "01-01" }')
            + HOLIDAY.replace("{h}", '{ zh = "y", en = "y", solar = "01-02" }'),
            8,
            "overlap",
        ),
        (
            '[[statutory]]\neffective_from = 2025-01-01\neffective_until = 2024-12-31\nsource = "official"\n'
            'cite = "t"\nholidays = [{ zh = "x", en = "x", solar = "01-01" }]\n',
            4,
            "before effective_from",
        ),
        ('[[statutory]]\nsource = "official"\ncite = "t"\nholidays = []\n', 5, "non-empty"),
    ],
)
def test_a_broken_statutory_section_names_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    with pytest.raises(RulesError) as caught:
        load_calendar(_cal(tmp_path / "cal", text))
    assert fragment in str(caught.value), str(caught.value)
    assert f"cn.toml, line {line}:" in str(caught.value)
