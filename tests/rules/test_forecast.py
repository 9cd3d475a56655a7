"""Forecasts from synthetic histories with known medians, and from the built-in priors."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from states import Kind, Stage
from tracker.rules import Forecast, RuleSet, StageSample, WorkCalendar, forecast

MONDAY = date(2026, 3, 2)


def run(
    rules: RuleSet,
    calendar: WorkCalendar,
    kind: Kind,
    stage: Stage,
    samples: list[StageSample],
    *,
    entered: date = MONDAY,
    today: date = MONDAY,
    offline_check: bool | None = None,
    returned_from: Stage | None = None,
) -> Forecast:
    return forecast(
        rules,
        calendar,
        kind=kind,
        current_stage=stage,
        entered_current_at=entered,
        today=today,
        samples=samples,
        offline_check=offline_check,
        returned_from=returned_from,
    )


def visits(kind: Kind, stage: Stage, days: list[float], first_id: int = 1) -> list[StageSample]:
    return [StageSample(kind, stage, d, first_id + i) for i, d in enumerate(days)]


def test_entity_from_history_has_the_known_median(rules: RuleSet, calendar: WorkCalendar) -> None:
    history = visits(Kind.ENTITY, Stage.UNDER_REVIEW, [5, 6, 7, 8, 9])
    result = run(rules, calendar, Kind.ENTITY, Stage.UNDER_REVIEW, history)
    assert result.median_days == 7
    assert result.p80_days == pytest.approx(8.2)
    assert result.median_date == calendar.add_workdays(MONDAY, 7).date == date(2026, 3, 11)
    assert result.p80_date == calendar.add_workdays(MONDAY, 9).date
    assert result.basis == "from 5 filings in this database"
    assert result.target == Stage.APPROVED


def test_thin_history_uses_the_prior(rules: RuleSet, calendar: WorkCalendar) -> None:
    history = visits(Kind.ENTITY, Stage.UNDER_REVIEW, [1, 1, 1, 1])  # one short of history_min_samples
    result = run(rules, calendar, Kind.ENTITY, Stage.UNDER_REVIEW, history)
    prior = rules.prior(Kind.ENTITY, Stage.UNDER_REVIEW)
    assert prior is not None
    assert (result.median_days, result.p80_days) == (prior.median, prior.p80)
    assert result.basis == "from published typical durations"
    assert result.stages[0].basis == "prior"
    assert result.stages[0].samples == 4


def test_time_already_spent_is_taken_off(rules: RuleSet, calendar: WorkCalendar) -> None:
    history = visits(Kind.ENTITY, Stage.UNDER_REVIEW, [10, 10, 10, 10, 10])
    entered = date(2026, 2, 24)  # four working days before Monday 3/2: 2/25, 2/26, 2/27, 2/28 (make-up)
    result = run(rules, calendar, Kind.ENTITY, Stage.UNDER_REVIEW, history, entered=entered)
    assert result.stages[0].elapsed_days == 5  # …and Monday itself
    assert result.median_days == 5


def test_stage_longer_than_all_history_falls_back_with_a_warning(
    rules: RuleSet, calendar: WorkCalendar
) -> None:
    history = visits(Kind.ENTITY, Stage.UNDER_REVIEW, [2, 2, 2, 2, 2])
    result = run(rules, calendar, Kind.ENTITY, Stage.UNDER_REVIEW, history, entered=date(2026, 2, 2))
    assert result.stages[0].basis == "prior"
    assert any("longer than every recorded visit" in w for w in result.warnings)
    assert result.median_days is not None and result.median_days > 0


def algorithm_history() -> list[StageSample]:
    return [
        *visits(Kind.ALGORITHM, Stage.INITIAL_REVIEW, [10] * 6, 1),
        *visits(Kind.ALGORITHM, Stage.SECOND_REVIEW, [20] * 6, 1),
        *visits(Kind.ALGORITHM, Stage.OFFLINE_CHECK, [15] * 6, 1),
        *visits(Kind.ALGORITHM, Stage.FINAL_REVIEW, [5] * 6, 1),
        *visits(Kind.ALGORITHM, Stage.RETURNED, [8, 8, 12, 12, 20], 20),
        *visits(Kind.ENTITY, Stage.UNDER_REVIEW, [99] * 6, 50),  # another kind: ignored
    ]


def test_known_offline_check_adds_up_exactly(rules: RuleSet, calendar: WorkCalendar) -> None:
    history = algorithm_history()
    with_check = run(rules, calendar, Kind.ALGORITHM, Stage.INITIAL_REVIEW, history, offline_check=True)
    without = run(rules, calendar, Kind.ALGORITHM, Stage.INITIAL_REVIEW, history, offline_check=False)
    assert (with_check.median_days, with_check.p80_days) == (50, 50)
    assert (without.median_days, without.p80_days) == (35, 35)
    assert [s.stage for s in without.stages] == [
        Stage.INITIAL_REVIEW,
        Stage.SECOND_REVIEW,
        Stage.FINAL_REVIEW,
    ]
    assert with_check.basis == "from 6 filings in this database"
    assert with_check.median_date == calendar.add_workdays(MONDAY, 50).date


def test_unknown_offline_check_enters_with_its_rate(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.ALGORITHM, Stage.SECOND_REVIEW, algorithm_history())
    assert result.median_days == pytest.approx(25 + rules.offline_check_rate * 15)
    assert result.p80_days is not None and result.median_days is not None
    assert result.p80_days > result.median_days
    offline = [s for s in result.stages if s.stage == Stage.OFFLINE_CHECK]
    assert offline[0].probability == rules.offline_check_rate


def test_in_offline_check_it_is_certain(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.ALGORITHM, Stage.OFFLINE_CHECK, algorithm_history())
    assert result.median_days == 20


def test_returns_are_reported_separately(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.ALGORITHM, Stage.FINAL_REVIEW, algorithm_history())
    assert result.median_days == 5  # a return is not assumed
    assert result.per_return is not None
    assert result.per_return.median_days == 12
    assert result.per_return.basis == "history"


def test_return_cost_prior_is_at_least_seven_working_days(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.ALGORITHM, Stage.FINAL_REVIEW, [])
    assert result.per_return is not None and result.per_return.basis == "prior"
    assert result.per_return.median_days >= 7


def test_returned_filing_re_enters_where_it_was_returned(rules: RuleSet, calendar: WorkCalendar) -> None:
    history = algorithm_history()
    result = run(
        rules,
        calendar,
        Kind.ALGORITHM,
        Stage.RETURNED,
        history,
        returned_from=Stage.FINAL_REVIEW,
        offline_check=False,
    )
    assert [s.stage for s in result.stages] == [Stage.RETURNED, Stage.FINAL_REVIEW]
    assert result.median_days == 12 + 5


def test_returned_filing_restarts_when_the_rules_say_so(rules: RuleSet, calendar: WorkCalendar) -> None:
    restart = dataclasses.replace(rules, resubmit_reenters="initial_review")
    result = run(
        restart,
        calendar,
        Kind.ALGORITHM,
        Stage.RETURNED,
        algorithm_history(),
        returned_from=Stage.FINAL_REVIEW,
        offline_check=False,
    )
    assert [s.stage for s in result.stages] == [
        Stage.RETURNED,
        Stage.INITIAL_REVIEW,
        Stage.SECOND_REVIEW,
        Stage.FINAL_REVIEW,
    ]


def test_mixed_basis_names_both_sources(rules: RuleSet, calendar: WorkCalendar) -> None:
    history = visits(Kind.ALGORITHM, Stage.INITIAL_REVIEW, [10] * 23)
    result = run(rules, calendar, Kind.ALGORITHM, Stage.INITIAL_REVIEW, history)
    assert result.basis.startswith(
        "from 23 filings in this database (initial review) and published typical durations"
    )
    assert "final review" in result.basis


def test_draft_assumes_submission_today(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.GENAI_REGISTRATION, Stage.DRAFT, [])
    assert [s.stage for s in result.stages] == [Stage.PROVINCIAL_REVIEW]
    assert any("assumes submission today" in w for w in result.warnings)


def test_genai_filing_prior_is_months_long(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.GENAI_FILING, Stage.PROVINCIAL_REVIEW, [])
    assert result.median_days is not None and 60 <= result.median_days <= 170  # 3–8 months of working days
    assert result.p80_date is not None and result.median_date is not None
    assert result.p80_date > result.median_date


def test_forecast_into_2027_says_it_is_provisional(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(
        rules,
        calendar,
        Kind.ALGORITHM,
        Stage.INITIAL_REVIEW,
        [],
        entered=date(2026, 11, 2),
        today=date(2026, 11, 30),
    )
    assert (
        "provisional: 2027 调休 not yet published; counted with the statutory holidays only"
        in result.warnings
    )


@pytest.mark.parametrize("stage", [Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN])
def test_no_forecast_for_settled_filings(rules: RuleSet, calendar: WorkCalendar, stage: Stage) -> None:
    result = run(rules, calendar, Kind.ALGORITHM, stage, [])
    assert result.median_date is None and result.p80_date is None
    assert result.warnings and result.warnings[0].startswith("no forecast")


def test_change_review_forecasts_return_to_approved(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(rules, calendar, Kind.ALGORITHM, Stage.CHANGE_REVIEW, [])
    assert result.target == Stage.APPROVED
    assert [s.stage for s in result.stages] == [Stage.CHANGE_REVIEW]


def test_returned_from_offline_check_re_enters_it_for_certain(rules: RuleSet, calendar: WorkCalendar) -> None:
    result = run(
        rules,
        calendar,
        Kind.ALGORITHM,
        Stage.RETURNED,
        algorithm_history(),
        returned_from=Stage.OFFLINE_CHECK,
    )
    assert [(s.stage, s.probability) for s in result.stages] == [
        (Stage.RETURNED, 1.0),
        (Stage.OFFLINE_CHECK, 1.0),
        (Stage.FINAL_REVIEW, 1.0),
    ]
    assert result.median_days == 12 + 15 + 5
