"""The rules applied to stored filings: materials block submission, deadlines run in working days, forecasts learn.

The clock starts on Monday 2026-11-02, 09:00 in Beijing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from states import Event, Kind, Stage
from tests.helpers.clock import FakeClock
from tracker.config import Settings
from tracker.domain import FilingDraft
from tracker.errors import TransitionRefused, UsageError
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.rules import WorkCalendar

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
UPSTREAM = "网信算备110108555010101260013号"
NUMBER = "网信算备110108555010101260041号"
MONDAY = date(2026, 11, 2)


def approved_org(service: FilingService) -> None:
    service.add_organisation(ORG, CODE, "110108")
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    service.rules.mark_all_provided(entity.ref, actor="test")
    service.advance(entity.ref, "submit")
    service.advance(entity.ref, "approve")


def algorithm(service: FilingService, title: str = "星河写作助手", *, ticked: bool = True, **kw: Any) -> str:
    ref = service.add_filing(FilingDraft(organisation=ORG, title=title, **kw)).ref
    if ticked:
        service.rules.mark_all_provided(ref, actor="test")
    return ref


def submit_refusal(service: FilingService, ref: str) -> tuple[str, ...]:
    [outcome] = [o for o in service.events(ref) if o.event in (Event.SUBMIT, Event.RESUBMIT)]
    return outcome.refusals


# -- materials -------------------------------------------------------------------------------------


def test_third_party_filing_lists_what_blocks_submission_until_ticked(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service, ticked=False, upstream_model="通用大模型 API", upstream_filing_number=UPSTREAM)
    [refusal] = submit_refusal(service, ref)
    assert refusal.startswith("materials missing (缺少材料): ")
    assert (
        "《算法安全自评估报告》 (algorithm security self-assessment report) [algo.self_assessment]" in refusal
    )
    assert "[third_party.cooperation_agreement]" in refusal
    assert "third_party.upstream_genai_number" not in refusal  # recommended, never blocking
    items = service.rules.materials(ref)
    missing = [m.key for m in items if m.mandatory and not m.provided]
    assert missing and all(f"[{key}]" in refusal for key in missing)
    with pytest.raises(TransitionRefused, match="缺少材料"):
        service.advance(ref, "submit")

    for key in missing:
        status = service.rules.mark(ref, key, actor="alice", path=f"/docs/{key}.pdf")
        assert status.provided and status.checked_by == "alice" and status.path == f"/docs/{key}.pdf"
    assert submit_refusal(service, ref) == ()
    upstream = next(m for m in service.rules.materials(ref) if m.key == "third_party.upstream_filing_number")
    assert upstream.note == UPSTREAM  # the filing's own upstream number, validated
    assert service.advance(ref, "submit").filing.stage is Stage.INITIAL_REVIEW


def test_items_are_named_by_key_chinese_or_english(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service, ticked=False)
    assert service.rules.mark(ref, "《算法安全自评估报告》").key == "algo.self_assessment"
    assert service.rules.mark(ref, "content for public disclosure").key == "algo.public_disclosure"
    assert service.rules.mark(ref, "算法基础属性信息").key == "algo.basic_attributes"
    with pytest.raises(UsageError, match="no material"):
        service.rules.mark(ref, "营业执照扫描件 of the moon")
    with pytest.raises(UsageError, match="not on the checklist"):
        service.rules.mark(ref, "entity.business_licence")


def test_a_number_item_validates_its_number(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service, ticked=False, upstream_model="某大模型")  # no upstream number recorded
    with pytest.raises(UsageError, match="--note"):
        service.rules.mark(ref, "third_party.upstream_filing_number")
    with pytest.raises(UsageError, match="网信算备"):
        service.rules.mark(ref, "third_party.upstream_filing_number", note="网信算备123号")
    done = service.rules.mark(
        ref, "third_party.upstream_filing_number", note="网信算备 330110555040401250033 号"
    )
    assert done.note == "网信算备330110555040401250033号"
    with pytest.raises(UsageError, match="Region-ModelName"):
        service.rules.mark(ref, "third_party.upstream_genai_number", note="通义千问")
    genai = service.rules.mark(
        ref, "third_party.upstream_genai_number", note="ZheJiang-TongYiQianWen-20230901"
    )
    assert genai.provided and genai.note == "ZheJiang-TongYiQianWen-20230901"
    # without a number, the bulk tick leaves the recommended number item open and ticks the rest
    other = algorithm(service, "另一个", ticked=False, upstream_model="某大模型")
    service.rules.mark_all_provided(other)
    assert [m.key for m in service.rules.materials(other) if not m.provided] == [
        "third_party.upstream_filing_number",
        "third_party.upstream_genai_number",
    ]


def test_undo_blocks_submission_again_and_every_write_bumps_the_revision(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service)
    before = service.revision()
    service.rules.mark(ref, "algo.model_and_data", done=False, actor="bob")
    assert service.revision() == before + 1
    [refusal] = submit_refusal(service, ref)
    assert refusal.endswith("[algo.model_and_data]")
    status = next(m for m in service.rules.materials(ref) if m.key == "algo.model_and_data")
    assert (status.provided, status.checked_by) == (False, "bob")
    service.rules.mark(ref, "algo.model_and_data")
    assert service.revision() == before + 2
    assert service.rules.mark_all_provided(ref) == 0 and service.revision() == before + 2


def test_entity_filings_have_a_checklist_too(service: FilingService) -> None:
    service.add_organisation(ORG, CODE)
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY)).ref
    with pytest.raises(TransitionRefused, match=r"\[entity.business_licence\]") as refused:
        service.advance(entity, "submit")
    assert "entity.icp_proof" not in str(refused.value)  # recommended only
    service.rules.mark_all_provided(entity)
    assert service.advance(entity, "submit").filing.stage is Stage.UNDER_REVIEW


@pytest.mark.parametrize(
    ("kind", "first", "count"),
    [(Kind.GENAI_FILING, "genai.filing_form", 7), (Kind.GENAI_REGISTRATION, "reg.form", 7)],
)
def test_generative_ai_tracks_have_their_own_checklists(
    service: FilingService, kind: Kind, first: str, count: int
) -> None:
    service.add_organisation(ORG, CODE)
    ref = service.add_filing(FilingDraft(organisation=ORG, title="大模型", kind=kind)).ref
    items = service.rules.materials(ref)
    assert first in [m.key for m in items]
    assert sum(m.mandatory for m in items) == count + 1  # plus the complaint entry (G5)
    assert any(m.key == "common.complaint_entry" for m in items)
    with pytest.raises(TransitionRefused, match=rf"\[{first}\]"):
        service.advance(ref, "submit")
    service.rules.mark_all_provided(ref)
    assert service.advance(ref, "submit").filing.stage is Stage.PROVINCIAL_REVIEW


def test_a_return_reopens_the_items_to_fix(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service)
    service.advance(ref, "submit")
    service.advance(ref, "pass_review")
    with pytest.raises(UsageError, match="return_for_revision"):
        service.advance(ref, "pass_review", reopen=("algo.self_assessment",))
    assert service.filing(ref).stage is Stage.SECOND_REVIEW  # nothing was committed
    with pytest.raises(UsageError, match="no material"):
        service.advance(ref, "return_for_revision", reason="x", reopen=("nonsense",))
    assert service.filing(ref).stage is Stage.SECOND_REVIEW
    service.advance(
        ref,
        "return_for_revision",
        reason="自评估报告与功能描述不一致",
        reopen=("algo.self_assessment", "拟公示内容"),
    )
    reopened = {m.key: m for m in service.rules.materials(ref) if m.reopened}
    assert set(reopened) == {"algo.self_assessment", "algo.public_disclosure"}
    assert all(not m.provided and m.reopened == 1 for m in reopened.values())
    [refusal] = submit_refusal(service, ref)
    assert "[algo.self_assessment]" in refusal and "[algo.public_disclosure]" in refusal
    service.rules.mark_all_provided(ref)
    assert service.advance(ref, "resubmit").filing.stage is Stage.SECOND_REVIEW


def test_resubmission_policy_comes_from_the_rules(db_url: str, clock: FakeClock, rules_copy: Path) -> None:
    settings_file = rules_copy / "settings.toml"
    text = settings_file.read_text(encoding="utf-8").replace(
        'value = "returned_from"', 'value = "initial_review"'
    )
    settings_file.write_text(text, encoding="utf-8")
    store = open_store(db_url)
    try:
        service = FilingService(store, Settings(rules_dir=rules_copy), clock=clock)
        approved_org(service)
        ref = algorithm(service)
        for event in ("submit", "pass_review"):
            service.advance(ref, event)
        service.advance(ref, "return_for_revision", reason="重新初审")
        assert service.advance(ref, "resubmit").filing.stage is Stage.INITIAL_REVIEW
    finally:
        store.dispose()


# -- deadlines -------------------------------------------------------------------------------------


def test_launch_date_starts_d1_in_working_days(service: FilingService, clock: FakeClock) -> None:
    approved_org(service)
    ref = algorithm(service, launch_date=date(2026, 10, 26))
    [d1] = service.rules.deadlines(ref)
    assert (d1.id, d1.trigger, d1.due_date, d1.working_days_left) == (
        "D1",
        "launch_date",
        date(2026, 11, 9),
        5,
    )
    assert d1.due_soon and not d1.overdue and not d1.regulator_sla and d1.warnings == ()
    filing_id = service.filing(ref).id
    assert service.rules.due_soon_filing_ids() == {filing_id}
    assert service.rules.overdue_filing_ids() == set()
    clock.tick(days=8)  # Tuesday 2026-11-10: one working day late
    [late] = service.rules.deadlines(ref)
    assert (late.working_days_left, late.overdue, late.due_soon) == (-1, True, False)
    assert service.rules.overdue_filing_ids() == {filing_id}
    service.update_filing(ref, public_opinion=False)  # D1–D3 bind only services with 舆论属性
    assert service.rules.deadlines(ref) == []
    assert service.rules.overdue_filing_ids() == set()


def test_d4_runs_from_submission_or_from_late_completed_materials(
    service: FilingService, clock: FakeClock, calendar: WorkCalendar
) -> None:
    approved_org(service)
    ref = algorithm(service, launch_date=date(2026, 10, 26))
    service.advance(ref, "submit")
    [d4] = service.rules.deadlines(ref)  # D1 is met by the submission
    assert (d4.id, d4.trigger, d4.trigger_date, d4.working_days_left) == ("D4", "submitted", MONDAY, 30)
    assert d4.regulator_sla and d4.due_date == calendar.add_workdays(MONDAY, 30).date
    service.rules.mark(ref, "algo.strategy_and_risks", done=False)
    assert service.rules.deadlines(ref)[0].trigger == "submitted"  # incomplete: still counted from submission
    clock.tick(days=3)
    service.rules.mark(ref, "algo.strategy_and_risks")
    [late] = service.rules.deadlines(ref)
    assert (late.trigger, late.trigger_date, late.working_days_left) == (
        "materials_complete_date",
        date(2026, 11, 5),
        30,
    )


def test_a_change_request_discharges_d2(service: FilingService, clock: FakeClock) -> None:
    approved_org(service)
    ref = algorithm(service)
    for event in ("submit", "pass_review", "pass_review"):
        service.advance(ref, event)
    service.advance(ref, "approve", filing_number=NUMBER)
    assert service.rules.deadlines(ref) == []
    service.update_filing(ref, change_date=date(2026, 10, 30))
    [d2] = service.rules.deadlines(ref)
    assert (d2.id, d2.trigger, d2.due_date) == ("D2", "change_date", date(2026, 11, 13))
    service.advance(ref, "request_change")
    service.advance(ref, "approve_change")
    assert service.rules.deadlines(ref) == []  # the change was filed after it happened
    clock.tick(days=2)
    service.update_filing(ref, change_date=date(2026, 11, 4))  # a second change, not filed yet
    assert [d.id for d in service.rules.deadlines(ref)] == ["D2"]


def test_due_sorts_filters_and_pages(service: FilingService, clock: FakeClock) -> None:
    approved_org(service)
    launched = algorithm(service, "已上线", launch_date=date(2026, 10, 26))
    submitted = algorithm(service, "已提交")
    service.advance(submitted, "submit")
    quiet = algorithm(service, "未上线")
    assert [(f.ref, d.id) for f, d in service.rules.due()] == [(launched, "D1"), (submitted, "D4")]
    assert [f.ref for f, _ in service.rules.due(10)] == [launched]
    assert [f.ref for f, _ in service.rules.due(regulator=False)] == [launched]
    ids = {service.filing(r).id: r for r in (launched, submitted, quiet)}
    nearest = service.rules.next_deadlines(list(ids))
    assert {ids[i]: d.id for i, d in nearest.items()} == {launched: "D1", submitted: "D4"}
    clock.tick(days=30)
    first, second = service.rules.due()
    assert first[1].overdue and first[1].working_days_left < second[1].working_days_left
    assert service.rules.overdue_filing_ids(regulator=False) == {service.filing(launched).id}


def test_a_year_without_a_published_schedule_is_flagged(service: FilingService, clock: FakeClock) -> None:
    clock.now = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)
    approved_org(service)
    ref = algorithm(service, launch_date=date(2026, 12, 24))
    [d1] = service.rules.deadlines(ref)
    assert d1.due_date == date(2027, 1, 8)  # 元旦 skipped: a statutory holiday whatever the schedule
    assert d1.provisional is True
    assert any("2027 调休 not yet published" in w for w in d1.warnings)


# -- forecasts -------------------------------------------------------------------------------------


def test_forecast_learns_stage_durations_from_history(
    service: FilingService, clock: FakeClock, calendar: WorkCalendar
) -> None:
    approved_org(service)
    start = date(2026, 10, 12)
    at = datetime(2026, 10, 12, 1, 30, tzinfo=UTC)
    for i, days in enumerate((5, 6, 7, 8, 9)):
        ref = algorithm(service, f"历史{i}")
        service.advance(ref, "submit", at=at)
        passed = calendar.add_workdays(start, days).date
        service.advance(ref, "pass_review", at=datetime.combine(passed, at.timetz()))
    samples = service.rules.stage_samples()[Kind.ALGORITHM]
    assert sorted(s.working_days for s in samples if s.stage is Stage.INITIAL_REVIEW) == [5, 6, 7, 8, 9]

    fresh = algorithm(service, "新的")
    draft = service.rules.forecast(fresh)
    assert draft.target is Stage.APPROVED and any("not submitted yet" in w for w in draft.warnings)
    service.advance(fresh, "submit")
    view = service.rules.forecast(fresh)
    first = view.stages[0]
    assert (first.stage, first.basis, first.samples, first.median_days) == (
        Stage.INITIAL_REVIEW,
        "history",
        5,
        7,
    )
    assert first.p80_days == pytest.approx(8.2)
    assert view.basis.startswith("from 5 filings in this database")
    assert "published typical durations" in view.basis  # later stages still from the priors
    assert view.median_date is not None and view.p80_date is not None and view.median_date <= view.p80_date
    assert view.rules_version == "2026.11" and view.per_return is not None

    clock.tick(days=1)
    service.advance(fresh, "pass_review")  # a sixth finished visit: the cached history must notice
    assert (
        len([s for s in service.rules.stage_samples()[Kind.ALGORITHM] if s.stage is Stage.INITIAL_REVIEW])
        == 6
    )


def test_forecast_without_history_uses_the_priors(service: FilingService, calendar: WorkCalendar) -> None:
    service.add_organisation(ORG, CODE)
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY)).ref
    service.rules.mark_all_provided(entity)
    service.advance(entity, "submit")
    view = service.rules.forecast(entity)
    assert view.basis == "from published typical durations"
    assert [(s.stage, s.basis, s.median_days) for s in view.stages] == [(Stage.UNDER_REVIEW, "prior", 7)]
    assert view.median_date == calendar.add_workdays(MONDAY, 7).date
    service.advance(entity, "approve")
    done = service.rules.forecast(entity)
    assert done.median_date is None and done.target is None and "no forecast" in done.warnings[0]


def test_history_samples_match_the_calendar(
    service: FilingService, clock: FakeClock, calendar: WorkCalendar
) -> None:
    approved_org(service)
    ref = algorithm(service)
    # across the 国庆 holidays and a make-up Saturday
    service.advance(ref, "submit", at=datetime(2026, 9, 24, 2, 0, tzinfo=UTC))
    service.advance(ref, "pass_review", at=datetime(2026, 10, 12, 2, 0, tzinfo=UTC))
    service.advance(ref, "return_for_revision", reason="补充材料", at=clock.now - timedelta(days=3))
    samples = {s.stage: s.working_days for s in service.rules.stage_samples()[Kind.ALGORITHM]}
    assert (
        samples[Stage.INITIAL_REVIEW] == calendar.workdays_between(date(2026, 9, 24), date(2026, 10, 12)).days
    )
    assert (
        samples[Stage.SECOND_REVIEW] == calendar.workdays_between(date(2026, 10, 12), date(2026, 10, 30)).days
    )
    assert Stage.RETURNED not in samples  # still running


def test_guard_facts_checks_the_checklist_of_the_submission_day(service: FilingService) -> None:
    from states import GuardContext
    from tracker.filings import repo
    from tracker.rules.service import guard_facts

    approved_org(service)
    ref = algorithm(service, ticked=False)
    with service.store.unit() as session:
        row, _ = repo.find_filing(session, ref)
        base = GuardContext(kind=Kind.ALGORITHM, stage=Stage.DRAFT)
        before = guard_facts(session, row, base, materials=True, on=date(2025, 8, 31))
        after = guard_facts(session, row, base, materials=True, on=date(2025, 9, 1))
        unasked = guard_facts(session, row, base, materials=False)
    labelling = "[algo.content_labelling]"  # G6: AI-generated content labelling from 2025-09-01
    assert not any(labelling in m for m in before.missing_materials)
    assert any(labelling in m for m in after.missing_materials)
    assert unasked.missing_materials == () and unasked.restart_on_resubmit is False
