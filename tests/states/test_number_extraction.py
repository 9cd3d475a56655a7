"""Filing numbers as users paste them: the one well-formed number is read out of the text, or the text is refused."""

from __future__ import annotations

import pytest

from states import (
    AlgorithmType,
    Kind,
    check_filing_number,
    extract_filing_number,
    filing_number_key,
)
from states.numbers import FilingNumberError, is_placeholder

ALGO = "网信算备110108823483901230031号"
GENAI = "Beijing-DeepseekChat-202404280016"
REGISTRATION = "Guangdong-Plaud-20251229S0027"


@pytest.mark.parametrize(
    ("typed", "number", "ignored"),
    [
        # labels in front, as product footers and disclosure pages show them
        (f"算法备案号：{ALGO}", ALGO, ("算法备案号",)),
        (f"算法备案编号: {ALGO}", ALGO, ("算法备案编号",)),
        (f"生成式人工智能服务备案号：{GENAI}", GENAI, ("生成式人工智能服务备案号",)),
        (f"生成式人工智能服务登记号：{REGISTRATION}", REGISTRATION, ("生成式人工智能服务登记号",)),
        (f"广东省生成式人工智能服务登记号 {REGISTRATION}", REGISTRATION, ("广东省生成式人工智能服务登记号",)),
        # without the final 号
        ("网信算备110108823483901230031", ALGO, ()),
        # the bare 21 digits of the CAC's translated lists
        ("110108823483901230031", ALGO, ()),
        ("No. 110108823483901230031", ALGO, ("No",)),
        # full-width digits (Chinese input methods) and a full-width colon
        ("网信算备：１１０１０８８２３４８３９０１２３００３１号", ALGO, ()),
        # spaces inside, as the published lists print them
        ("网信算备 110108823483901230031 号", ALGO, ()),
        ("网信算备 110108 8234839 01 23 0031 号", ALGO, ()),
        ("\u3000网信算备\u3000110108823483901230031\u3000号\n", ALGO, ()),
        # followed by the algorithm name
        (f"{ALGO} 豆包大模型算法", ALGO, ("豆包大模型算法",)),
        (f"{ALGO}（火山引擎文本转语音算法）", ALGO, ("火山引擎文本转语音算法",)),
        # a footer with an ICP number too
        (f"京ICP备12345678号-1 {ALGO}", ALGO, ("京ICP备12345678号-1",)),
        # the same number twice is one number
        (f"{ALGO}（{ALGO}）", ALGO, ()),
        # an invisible zero-width space copied along
        ("网信算备1101088234839\u200b01230031号", ALGO, ()),
        (f"  {GENAI}  ", GENAI, ()),
    ],
)
def test_the_one_number_is_read_out_of_pasted_text(typed: str, number: str, ignored: tuple[str, ...]) -> None:
    found = extract_filing_number(typed)
    assert found.number == number
    assert found.ignored == ignored
    assert found.typed == typed
    for piece in ignored:
        assert any(piece in note for note in found.notes), found.notes


def test_what_was_changed_is_said() -> None:
    assert "added the final 号" in extract_filing_number("网信算备110108823483901230031").notes
    [note] = extract_filing_number("110108823483901230031").notes
    assert "bare 21 digits" in note and ALGO in note


def test_the_kind_follows_the_number() -> None:
    assert extract_filing_number(ALGO).kind is Kind.ALGORITHM
    assert extract_filing_number(GENAI).kind is Kind.GENAI_FILING
    assert extract_filing_number("ZhongYangQiYe-JiuTian-20240123").kind is Kind.GENAI_FILING
    assert extract_filing_number(REGISTRATION).kind is Kind.GENAI_REGISTRATION


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("星河写作助手", "holds no"),
        ("京ICP备12345678号-1", "holds no"),
        (f"{ALGO} {'网信算备110108823483901230057号'}", "more than one"),
        (f"{ALGO}, {GENAI}", "more than one"),
        ("110108823483901230031 / 110108823483901230057", "more than one"),
        ("网信算备310115606600001号", "15 digits"),
        ("网信算备110108xxxxxx号", "6 digits"),
        (f"{ALGO} 网信算备1234号", "more than one"),
        ("Beijing-YunQue-2023082", "Region-ModelName-YYYYMMDD"),
        ("beijing-yunque-20230821", "Region-ModelName-YYYYMMDD"),
        ("待定", "placeholder"),
        ("N/A", "placeholder"),
        ("[待填写]", "placeholder"),
        ("【暂无】", "placeholder"),
        ("TBD", "placeholder"),
        ("xxxx", "placeholder"),
    ],
)
def test_text_with_none_or_two_numbers_is_refused_quoting_it_as_typed(typed: str, fragment: str) -> None:
    with pytest.raises(FilingNumberError) as caught:
        extract_filing_number(typed)
    message = str(caught.value)
    assert fragment in message
    assert message.startswith(repr(typed)), message
    assert caught.value.typed == typed


