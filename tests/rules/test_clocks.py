"""The regulator's clock (Art. 25): it runs under review, stops on a return, restarts on resubmission; working
days with the regulator, with the filer and lost to returns add up to the elapsed working days.

Dates are 2026 Beijing days around 中秋 and National Day: 9-20 (Sunday) and 10-10 (Saturday) are 调休 make-up
working days, 9-25 (Friday, 中秋) and 10-01 to 10-07 are holidays. The service clock stands on Monday 2026-11-02, 09:00 Beijing.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from states import Kind
from tests.helpers.clock import FakeClock
from tests.helpers.filings import algorithm, approved_org, at, returned_twice
from tracker.config import Settings
from tracker.domain import FilingQuery
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.rules.calendar import WorkCalendar
from tracker.rules.clocks import ClockRule, Step, compute_clock


def test_a_filing_returned_twice_splits_its_time_between_regulator_filer_and_returns(
    service: FilingService,
) -> None:
    ref = returned_twice(service)
    clock = service.rules.regulator_clock(ref)
    # 09-14 → 11-02: 12 working days in September (the make-up Sunday 09-20 counts, 中秋 09-25 does not), 18 in
    # October (National Day skipped, the make-up Saturday 10-10 counted) and 11-02 itself
    assert clock.elapsed_working_days == 31
    assert clock.filer_working_days == 6 + 5  # 09-28 → 10-12 over National Day, 10-19 → 10-26
    assert clock.returns_working_days == 6 + 4 + 5  # review days voided by the two restarts
    assert clock.regulator_working_days == 5  # restarted on 10-26
    assert (
        clock.regulator_working_days + clock.filer_working_days + clock.returns_working_days
        == clock.elapsed_working_days
    )
    assert clock.state == "running" and clock.why is None
    assert clock.restarts == 2 and clock.limit == 30 and clock.working_days_left == 25
    assert clock.started == date(2026, 9, 14) and clock.ended is None
    assert "三十个工作日" in clock.basis and "restarts from zero" in clock.basis


def test_a_return_stops_the_clock_and_says_why(service: FilingService, clock: FakeClock) -> None:
    approved_org(service)
    ref = algorithm(service)
    service.advance(ref, "submit", at=at("2026-09-28"))
    service.advance(ref, "return_for_revision", reason="材料不全", at=at("2026-09-30"))
    stopped = service.rules.regulator_clock(ref)
    assert stopped.state == "stopped"
    assert stopped.stopped_since == date(2026, 9, 30)
    assert stopped.why is not None and "退回修改" in stopped.why and "材料不全" in stopped.why
    assert "2026-09-30" in stopped.why
    assert stopped.regulator_working_days == 2  # 09-29, 09-30
    assert stopped.filer_working_days == 19  # 10-08, 10-09, 10-10 (调休), three weeks and 11-02
    clock.tick(days=7)  # time with the filer grows, the regulator's does not
    later = service.rules.regulator_clock(ref)
    assert later.regulator_working_days == 2 and later.filer_working_days == 24


def test_the_clock_is_met_by_a_decision_within_30_working_days_and_breached_after(
    service: FilingService,
) -> None:
    approved_org(service)
    quick = algorithm(service, "快速")
    service.advance(quick, "submit", at=at("2026-09-14"))
    for event in ("pass_review", "pass_review"):
        service.advance(quick, event, at=at("2026-09-21"))
    service.advance(quick, "approve", filing_number="网信算备110108555010101260041号", at=at("2026-10-12"))
    met = service.rules.regulator_clock(quick)
    assert met.state == "met" and met.ended == date(2026, 10, 12)
    assert met.regulator_working_days == met.elapsed_working_days == 12 + 4  # frozen at the decision

    slow = algorithm(service, "慢速")
    service.advance(slow, "submit", at=at("2026-09-14"))
    late = service.rules.regulator_clock(slow)
    assert late.state == "breached" and late.regulator_working_days == 31
    assert late.working_days_left == -1
    assert late.why is not None and "overdue" in late.why


def test_a_draft_has_no_clock(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service)
    clock = service.rules.regulator_clock(ref)
    assert clock.state is None and clock.elapsed_working_days == 0
    assert ref not in {c.ref for c in service.rules.regulator_clocks().values()}


def test_resuming_instead_of_restarting_is_a_rules_setting_and_recomputes_every_clock(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    from tracker.locations import data_dir

    rules = tmp_path / "rules"
    shutil.copytree(data_dir() / "rules", rules)
    settings = rules / "settings.toml"
    settings.write_text(settings.read_text().replace('value = "restart"', 'value = "resume"'))
    store = open_store(db_url)
    try:
        restart = FilingService(store, Settings(), clock=clock)
        ref = returned_twice(restart)
        resume = FilingService(store, Settings(rules_dir=rules), clock=clock)
        resumed = resume.rules.regulator_clock(ref)
        assert resumed.policy == "resume" and "resumes" in resumed.basis
        assert resumed.regulator_working_days == 6 + 4 + 5 + 5
        assert resumed.returns_working_days == 0 and resumed.filer_working_days == 11
        assert resumed.elapsed_working_days == 31
        assert restart.rules.regulator_clock(ref).regulator_working_days == 5
    finally:
        store.dispose()


def test_clocks_in_bulk_equal_clocks_one_by_one(service: FilingService) -> None:
    ref = returned_twice(service)
    other = algorithm(service, "另一个")
    service.advance(other, "submit", at=at("2026-10-08"))
    bulk = service.rules.regulator_clocks()
    assert {c.ref for c in bulk.values()} >= {ref, other}
    for fid, c in bulk.items():
        assert service.rules.regulator_clock(fid) == c
    assert service.rules.regulator_clocks([bulk_id for bulk_id in bulk][:1]) == {
        next(iter(bulk)): next(iter(bulk.values()))
    }


def test_editing_the_calendar_recomputes_the_clock() -> None:
    steps = (
        Step("submit", "draft", "initial_review", date(2026, 9, 28)),
        Step("return_for_revision", "initial_review", "returned", date(2026, 10, 12), "材料不全"),
    )
    rule = ClockRule(30, "restart", "")

    def clock_on(calendar: WorkCalendar) -> tuple[int, int]:
        c = compute_clock(
            1,
            "ALG-0001",
            Kind.ALGORITHM.value,
            steps,
            count=lambda a, b: calendar.workdays_between(a, b).days,
            today=date(2026, 10, 19),
            rule=rule,
        )
        return c.regulator_working_days, c.filer_working_days

    assert clock_on(WorkCalendar(use_package=True)) == (6, 5)  # National Day and the 10-10 make-up Saturday
    assert clock_on(WorkCalendar(use_package=False)) == (10, 5)  # Monday to Friday only


@pytest.mark.parametrize("policy", ["restart", "resume"])
def test_parts_always_add_up(policy: str) -> None:
    calendar = WorkCalendar()
    steps = (
        Step("submit", "draft", "initial_review", date(2026, 1, 5)),
        Step("return_for_revision", "initial_review", "returned", date(2026, 2, 10), "a"),
        Step("resubmit", "returned", "initial_review", date(2026, 2, 27)),
        Step("pass_review", "initial_review", "second_review", date(2026, 3, 2)),
        Step("return_for_revision", "second_review", "returned", date(2026, 4, 30), "b"),
        Step("resubmit", "returned", "second_review", date(2026, 5, 11)),
        Step("reject", "second_review", "rejected", date(2026, 6, 1), "c"),
    )
    c = compute_clock(
        1,
        "ALG-0001",
        "algorithm",
        steps,
        count=lambda a, b: calendar.workdays_between(a, b).days,
        today=date(2026, 11, 2),
        rule=ClockRule(30, policy, ""),  # type: ignore[arg-type]
    )
    assert c.state in ("met", "breached") and c.ended == date(2026, 6, 1)
    assert c.elapsed_working_days == calendar.workdays_between(date(2026, 1, 5), date(2026, 6, 1)).days
    assert c.regulator_working_days + c.filer_working_days + c.returns_working_days == c.elapsed_working_days


def test_a_clock_running_into_an_unpublished_year_is_provisional(
    service: FilingService, clock: FakeClock
) -> None:
    approved_org(service)
    ref = algorithm(service)
    clock.now = at("2027-01-15")
    service.advance(ref, "submit", at=at("2026-12-25"))
    c = service.rules.regulator_clock(ref)
    assert c.provisional and any("2027" in w for w in c.warnings)
    # 12-28 … 12-31 (4), 2027-01-04 … 01-08 (5; 01-01 is 元旦, a statutory holiday), 01-11 … 01-15 (5)
    assert c.regulator_working_days == 14


@pytest.mark.parametrize("policy", ["restart", "resume"])
def test_show_due_and_dates_agree_on_the_regulators_d4_in_both_modes(
    service: FilingService,
    beian: Any,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
) -> None:
    """A filing returned twice: `show --json`'s clock, `due`'s D4 and `dates`' D4 give one due date and one
    count of working days left, whether a resubmission restarts the clock or resumes it."""
    import tracker.factory
    from tracker.locations import data_dir

    rules = tmp_path / "rules"
    shutil.copytree(data_dir() / "rules", rules)
    settings = rules / "settings.toml"
    settings.write_text(settings.read_text().replace('value = "restart"', f'value = "{policy}"'))
    monkeypatch.setenv("BEIAN_RULES_DIR", str(rules))
    opened = tracker.factory.open_service
    monkeypatch.setattr(  # the CLI on the test's clock (Monday 2026-11-02, a working day)
        tracker.factory, "open_service", lambda *a, **k: opened(*a, **{**k, "clock": clock})
    )
    ref = returned_twice(service)

    shown = beian("show", ref, "--json").json()
    [due] = [d for d in beian("due", "--json").json()["deadlines"] if d["ref"] == ref and d["regulator_sla"]]
    [dated] = [d for d in beian("dates", ref, "--json").json()["deadlines"] if d["regulator_sla"]]
    assert shown["regulator_clock_on_resubmit"] == policy
    assert shown["regulator_clock"] == "running"
    left = {"restart": 25, "resume": 10}[policy]  # 5 days since 10-26, or 6 + 4 + 5 carried over as well
    assert shown["regulator_clock_left"] == due["working_days_left"] == dated["working_days_left"] == left
    assert due["due_date"] == dated["due_date"] == {"restart": "2026-12-07", "resume": "2026-11-16"}[policy]
    # the stored next due date that orders the dashboard is the same day
    [first] = FilingService(service.store, Settings(rules_dir=rules), clock=clock).filings(
        FilingQuery(sort="deadline", limit=1)
    )
    assert first.ref == ref
    with service.store.engine.connect() as conn:
        stored = conn.execute(text("SELECT next_due FROM filing WHERE ref = :r"), {"r": ref}).scalar_one()
    assert str(stored)[:10] == due["due_date"]
