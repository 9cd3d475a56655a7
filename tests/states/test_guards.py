"""Guards refuse with a reason a person can act on, and pass once the reason is dealt with."""

from __future__ import annotations

from typing import Any

import pytest

from states import AlgorithmType, Event, GuardContext, Kind, Outcome, Stage, evaluate

ALGO_NO = "网信算备110108823483901230031号"  # type digits 01: generative
RANKING_NO = "网信算备330109830471103220019号"  # type digits 03: ranking
GENAI_NO = "Beijing-DeepseekChat-202404280016"


def ctx(kind: Kind, stage: Stage, **fields: Any) -> GuardContext:
    return GuardContext(kind, stage, **fields)


def refused(outcome: Outcome, *fragments: str) -> None:
    assert not outcome.allowed
    text = " | ".join(outcome.refusals)
    for fragment in fragments:
        assert fragment in text, text


# -- submit -----------------------------------------------------------------------------------------


def test_algorithm_submit_needs_the_entity_filing_approved() -> None:
    outcome = evaluate(ctx(Kind.ALGORITHM, Stage.DRAFT), Event.SUBMIT)
    refused(outcome, "entity filing (主体备案) is not approved")
    assert outcome.dest is Stage.INITIAL_REVIEW  # refused, but where it would go is still known
    assert evaluate(ctx(Kind.ALGORITHM, Stage.DRAFT, entity_approved=True), Event.SUBMIT).allowed


@pytest.mark.parametrize("kind", [Kind.GENAI_FILING, Kind.GENAI_REGISTRATION, Kind.ENTITY])
def test_other_kinds_submit_without_an_approved_entity(kind: Kind) -> None:
    assert evaluate(ctx(kind, Stage.DRAFT), Event.SUBMIT).allowed


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize(("stage", "event"), [(Stage.DRAFT, Event.SUBMIT), (Stage.RETURNED, Event.RESUBMIT)])
def test_missing_materials_are_listed(kind: Kind, stage: Stage, event: Event) -> None:
    returned_from = Stage.UNDER_REVIEW if kind is Kind.ENTITY else Stage.PROVINCIAL_REVIEW
    if kind is Kind.ALGORITHM:
        returned_from = Stage.INITIAL_REVIEW
    missing = ("《算法安全自评估报告》", "拟公示内容")
    base = ctx(kind, stage, entity_approved=True, returned_from=returned_from)
    outcome = evaluate(
        ctx(kind, stage, entity_approved=True, returned_from=returned_from, missing_materials=missing), event
    )
    refused(outcome, "materials missing (缺少材料)", *missing)
    assert evaluate(base, event).allowed


def test_all_refusals_are_reported_together() -> None:
    outcome = evaluate(ctx(Kind.ALGORITHM, Stage.DRAFT, missing_materials=("营业执照扫描件",)), Event.SUBMIT)
    assert len(outcome.refusals) == 2
    refused(outcome, "主体备案", "营业执照扫描件")


# -- reasons ------------------------------------------------------------------------------------------

REASONED = [
    (Kind.ALGORITHM, Stage.INITIAL_REVIEW, Event.RETURN_FOR_REVISION),
    (Kind.ALGORITHM, Stage.OFFLINE_CHECK, Event.REJECT),
    (Kind.ALGORITHM, Stage.CHANGE_REVIEW, Event.RETURN_FOR_REVISION),
    (Kind.ALGORITHM, Stage.APPROVED, Event.REVOKE),
    (Kind.GENAI_FILING, Stage.NATIONAL_REVIEW, Event.REJECT),
    (Kind.GENAI_REGISTRATION, Stage.APPROVED, Event.REVOKE),
    (Kind.ENTITY, Stage.UNDER_REVIEW, Event.RETURN_FOR_REVISION),
]


@pytest.mark.parametrize(("kind", "stage", "event"), REASONED)
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_reason_required(kind: Kind, stage: Stage, event: Event, blank: str | None) -> None:
    refused(evaluate(ctx(kind, stage, reason=blank), event), "needs a reason (原因)")
    assert evaluate(ctx(kind, stage, reason="自评估报告疑似模板化"), event).allowed


