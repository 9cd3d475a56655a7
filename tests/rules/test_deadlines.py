"""Running statutory deadlines D1–D4 on the 2026 calendar."""

from __future__ import annotations

from datetime import date
from typing import TypedDict, Unpack

from states import Kind, Stage
from tracker.rules import Deadline, RuleSet, WorkCalendar, running_deadlines


class Dates(TypedDict, total=False):
    """The event dates `running_deadlines` takes, all optional."""

    launch_date: date | None
    change_date: date | None
    termination_date: date | None
    materials_complete_date: date | None
    submitted: date | None


def run(
    rules: RuleSet, calendar: WorkCalendar, kind: Kind, stage: Stage, today: date, **dates: Unpack[Dates]
) -> list[Deadline]:
    return running_deadlines(rules, calendar, kind=kind, stage=stage, today=today, **dates)


def test_d1_runs_in_draft_from_the_launch_date(rules: RuleSet, calendar: WorkCalendar) -> None:
    [d1] = run(rules, calendar, Kind.ALGORITHM, Stage.DRAFT, date(2026, 9, 30), launch_date=date(2026, 9, 24))
    assert d1.id == "D1"
    assert d1.due_date == date(2026, 10, 15)  # ten working days across 中秋 and 国庆
    assert d1.working_days_left == 7  # 10-08, 09, 10 (make-up Saturday), 12, 13, 14, 15
    assert (d1.overdue, d1.due_soon, d1.regulator_sla) == (False, False, False)
    assert d1.trigger == "launch_date"
    assert "第二十四条" in d1.basis
    assert d1.label == "上线后履行备案 (file after service launch)"


def test_d1_due_soon_and_overdue(rules: RuleSet, calendar: WorkCalendar) -> None:
    launch = date(2026, 2, 10)  # due 2026-03-02
    [soon] = run(rules, calendar, Kind.ALGORITHM, Stage.DRAFT, date(2026, 2, 27), launch_date=launch)
    assert (soon.working_days_left, soon.due_soon, soon.overdue) == (2, True, False)
    [late] = run(rules, calendar, Kind.ALGORITHM, Stage.DRAFT, date(2026, 3, 4), launch_date=launch)
    assert (late.working_days_left, late.due_soon, late.overdue) == (-2, False, True)


def test_d1_stops_once_submitted(rules: RuleSet, calendar: WorkCalendar) -> None:
    got = run(
        rules, calendar, Kind.ALGORITHM, Stage.INITIAL_REVIEW, date(2026, 3, 4), launch_date=date(2026, 2, 10)
    )
    assert [d.id for d in got] == []


def test_d1_to_d3_bind_only_public_opinion_services(rules: RuleSet, calendar: WorkCalendar) -> None:
    got = running_deadlines(
        rules,
        calendar,
        kind=Kind.ALGORITHM,
        stage=Stage.DRAFT,
        launch_date=date(2026, 2, 10),
        today=date(2026, 3, 4),
        public_opinion=False,
    )
    assert got == []


def test_d2_and_d3_run_while_approved(rules: RuleSet, calendar: WorkCalendar) -> None:
    got = run(
        rules,
        calendar,
        Kind.ALGORITHM,
        Stage.APPROVED,
        date(2026, 5, 6),
        change_date=date(2026, 4, 30),
        termination_date=date(2026, 4, 30),
        launch_date=date(2025, 1, 1),
    )
    by_id = {d.id: d for d in got}
    assert set(by_id) == {"D2", "D3"}
    assert by_id["D2"].due_date == date(2026, 5, 18)  # 劳动节 5/1–5/5 skipped, 5/9 make-up counted
    assert by_id["D3"].due_date == date(2026, 6, 1)
    assert by_id["D2"].working_days_left == 9  # 5/7, 5/8, 5/9 (make-up), 5/11–5/15, 5/18


def test_d2_stops_once_the_change_is_filed(rules: RuleSet, calendar: WorkCalendar) -> None:
    got = run(
        rules, calendar, Kind.ALGORITHM, Stage.CHANGE_REVIEW, date(2026, 5, 6), change_date=date(2026, 4, 30)
    )
    assert got == []


def test_d4_is_a_regulator_sla_from_complete_materials(rules: RuleSet, calendar: WorkCalendar) -> None:
    [d4] = run(
        rules,
        calendar,
        Kind.ALGORITHM,
        Stage.SECOND_REVIEW,
        date(2026, 4, 1),
        submitted=date(2026, 1, 5),
        materials_complete_date=date(2026, 2, 2),
    )
    assert d4.regulator_sla is True
    assert d4.trigger == "materials_complete_date"
    assert d4.due_date == date(2026, 3, 20)  # 30 working days: 春节 skipped, both make-up Saturdays counted


def test_d4_falls_back_to_the_submission_date(rules: RuleSet, calendar: WorkCalendar) -> None:
    [d4] = run(
        rules, calendar, Kind.ALGORITHM, Stage.FINAL_REVIEW, date(2026, 4, 1), submitted=date(2026, 1, 5)
    )
    assert d4.trigger == "submitted"
    assert d4.overdue is True


def test_no_d4_outside_review_or_for_entities(rules: RuleSet, calendar: WorkCalendar) -> None:
    assert (
        run(rules, calendar, Kind.ALGORITHM, Stage.RETURNED, date(2026, 4, 1), submitted=date(2026, 1, 5))
        == []
    )
    assert (
        run(rules, calendar, Kind.ENTITY, Stage.UNDER_REVIEW, date(2026, 4, 1), submitted=date(2026, 1, 5))
        == []
    )


def test_deadline_in_an_unpublished_year_is_provisional(rules: RuleSet, calendar: WorkCalendar) -> None:
    [d1] = run(
        rules, calendar, Kind.ALGORITHM, Stage.DRAFT, date(2026, 12, 28), launch_date=date(2026, 12, 24)
    )
    assert d1.due_date == date(2027, 1, 8)  # 元旦 2027-01-01 skipped
    assert d1.warnings == (
        "provisional: 2027 调休 not yet published; counted with the statutory holidays only",
    )
    assert d1.provisional is True


def test_due_soon_threshold_can_be_overridden(rules: RuleSet, calendar: WorkCalendar) -> None:
    [d1] = running_deadlines(
        rules,
        calendar,
        kind=Kind.ALGORITHM,
        stage=Stage.DRAFT,
        launch_date=date(2026, 9, 24),
        today=date(2026, 9, 30),
        due_soon_days=7,
    )
    assert d1.due_soon is True
