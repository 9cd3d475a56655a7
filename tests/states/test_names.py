"""Names display in Chinese and English, and parse from either, forgiving case, spacing and typos."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import cast

import pytest

from states import (
    AlgorithmType,
    Event,
    Kind,
    Role,
    Stage,
    UnknownName,
    label,
    parse_algorithm_type,
    parse_event,
    parse_kind,
    parse_role,
    parse_stage,
    zh,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("initial_review", Stage.INITIAL_REVIEW),
        ("Initial-Review", Stage.INITIAL_REVIEW),
        ("  initial review ", Stage.INITIAL_REVIEW),
        ("资质初审", Stage.INITIAL_REVIEW),
        ("资质初审 (initial review)", Stage.INITIAL_REVIEW),
        ("线下核查", Stage.OFFLINE_CHECK),
        ("已备案", Stage.APPROVED),
        ("已通过", Stage.APPROVED),
        ("填报中", Stage.DRAFT),
        ("退回修改", Stage.RETURNED),
        ("不予备案", Stage.REJECTED),
        ("国家复核", Stage.NATIONAL_REVIEW),
    ],
)
def test_parse_stage(text: str, expected: Stage) -> None:
    assert parse_stage(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("return_for_revision", Event.RETURN_FOR_REVISION),
        ("RETURN FOR REVISION", Event.RETURN_FOR_REVISION),
        ("退回修改", Event.RETURN_FOR_REVISION),
        ("不予备案", Event.REJECT),
        ("start-offline-check", Event.START_OFFLINE_CHECK),
        ("批准备案", Event.APPROVE),
        ("批准", Event.APPROVE),
        ("撤回变更", Event.WITHDRAW_CHANGE),
        ("撤回", Event.WITHDRAW),
    ],
)
def test_parse_event(text: str, expected: Event) -> None:
    assert parse_event(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01", AlgorithmType.GENERATIVE),
        ("1", AlgorithmType.GENERATIVE),
        ("生成合成类", AlgorithmType.GENERATIVE),
        ("生成合成", AlgorithmType.GENERATIVE),
        ("深度合成", AlgorithmType.GENERATIVE),
        ("Recommendation", AlgorithmType.RECOMMENDATION),
        ("个性化推送", AlgorithmType.RECOMMENDATION),
        ("03", AlgorithmType.RANKING),
        ("检索过滤类", AlgorithmType.RETRIEVAL),
        ("05", AlgorithmType.SCHEDULING),
    ],
)
def test_parse_algorithm_type(text: str, expected: AlgorithmType) -> None:
    assert parse_algorithm_type(text) is expected


def test_parse_kind_and_role() -> None:
    assert parse_kind("genai-filing") is Kind.GENAI_FILING
    assert parse_kind("主体备案") is Kind.ENTITY
    assert parse_kind("登记") is Kind.GENAI_REGISTRATION
    assert parse_kind("算法备案") is Kind.ALGORITHM
    assert parse_role("服务技术支持者") is Role.TECH_SUPPORTER
    assert parse_role("Tech Supporter") is Role.TECH_SUPPORTER
    assert parse_role("服务提供者") is Role.PROVIDER


PARSERS: list[tuple[Callable[[str], object], type[StrEnum]]] = [
    (parse_kind, Kind),
    (parse_stage, Stage),
    (parse_event, Event),
    (parse_role, Role),
    (parse_algorithm_type, AlgorithmType),
]


@pytest.mark.parametrize(("parse", "enum"), PARSERS)
def test_every_label_parses_back(parse: Callable[[str], object], enum: type[StrEnum]) -> None:
    for member in cast("list[Kind | Stage | Event | Role | AlgorithmType]", list(enum)):
        for kind in (None, *Kind):
            for lang in ("zh", "en", "both"):
                assert parse(label(member, lang, kind)) is member


def test_typo_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownName) as info:
        parse_event("退回修gai")
    assert str(info.value) == "unknown event '退回修gai': did you mean 退回修改 (return_for_revision)?"
    with pytest.raises(UnknownName, match=r"did you mean submit \(提交\)"):
        parse_event("submt")
    with pytest.raises(UnknownName, match=r"did you mean 线下核查 \(offline_check\)"):
        parse_stage("线下核察")


def test_nothing_close_lists_the_choices() -> None:
    with pytest.raises(ValueError) as info:
        parse_role("zzz")
    message = str(info.value)
    assert (
        message == "unknown role 'zzz'; valid choices: provider (服务提供者), tech_supporter (服务技术支持者)"
    )
    assert "\n" not in message


def test_labels() -> None:
    assert label(Stage.INITIAL_REVIEW) == "资质初审 (initial review)"
    assert label(Stage.INITIAL_REVIEW, "en") == "initial review"
    assert label(Stage.INITIAL_REVIEW, "zh") == "资质初审"
    assert label(Stage.APPROVED, "zh") == "已备案"
    assert label(Stage.APPROVED, "zh", Kind.ALGORITHM) == "已备案"
    assert label(Stage.APPROVED, "both", Kind.ENTITY) == "已通过 (approved)"
    assert zh(Event.APPROVE, Kind.ENTITY) == "批准"
    assert zh(Event.APPROVE) == "批准备案"
    assert zh(Role.TECH_SUPPORTER) == "服务技术支持者"
    assert label(AlgorithmType.SCHEDULING) == "调度决策类 (scheduling)"


def test_algorithm_type_codes() -> None:
    assert [t.code for t in AlgorithmType] == ["01", "02", "03", "04", "05"]
    assert all(AlgorithmType.from_code(t.code) is t for t in AlgorithmType)
    with pytest.raises(UnknownName):
        AlgorithmType.from_code("06")


def test_values_are_the_english_names() -> None:
    assert {s.value for s in Stage} >= {"draft", "offline_check", "cancellation_review", "provincial_review"}
    assert Kind("genai_registration") is Kind.GENAI_REGISTRATION
    assert str(Event.CANCEL_BY_REGULATOR) == "cancel_by_regulator"