# -- approval and numbers ------------------------------------------------------------------------------


def approve_algo(**fields: object) -> Outcome:
    return evaluate(ctx(Kind.ALGORITHM, Stage.FINAL_REVIEW, **fields), Event.APPROVE)


def test_algorithm_approval_takes_a_valid_number_of_the_right_type() -> None:
    assert approve_algo(filing_number=ALGO_NO, algorithm_type=AlgorithmType.GENERATIVE).allowed
    assert approve_algo(
        filing_number="网信算备：330109830471103220019 号", algorithm_type=AlgorithmType.RANKING
    ).allowed


def test_algorithm_approval_refusals() -> None:
    refused(approve_algo(algorithm_type=AlgorithmType.GENERATIVE), "算法备案编号")
    refused(approve_algo(filing_number="  ", algorithm_type=AlgorithmType.GENERATIVE), "算法备案编号")
    refused(
        approve_algo(filing_number="网信算备110108xxxxxx号", algorithm_type=AlgorithmType.GENERATIVE),
        "21 digits",
    )
    refused(
        approve_algo(filing_number="网信算备310115606600001号", algorithm_type=AlgorithmType.GENERATIVE),
        "15 digits",
    )
    refused(approve_algo(filing_number=ALGO_NO), "algorithm type (算法类型) is not set")
    refused(
        approve_algo(filing_number=ALGO_NO, algorithm_type=AlgorithmType.RANKING),
        "type digits 01",
        "排序精选类",
        "ranking",
        "needs 03",
    )
    refused(
        approve_algo(
            filing_number=ALGO_NO, algorithm_type=AlgorithmType.GENERATIVE, filing_number_in_use=True
        ),
        f"{ALGO_NO} is already recorded on another filing",
    )


def test_genai_filing_approval() -> None:
    def approve(**fields: object) -> Outcome:
        return evaluate(ctx(Kind.GENAI_FILING, Stage.NATIONAL_REVIEW, **fields), Event.APPROVE)

    assert approve(filing_number=GENAI_NO).allowed
    assert approve(filing_number=" ZheJiang-TongYiQianWen-20230901 ").allowed
    refused(approve(filing_number=ALGO_NO), "大模型备案号", "Region-ModelName-YYYYMMDD")
    refused(approve(filing_number="beijing-yunque-20230821"), "大模型备案号")
    refused(approve(), "大模型备案号")
    refused(approve(filing_number=GENAI_NO, filing_number_in_use=True), "already recorded")


def test_registration_number_is_free_text_but_required() -> None:
    def approve(**fields: object) -> Outcome:
        return evaluate(ctx(Kind.GENAI_REGISTRATION, Stage.PROVINCIAL_REVIEW, **fields), Event.APPROVE)

    assert approve(filing_number="沪-某应用-上线-0001").allowed
    refused(approve(filing_number=""), "上线编号")
    refused(approve(filing_number="X-1", filing_number_in_use=True), "already recorded")


def test_entity_approval_needs_no_number() -> None:
    assert evaluate(ctx(Kind.ENTITY, Stage.UNDER_REVIEW), Event.APPROVE).allowed


# -- resubmission -------------------------------------------------------------------------------------

ORIGINS = [
    (Kind.ALGORITHM, origin)
    for origin in (
        Stage.INITIAL_REVIEW,
        Stage.SECOND_REVIEW,
        Stage.OFFLINE_CHECK,
        Stage.FINAL_REVIEW,
        Stage.CHANGE_REVIEW,
    )
] + [
    (Kind.GENAI_FILING, Stage.PROVINCIAL_REVIEW),
    (Kind.GENAI_FILING, Stage.NATIONAL_REVIEW),
    (Kind.GENAI_FILING, Stage.CHANGE_REVIEW),
    (Kind.GENAI_REGISTRATION, Stage.PROVINCIAL_REVIEW),
    (Kind.GENAI_REGISTRATION, Stage.CHANGE_REVIEW),
]
FIRST_REVIEW = {
    Kind.ALGORITHM: Stage.INITIAL_REVIEW,
    Kind.GENAI_FILING: Stage.PROVINCIAL_REVIEW,
    Kind.GENAI_REGISTRATION: Stage.PROVINCIAL_REVIEW,
}


