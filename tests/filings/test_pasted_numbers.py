"""`approve --filing-number` and upstream numbers take numbers as users paste them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from states import Kind, Stage
from tracker.domain import FilingDraft
from tracker.errors import TransitionRefused, UsageError
from tracker.filings.service import FilingService

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
NUMBER = "网信算备110108555010101260013号"


def ready(service: FilingService, kind: Kind = Kind.ALGORITHM, title: str = "星河对话算法") -> str:
    """A filing of `kind` waiting for approval."""
    try:
        service.organisation(ORG)
    except Exception:
        service.add_organisation(ORG, CODE, "110108")
        entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
        service.rules.mark_all_provided(entity.ref, actor="test")
        service.advance(entity.ref, "submit")
        service.advance(entity.ref, "approve")
    filing = service.add_filing(FilingDraft(organisation=ORG, title=title, kind=kind))
    service.rules.mark_all_provided(filing.ref, actor="test")
    service.advance(filing.ref, "submit")
    events = {Kind.ALGORITHM: ["pass_review", "pass_review"], Kind.GENAI_FILING: ["pass_review"]}
    for event in events.get(kind, []):
        service.advance(filing.ref, event)
    return filing.ref


def test_a_pasted_label_and_name_are_ignored_and_said(service: FilingService) -> None:
    ref = ready(service)
    result = service.advance(
        ref, "approve", filing_number=f"算法备案号：{NUMBER.replace('号', '')} 星河对话算法"
    )
    assert result.filing.filing_number == NUMBER
    assert result.transition.filing_number == NUMBER
    said = " ".join(result.warnings)
    assert "算法备案号" in said and "星河对话算法" in said and "added the final 号" in said


def test_full_width_and_bare_digits_are_stored_as_the_published_form(service: FilingService) -> None:
    first, second = ready(service, title="一"), ready(service, title="二")
    assert (
        service.advance(
            first, "approve", filing_number="１１０１０８５５５０１０１０１２６００１３"
        ).filing.filing_number
        == NUMBER
    )
    other = "网信算备110108555010101260015号"
    typed = "网信算备 110108555010101260015 号"
    assert service.advance(second, "approve", filing_number=typed).filing.filing_number == other


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("待定", "placeholder"),
        (f"{NUMBER} 网信算备110108555010101260015号", "more than one"),
        ("Beijing-DeepseekChat-202404280016", "not an algorithm filing number"),
    ],
)
def test_unusable_text_is_refused_quoting_it_and_nothing_changes(
    service: FilingService, typed: str, fragment: str
) -> None:
    ref = ready(service)
    before = service.filing(ref)
    with pytest.raises(TransitionRefused) as caught:
        service.advance(ref, "approve", filing_number=typed)
    assert fragment in str(caught.value) and repr(typed) in str(caught.value)
    after = service.filing(ref)
    assert after.stage is Stage.FINAL_REVIEW and after.version == before.version


def test_a_generative_ai_number_in_another_letter_case_is_the_same_number(service: FilingService) -> None:
    first, second = ready(service, Kind.GENAI_FILING, "一"), ready(service, Kind.GENAI_FILING, "二")
    service.advance(
        first, "approve", filing_number="生成式人工智能服务备案号：Beijing-DeepseekChat-202404280016"
    )
    assert service.filing(first).filing_number == "Beijing-DeepseekChat-202404280016"
    with pytest.raises(TransitionRefused, match=f"already used by {first}"):
        service.advance(second, "approve", filing_number="Beijing-DeepSeekChat-202404280016")
    assert service.filing(second).stage is Stage.NATIONAL_REVIEW


def test_registration_numbers(service: FilingService) -> None:
    refs = [ready(service, Kind.GENAI_REGISTRATION, t) for t in ("一", "二", "三")]
    with pytest.raises(TransitionRefused, match="placeholder"):
        service.advance(refs[0], "approve", filing_number="[待填写]")
    with pytest.raises(TransitionRefused, match="not a registration number"):
        service.advance(refs[0], "approve", filing_number=NUMBER)
    result = service.advance(
        refs[0], "approve", filing_number="生成式人工智能服务登记号：Guangdong-Plaud-20251229S0027"
    )
    assert result.filing.filing_number == "Guangdong-Plaud-20251229S0027"
    assert not any("shape" in w for w in result.warnings)
    odd = service.advance(refs[1], "approve", filing_number="粤网信登2025001")
    assert odd.filing.filing_number == "粤网信登2025001"
    assert any("Region-AppName-YYYYMMDDSNNNN" in w for w in odd.warnings)


def test_upstream_numbers_are_read_from_pasted_text(service: FilingService) -> None:
    ready(service)
    draft = FilingDraft(
        organisation=ORG,
        title="基于豆包的写作助手",
        upstream_model="豆包",
        upstream_filing_number="备案编号：网信算备110108823483901230065号；",
    )
    assert service.add_filing(draft).upstream_filing_number == "网信算备110108823483901230065号"
    for typed in ("待定", "Beijing-YunQue-20230821", "网信算备1234号"):
        with pytest.raises(UsageError) as caught:
            service.add_filing(FilingDraft(organisation=ORG, title="x", upstream_filing_number=typed))
        assert repr(typed) in str(caught.value)