def test_control_characters_in_the_quoted_input_are_escaped_and_long_text_is_cut() -> None:
    with pytest.raises(FilingNumberError) as caught:
        extract_filing_number("\x1b[2J\x07none here")
    assert "\x1b" not in str(caught.value) and "\\x1b" in str(caught.value)
    with pytest.raises(FilingNumberError) as caught:
        extract_filing_number("长" * 120_000)
    assert len(str(caught.value)) < 300


def test_a_number_of_another_kind_is_refused() -> None:
    with pytest.raises(FilingNumberError, match="大模型备案号.*not an algorithm filing number"):
        extract_filing_number(GENAI, Kind.ALGORITHM)
    with pytest.raises(FilingNumberError, match="not a generative-AI filing number"):
        extract_filing_number(f"算法备案号：{ALGO}", Kind.GENAI_FILING)
    with pytest.raises(FilingNumberError, match="not a registration number"):
        extract_filing_number(ALGO, Kind.GENAI_REGISTRATION)
    with pytest.raises(FilingNumberError, match="not a registration number"):
        extract_filing_number(f"备案号：{GENAI}", Kind.GENAI_REGISTRATION)
    with pytest.raises(FilingNumberError, match="entity filing"):
        extract_filing_number(ALGO, Kind.ENTITY)


@pytest.mark.parametrize("number", [REGISTRATION, "Guangdong-FigCraft-20260817S0078"])
def test_registration_numbers_of_the_known_shape_pass_without_warning(number: str) -> None:
    found = extract_filing_number(number, Kind.GENAI_REGISTRATION)
    assert found.number == number and found.warnings == ()
    assert check_filing_number(Kind.GENAI_REGISTRATION, number, None) is None


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("沪-某应用-上线-0001", "沪-某应用-上线-0001"),
        ("上线编号：粤网信登2025001", "粤网信登2025001"),
        ("guangdong-plaud-20251229s0027", "guangdong-plaud-20251229s0027"),
        ("Guangdong-Plaud-2025122S27", "Guangdong-Plaud-2025122S27"),
    ],
)
def test_registration_numbers_of_other_shapes_pass_with_a_warning(typed: str, number: str) -> None:
    found = extract_filing_number(typed, Kind.GENAI_REGISTRATION)
    assert found.number == number
    [warning] = found.warnings
    assert "Region-AppName-YYYYMMDDSNNNN" in warning and REGISTRATION in warning
    assert check_filing_number(Kind.GENAI_REGISTRATION, typed, None) is None


@pytest.mark.parametrize("typed", ["待定", "N/A", "n/a", "[待填写]", "（无）", " - ", "TODO", "？"])
def test_registration_placeholders_are_refused(typed: str) -> None:
    assert is_placeholder(typed)
    reason = check_filing_number(Kind.GENAI_REGISTRATION, typed, None)
    assert reason is not None and "placeholder" in reason and reason.startswith(repr(typed))


@pytest.mark.parametrize("typed", [ALGO, GENAI, REGISTRATION, "粤网信登2025001", "Beijing-YunQue-20230821"])
def test_numbers_are_not_placeholders(typed: str) -> None:
    assert not is_placeholder(typed)


def test_generative_ai_numbers_are_one_number_in_any_letter_case() -> None:
    # both spellings occur in the wild (DOMAIN.md §3.2)
    assert filing_number_key("Beijing-DeepseekChat-202404280016") == filing_number_key(
        "Beijing-DeepSeekChat-202404280016"
    )
    assert filing_number_key(" 网信算备 110108823483901230031 号") == filing_number_key(ALGO)
    assert filing_number_key(ALGO) != filing_number_key("网信算备110108823483901230057号")


def test_pasted_text_passes_the_approval_check_and_type_digits_still_count() -> None:
    assert check_filing_number(Kind.ALGORITHM, f"算法备案号：{ALGO} 豆包", AlgorithmType.GENERATIVE) is None
    reason = check_filing_number(Kind.ALGORITHM, f"算法备案号：{ALGO}", AlgorithmType.RECOMMENDATION)
    assert reason is not None and "type digits 01" in reason
    reason = check_filing_number(Kind.ALGORITHM, "算法备案号：待定", AlgorithmType.GENERATIVE)
    assert reason is not None and reason.startswith("'算法备案号：待定'")