@pytest.mark.parametrize(("kind", "origin"), ORIGINS)
def test_resubmit_goes_back_to_the_stage_that_returned_it(kind: Kind, origin: Stage) -> None:
    outcome = evaluate(ctx(kind, Stage.RETURNED, returned_from=origin), Event.RESUBMIT)
    assert outcome.allowed and outcome.dest is origin


@pytest.mark.parametrize(("kind", "origin"), ORIGINS)
def test_restart_on_resubmit_re_enters_the_first_review(kind: Kind, origin: Stage) -> None:
    outcome = evaluate(
        ctx(kind, Stage.RETURNED, returned_from=origin, restart_on_resubmit=True), Event.RESUBMIT
    )
    expected = Stage.CHANGE_REVIEW if origin is Stage.CHANGE_REVIEW else FIRST_REVIEW[kind]
    assert outcome.allowed and outcome.dest is expected


def test_entity_resubmit_returns_to_review() -> None:
    assert evaluate(ctx(Kind.ENTITY, Stage.RETURNED), Event.RESUBMIT).dest is Stage.UNDER_REVIEW


def test_resubmit_without_a_known_origin_is_refused() -> None:
    outcome = evaluate(ctx(Kind.ALGORITHM, Stage.RETURNED), Event.RESUBMIT)
    assert outcome.dest is None
    refused(outcome, "returned_from is not recorded", "资质初审 (initial review)")
    outcome = evaluate(
        ctx(Kind.GENAI_REGISTRATION, Stage.RETURNED, returned_from=Stage.NATIONAL_REVIEW), Event.RESUBMIT
    )
    refused(outcome, "cannot go back to 国家复核 (national review)")


def test_withdrawing_a_returned_change_is_refused() -> None:
    outcome = evaluate(ctx(Kind.ALGORITHM, Stage.RETURNED, returned_from=Stage.CHANGE_REVIEW), Event.WITHDRAW)
    refused(outcome, "already approved", "撤回变更")
    assert evaluate(
        ctx(Kind.ALGORITHM, Stage.RETURNED, returned_from=Stage.FINAL_REVIEW), Event.WITHDRAW
    ).allowed


# -- injected refusals and impossible events ------------------------------------------------------------


def test_extra_refusals_apply_to_their_event_only() -> None:
    extra = {Event.SUBMIT: ("G6: 生成合成内容标识 materials are missing", "G5: no complaint channel")}
    outcome = evaluate(ctx(Kind.GENAI_FILING, Stage.DRAFT, extra_refusals=extra), Event.SUBMIT)
    assert outcome.refusals == extra[Event.SUBMIT]
    assert evaluate(ctx(Kind.GENAI_FILING, Stage.DRAFT, extra_refusals=extra), Event.WITHDRAW).allowed


def test_an_event_not_leaving_the_stage_is_explained() -> None:
    outcome = evaluate(ctx(Kind.ALGORITHM, Stage.DRAFT), Event.APPROVE)
    assert outcome.dest is None
    assert outcome.refusals == (
        "event approve (批准备案) is not possible in stage draft (草稿); possible: 提交 (submit), 撤回 (withdraw)",
    )
    refused(evaluate(ctx(Kind.ALGORITHM, Stage.REVOKED), Event.WITHDRAW), "possible: none (final stage)")
    refused(evaluate(ctx(Kind.ENTITY, Stage.APPROVED), Event.REQUEST_CHANGE), "stage approved (已通过)")
    refused(
        evaluate(ctx(Kind.ENTITY, Stage.OFFLINE_CHECK), Event.PASS_REVIEW),
        "does not exist for 主体备案 (entity) filings",
    )


def test_outcome_allowed_needs_a_destination_and_no_refusals() -> None:
    assert Outcome(Event.SUBMIT, Stage.DRAFT, Stage.UNDER_REVIEW, ()).allowed
    assert not Outcome(Event.SUBMIT, Stage.DRAFT, Stage.UNDER_REVIEW, ("no",)).allowed
    assert not Outcome(Event.SUBMIT, Stage.DRAFT, None, ()).allowed
