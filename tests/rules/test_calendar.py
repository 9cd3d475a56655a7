"""Working-day arithmetic on the 2026 schedule (DOMAIN §6), fallback years and override files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tracker.locations import data_dir
from tracker.rules import RulesError, WorkCalendar, load_calendar

PROVISIONAL_2027 = "provisional: 2027 调休 not yet published; counted with the statutory holidays only"


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 1, 2), False),  # 元旦, a Friday
        (date(2026, 1, 4), True),  # Sunday make-up for 元旦
        (date(2026, 2, 14), True),  # Saturday make-up for 春节
        (date(2026, 2, 16), False),  # 春节, a Monday
        (date(2026, 2, 23), False),  # last day of 春节, a Monday
        (date(2026, 2, 28), True),  # Saturday make-up for 春节
        (date(2026, 4, 6), False),  # 清明, a Monday
        (date(2026, 5, 5), False),  # 劳动节, a Tuesday
        (date(2026, 5, 9), True),  # Saturday make-up for 劳动节
        (date(2026, 6, 19), False),  # 端午, a Friday
        (date(2026, 9, 20), True),  # Sunday make-up for 国庆
        (date(2026, 9, 25), False),  # 中秋, a Friday
        (date(2026, 10, 7), False),  # 国庆, a Wednesday
        (date(2026, 10, 10), True),  # Saturday make-up for 国庆
        (date(2026, 10, 11), False),  # an ordinary Sunday
        (date(2026, 3, 3), True),  # an ordinary Tuesday
    ],
)
def test_2026_schedule(calendar: WorkCalendar, day: date, workday: bool) -> None:
    assert calendar.is_workday(day) is workday


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday before 春节 → the make-up Saturday
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # make-up Saturday → skips the whole 春节 block
        (date(2026, 2, 13), 10, date(2026, 3, 5)),  # counts both make-up Saturdays
        (date(2026, 2, 10), 10, date(2026, 3, 2)),
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Friday → the make-up Sunday, not Saturday 9/19
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # across 国庆
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # the make-up Saturday after 国庆 counts
        (date(2026, 9, 24), 10, date(2026, 10, 15)),  # D1 launched before 中秋 and 国庆
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # 2025 from the package, 2026 from the override
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
        (date(2026, 2, 24), -1, date(2026, 2, 14)),  # counting back
    ],
)
def test_add_workdays_across_holidays(calendar: WorkCalendar, start: date, n: int, due: date) -> None:
    result = calendar.add_workdays(start, n)
    assert result.date == due
    assert result.warnings == ()


def test_workdays_between_counts_after_start_through_end(calendar: WorkCalendar) -> None:
    assert calendar.workdays_between(date(2026, 2, 13), date(2026, 2, 28)).days == 6
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 10)).days == 3
    assert calendar.workdays_between(date(2026, 3, 2), date(2026, 3, 2)).days == 0


def test_workdays_between_is_negative_once_past(calendar: WorkCalendar) -> None:
    # due Friday 2026-03-06; on Saturday the Friday is one working day behind
    assert calendar.workdays_between(date(2026, 3, 7), date(2026, 3, 6)).days == -1
    assert calendar.workdays_between(date(2026, 3, 10), date(2026, 3, 6)).days == -2
    assert calendar.workdays_between(date(2026, 10, 9), date(2026, 9, 30)).days == -2


def test_inverse_of_add_workdays(calendar: WorkCalendar) -> None:
    start = date(2026, 1, 1)
    for n in range(0, 260, 7):
        due = calendar.add_workdays(start, n).date
        assert calendar.workdays_between(start, due).days == n


def test_2027_is_provisional_with_the_statutory_holidays(calendar: WorkCalendar) -> None:
    result = calendar.add_workdays(date(2027, 3, 1), 5)  # Monday; no statutory day that week
    assert result.date == date(2027, 3, 8)
    assert result.warnings == (PROVISIONAL_2027,)
    assert result.provisional is True
    between = calendar.workdays_between(date(2027, 3, 1), date(2027, 3, 8))
    assert (between.days, between.warnings, between.provisional) == (5, (PROVISIONAL_2027,), True)
    assert calendar.warning_for(date(2027, 6, 1)) == PROVISIONAL_2027
    assert calendar.warning_for(date(2026, 6, 1)) is None
    assert calendar.is_provisional(date(2027, 6, 1)) and not calendar.is_provisional(date(2026, 6, 1))
    assert calendar.coverage(2027) == "statutory"


def test_counting_into_2027_is_provisional_but_within_2026_is_not(calendar: WorkCalendar) -> None:
    into = calendar.add_workdays(date(2026, 12, 25), 10)
    assert into.date == date(2027, 1, 11)  # 2027-01-01 (元旦) is a statutory holiday whatever the schedule
    assert into.warnings == (PROVISIONAL_2027,)
    assert into.provisional is True
    within = calendar.add_workdays(date(2026, 12, 1), 10)
    assert (within.warnings, within.provisional) == ((), False)


def test_package_alone_never_raises_for_unknown_years() -> None:
    bare = WorkCalendar()
    assert bare.is_workday(date(2027, 1, 4)) is True  # chinesecalendar raises NotImplementedError here
    assert bare.is_workday(date(1999, 10, 1)) is True  # before the package's first year
    assert bare.warning_for(date(1999, 10, 1)) == "no holiday data for 1999: counted Monday–Friday"
    assert bare.coverage(2025) == "package"


def test_shipped_2026_override_matches_the_package(calendar: WorkCalendar) -> None:
    package = WorkCalendar()
    assert calendar.coverage(2026) == "override"
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar.is_workday(day) == package.is_workday(day), day
        day += timedelta(days=1)


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "cal.toml").write_text('version = "t"\n' + text, encoding="utf-8")
    return folder


def test_complete_override_replaces_the_package(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "cal",
        '[years.2026]\ncomplete = true\nsource = "project"\ncite = "test"\n'
        "holidays = [2026-03-03]\nworkdays = [2026-03-07]\n",
    )
    cal = load_calendar(folder)
    assert cal.is_workday(date(2026, 2, 16)) is True  # 春节 is gone: the file alone defines 2026
    assert cal.is_workday(date(2026, 2, 14)) is False
    assert cal.is_workday(date(2026, 3, 3)) is False
    assert cal.is_workday(date(2026, 3, 7)) is True
    assert cal.coverage(2026) == "override"


def test_partial_override_patches_the_package(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "cal",
        '[years.2026]\ncomplete = false\nsource = "project"\ncite = "test"\nworkdays = [2026-02-16]\n',
    )
    cal = load_calendar(folder)
    assert cal.is_workday(date(2026, 2, 16)) is True  # the override wins
    assert cal.is_workday(date(2026, 2, 17)) is False  # the rest of 春节 stays
    assert cal.coverage(2026) == "partial"
    assert cal.warning_for(date(2026, 2, 16)) is None


def test_override_supplies_a_year_the_package_lacks(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "cal",
        '[years.2027]\ncomplete = true\nsource = "official"\ncite = "test"\n'
        "holidays = [[2027-02-08, 2027-02-12]]\nworkdays = [2027-02-06]\n",
    )
    cal = load_calendar(folder)
    result = cal.add_workdays(date(2027, 2, 5), 2)
    assert result.date == date(2027, 2, 15)  # Sat 02-06 make-up, then the week off, then Monday
    assert result.warnings == ()


def test_incomplete_year_without_package_warns(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "cal",
        '[years.2028]\ncomplete = false\nsource = "UNCONFIRMED"\ncite = "test"\nholidays = [2028-01-03]\n',
    )
    cal = load_calendar(folder)
    assert cal.is_workday(date(2028, 1, 3)) is False
    warning = cal.warning_for(date(2028, 1, 3))
    assert warning is not None and "incomplete holiday data for 2028" in warning


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ('[years.2026]\ncomplete = true\nsource = "x"\ncite = "t"\n', 4, "source"),
        (
            '[years.2026]\ncomplete = true\nsource = "project"\ncite = "t"\nholidays = [2025-12-31]\n',
            6,
            "not in 2026",
        ),
        (
            '[years.2026]\ncomplete = true\nsource = "project"\ncite = "t"\n'
            "holidays = [2026-03-03]\nworkdays = [2026-03-03]\n",
            7,
            "both as a holiday and as a workday",
        ),
        ('[years.26]\ncomplete = true\nsource = "project"\ncite = "t"\n', 2, "four digits"),
        ('[years.2026]\ncomplete = "yes"\nsource = "project"\ncite = "t"\n', 3, "true or false"),
        (
            '[years.2026]\ncomplete = true\nsource = "project"\ncite = "t"\nholiday = []\n',
            6,
            "unknown key 'holiday'",
        ),
    ],
)
def test_broken_calendar_file_names_file_and_line(
    tmp_path: Path, body: str, line: int, fragment: str
) -> None:
    folder = _write(tmp_path / "cal", body)
    with pytest.raises(RulesError) as caught:
        load_calendar(folder)
    assert f"cal.toml, line {line}:" in str(caught.value)
    assert fragment in str(caught.value)


def test_missing_calendar_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="calendar folder not found"):
        load_calendar(tmp_path / "nowhere")


def test_error_inside_a_multi_line_list_points_at_the_element(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    folder.mkdir()
    text = (data_dir() / "calendars" / "cn.toml").read_text(encoding="utf-8")
    old = "    2026-09-20,  # Sunday, for 国庆节"
    at = text.index(old)
    (folder / "cn.toml").write_text(text[:at] + "    2026-09-31," + text[at + len(old) :], encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_calendar(folder)
    assert caught.value.line == text[:at].count("\n") + 1
    assert "invalid TOML" in str(caught.value)  # tomllib itself rejects September 31
    (folder / "cn.toml").write_text(text[:at] + "    2025-09-21," + text[at + len(old) :], encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_calendar(folder)
    assert caught.value.line == text[:at].count("\n") + 1
    assert "years.2026.workdays: 2025-09-21 is not in 2026" in str(caught.value)
