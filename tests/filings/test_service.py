"""The service on SQLite and PostgreSQL: the lifecycle, its guards, history, listing and conflicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from states import AlgorithmType, Event, Kind, Role, Stage
from tests.helpers.clock import FakeClock
from tracker.domain import FilingDraft, FilingQuery
from tracker.errors import Conflict, NotFound, TransitionRefused, UsageError
from tracker.filings.service import FilingService

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
NUMBER = "网信算备110108555010101260013号"


def tick_materials(service: FilingService, ref: str) -> None:
    """Provide every checklist item, so that `submit` is not refused for missing materials."""
    service.rules.mark_all_provided(ref, actor="test")


def org_with_approved_entity(service: FilingService, name: str = ORG, code: str = CODE) -> None:
    service.add_organisation(name, code, "110108")
    entity = service.add_filing(FilingDraft(organisation=name, title="主体备案", kind=Kind.ENTITY))
    tick_materials(service, entity.ref)
    service.advance(entity.ref, "submit")
    service.advance(entity.ref, "approve")


def new_algorithm(service: FilingService, title: str = "星河对话算法", **kw: Any) -> str:
    filing = service.add_filing(FilingDraft(organisation=ORG, title=title, **kw))
    tick_materials(service, filing.ref)
    return filing.ref


def test_full_lifecycle_keeps_every_transition(service: FilingService, clock: FakeClock) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    steps: list[tuple[str, dict[str, Any], Stage]] = [
        ("submit", {}, Stage.INITIAL_REVIEW),
        ("pass_review", {}, Stage.SECOND_REVIEW),
        ("return_for_revision", {"reason": "材料不全"}, Stage.RETURNED),
        ("resubmit", {}, Stage.SECOND_REVIEW),
        ("start_offline_check", {}, Stage.OFFLINE_CHECK),
        ("pass_review", {}, Stage.FINAL_REVIEW),
        ("approve", {"filing_number": "网信算备 110108555010101260013 号"}, Stage.APPROVED),
        ("request_change", {}, Stage.CHANGE_REVIEW),
        ("approve_change", {}, Stage.APPROVED),
        ("request_cancellation", {}, Stage.CANCELLATION_REVIEW),
        ("confirm_cancellation", {}, Stage.CANCELLED),
    ]
    for event, options, expected in steps:
        clock.tick(days=3)
        result = service.advance(ref, event, actor="pm", **options)
        assert result.filing.stage is expected, event
    filing = service.filing(ref)
    assert filing.returns == 1
    assert filing.returned_from is Stage.SECOND_REVIEW
    assert filing.filing_number == NUMBER  # normalised: spaces gone
    history = service.history(ref)
    assert [t.event.value for t in history] == [s[0] for s in steps]
    assert history[2].reason == "材料不全"
    assert history[6].filing_number == NUMBER
    assert all(t.actor == "pm" and t.source == "cli" for t in history)
    assert filing.version == 1 + len(steps)


def test_submit_needs_an_approved_entity_filing(service: FilingService) -> None:
    service.add_organisation(ORG, CODE)
    ref = new_algorithm(service)
    with pytest.raises(TransitionRefused, match="主体备案"):
        service.advance(ref, "submit")
    assert service.filing(ref).stage is Stage.DRAFT
    assert service.history(ref) == []


def test_event_names_are_accepted_in_chinese(service: FilingService) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    assert service.advance(ref, "提交").filing.stage is Stage.INITIAL_REVIEW
    with pytest.raises(UsageError, match="退回修改"):
        service.advance(ref, "退回修gai")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (None, "filing number"),
        ("网信算备11000000000001号", "网信算备"),
        ("网信算备110108555010102260013号", "type"),
    ],
)
def test_approve_refuses_missing_malformed_or_mismatched_numbers(
    service: FilingService, number: str | None, message: str
) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service, algorithm_type=AlgorithmType.GENERATIVE)
    for event in ("submit", "pass_review", "pass_review"):
        service.advance(ref, event)
    before = service.filing(ref)
    with pytest.raises(TransitionRefused, match=message):
        service.advance(ref, "approve", filing_number=number)
    after = service.filing(ref)
    assert after.stage is Stage.FINAL_REVIEW and after.version == before.version


def test_a_filing_number_belongs_to_one_filing(service: FilingService) -> None:
    org_with_approved_entity(service)
    first, second = new_algorithm(service, "一"), new_algorithm(service, "二")
    for ref in (first, second):
        for event in ("submit", "pass_review", "pass_review"):
            service.advance(ref, event)
    service.advance(first, "approve", filing_number=NUMBER)
    with pytest.raises(TransitionRefused, match="already used by ALG-0001"):
        service.advance(second, "approve", filing_number=NUMBER)
    assert service.filing(second).filing_number is None


def test_return_reject_and_revoke_need_a_reason(service: FilingService) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    service.advance(ref, "submit")
    for event in ("return_for_revision", "reject"):
        with pytest.raises(TransitionRefused, match="reason"):
            service.advance(ref, event, reason="  ")
    assert service.filing(ref).stage is Stage.INITIAL_REVIEW


def test_wrong_event_for_the_stage_is_refused_and_changes_nothing(service: FilingService) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    revision = service.revision()
    with pytest.raises(TransitionRefused, match="not possible"):
        service.advance(ref, "approve", filing_number=NUMBER)
    assert service.revision() == revision
    assert service.filing(ref).version == 1


def test_effective_time_cannot_precede_the_previous_event(service: FilingService, clock: FakeClock) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    service.advance(ref, "submit", at=clock.now - timedelta(days=10))
    with pytest.raises(TransitionRefused, match="before its previous event"):
        service.advance(ref, "pass_review", at=clock.now - timedelta(days=11))
    service.advance(ref, "pass_review", at=clock.now - timedelta(days=2))
    assert service.history(ref)[-1].effective_at == clock.now - timedelta(days=2)
    with pytest.raises(UsageError, match="future"):
        service.advance(ref, "pass_review", at=clock.now + timedelta(days=1))


def test_stale_version_is_a_conflict_not_an_overwrite(service: FilingService) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    seen = service.filing(ref).version
    service.advance(ref, "submit", if_version=seen)
    with pytest.raises(Conflict):
        service.advance(ref, "withdraw", if_version=seen)
    assert service.filing(ref).stage is Stage.INITIAL_REVIEW
    assert len(service.history(ref)) == 1


def test_events_lists_allowed_and_refused_with_reasons(service: FilingService) -> None:
    service.add_organisation(ORG, CODE)
    ref = new_algorithm(service)
    outcomes = {o.event: o for o in service.events(ref)}
    assert set(outcomes) == {Event.SUBMIT, Event.WITHDRAW}
    assert not outcomes[Event.SUBMIT].allowed and outcomes[Event.SUBMIT].refusals
    assert outcomes[Event.WITHDRAW].allowed and outcomes[Event.WITHDRAW].dest is Stage.WITHDRAWN


def test_unknown_references_are_not_found(service: FilingService) -> None:
    with pytest.raises(NotFound):
        service.filing("ALG-9999")
    with pytest.raises(NotFound):
        service.advance("4242", "submit")
    with pytest.raises(NotFound):
        service.add_filing(FilingDraft(organisation="nobody", title="x"))


def test_credit_code_check_character_is_verified(service: FilingService) -> None:
    with pytest.raises(UsageError):
        service.add_organisation("坏码公司", "91110108MA01A2B3C0")
    assert service.organisations() == []


def test_one_live_entity_filing_per_organisation(service: FilingService) -> None:
    service.add_organisation(ORG, CODE)
    service.add_filing(FilingDraft(organisation=ORG, title="主体", kind=Kind.ENTITY))
    with pytest.raises(UsageError, match="already has an entity filing"):
        service.add_filing(FilingDraft(organisation=ORG, title="主体2", kind=Kind.ENTITY))


def test_list_filters_sorts_counts_and_windows(service: FilingService) -> None:
    org_with_approved_entity(service)
    service.add_organisation("上海云帆数据服务有限公司", "91310110MA1G2H3J4D", "310110")
    a = new_algorithm(service, "星河推荐", algorithm_type=AlgorithmType.RECOMMENDATION)
    b = new_algorithm(service, "星河检索", role=Role.TECH_SUPPORTER)
    c = service.add_filing(FilingDraft(organisation="上海云帆数据服务有限公司", title="云帆客服")).ref
    service.advance(a, "submit")
    everything = service.filings()
    assert [f.ref for f in everything] == ["ALG-0001", "ALG-0002", "ALG-0003", "ENT-0001"]
    assert [f.ref for f in service.filings(FilingQuery(stages=(Stage.INITIAL_REVIEW,)))] == [a]
    assert [f.ref for f in service.filings(FilingQuery(organisation="云帆"))] == [c]
    assert [f.ref for f in service.filings(FilingQuery(text="检索"))] == [b]
    assert [f.ref for f in service.filings(FilingQuery(kinds=(Kind.ENTITY,)))] == ["ENT-0001"]
    # titles by pinyin, descending: 主体 zhǔ, 云帆 yún, 星河推荐 tuī, 星河检索 jiǎn
    by_title = FilingQuery(sort="title", descending=True, limit=4)
    assert [f.ref for f in service.filings(by_title)] == ["ENT-0001", c, a, b]
    assert [f.ref for f in service.filings(FilingQuery(offset=1, limit=2))] == ["ALG-0002", "ALG-0003"]
    assert service.count(FilingQuery(kinds=(Kind.ALGORITHM,))) == 3
    counts = service.stage_counts(FilingQuery(stages=(Stage.DRAFT,)))
    assert counts == {Stage.DRAFT: 2, Stage.INITIAL_REVIEW: 1, Stage.APPROVED: 1}


def test_revision_grows_with_every_write(service: FilingService) -> None:
    start = service.revision()
    service.add_organisation(ORG, CODE)
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    assert service.revision() == start + 2
    tick_materials(service, entity.ref)
    ticked = service.revision()
    assert ticked > start + 2
    service.advance(entity.ref, "submit")
    assert service.revision() == ticked + 1
    with pytest.raises(TransitionRefused):
        service.advance(entity.ref, "submit")
    assert service.revision() == ticked + 1  # a refusal writes nothing


def test_update_filing_edits_descriptive_fields_only(service: FilingService) -> None:
    org_with_approved_entity(service)
    ref = new_algorithm(service)
    updated = service.update_filing(ref, title="新标题", upstream_model="某大模型")
    assert (updated.title, updated.upstream_model, updated.version) == ("新标题", "某大模型", 2)
    with pytest.raises(UsageError, match="cannot edit stage"):
        service.update_filing(ref, stage="approved")
    with pytest.raises(Conflict):
        service.update_filing(ref, title="x", if_version=1)
