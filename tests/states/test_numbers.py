"""Filing numbers: the real examples of the domain notes pass, the made-up ones fail."""

from __future__ import annotations

import pytest

from states import (
    ALGO_FILING_NO,
    GENAI_FILING_NO,
    AlgorithmType,
    Kind,
    check_filing_number,
    extract_filing_number,
    filing_number_warnings,
    normalise_filing_number,
)

# ../shared/domain/DOMAIN.md §3.1, with the "…" rows written out in full
ALGO_POSITIVES = [
    "网信算备110108823483901230031号",
    "网信算备110108823483901230057号",
    "网信算备110108823483901230065号",
    "网信算备110108823483902220017号",
    "网信算备110108823483904220019号",
    "网信算备110108823483903230017号",
    "网信算备330109830471102220013号",
    "网信算备330109830471103220019号",
    "网信算备330109830471104220015号",
    "网信算备310110764385705230011号",
    "网信算备310110764385702230013号",
    "网信算备330110507206401230035号",
    "网信算备330110507206401230027号",
    "网信算备330106003156001240091号",
    "网信算备330110507206401240101号",
    "网信算备110108970550101240011号",
    "网信算备330105747635301240017号",
    "网信算备110108105858001230027号",
    "网信算备110108896786101240023号",
    "网信算备110108896786101240015号",
    "网信算备110108413760701250055号",
    "网信算备110108645502801230035号",
    "网信算备110108916280901240011号",
    "网信算备440305295988701230071号",
    "网信算备440305023552001240019号",
    "网信算备440305023552001240027号",
    "网信算备440304042830501240017号",
    "网信算备110114085306301240013号",
    "网信算备610102726918801240017号",
    "网信算备310115124334401240013号",
    "网信算备310112174995401260029号",
    "网信算备110108823483901230019号",
]
# §3.2, plus the casing variant seen in one app
GENAI_POSITIVES = [
    "Beijing-YunQue-20230821",
    "Beijing-ChatGLM-20230821",
    "Beijing-WenXinYiYan-20230821",
    "ZheJiang-TongYiQianWen-20230901",
    "Beijing-MoonShot-20231016",
    "Beijing-FuLuGua-20231205",
    "ZhongYangQiYe-JiuTian-20240123",
    "Beijing-DeepseekChat-202404280016",
    "Beijing-KeLing-202409250032",
    "Shanghai-TongYiWanXiang-202410090024",
    "Beijing-DouBaoShiPinShengCheng-202503180061",
    "Beijing-DouBaoYinYue-202503180063",
    "Shanghai-MiniMax-202505230046",
    "Beijing-XiaomiMiMo-202601050182",
    "Beijing-DeepSeekChat-202404280016",
]
# §3.1 and §7.6
ALGO_NEGATIVES = ["网信算备310115606600001号", "网信算备11000000000001号", "网信算备110108xxxxxx号"]
GENAI_NEGATIVES = ["Beijing-YunQue-2023082", "beijing-yunque-20230821"]


def type_of(number: str) -> AlgorithmType:
    """The algorithm type named by digits 14-15 after 网信算备."""
    digits = number.removeprefix("网信算备")
    return AlgorithmType.from_code(digits[13:15])


def test_the_examples_are_all_there() -> None:
    assert len(set(ALGO_POSITIVES)) == 32
    assert len(set(GENAI_POSITIVES)) == 15


@pytest.mark.parametrize("number", ALGO_POSITIVES)
def test_real_algorithm_numbers_pass(number: str) -> None:
    assert ALGO_FILING_NO.match(number)
    assert check_filing_number(Kind.ALGORITHM, number, type_of(number)) is None
    assert not GENAI_FILING_NO.match(number)


@pytest.mark.parametrize("number", GENAI_POSITIVES)
def test_real_genai_numbers_pass(number: str) -> None:
    assert GENAI_FILING_NO.match(number)
    assert check_filing_number(Kind.GENAI_FILING, number, None) is None
    assert check_filing_number(Kind.ALGORITHM, number, AlgorithmType.GENERATIVE) is not None


@pytest.mark.parametrize("number", ALGO_NEGATIVES)
def test_made_up_algorithm_numbers_fail(number: str) -> None:
    assert not ALGO_FILING_NO.match(normalise_filing_number(number))
    reason = check_filing_number(Kind.ALGORITHM, number, AlgorithmType.GENERATIVE)
    assert reason is not None and "21" in reason


@pytest.mark.parametrize("number", GENAI_NEGATIVES)
def test_malformed_genai_numbers_fail(number: str) -> None:
    assert not GENAI_FILING_NO.match(normalise_filing_number(number))
    reason = check_filing_number(Kind.GENAI_FILING, number, None)
    assert reason is not None and "YYYYMMDD" in reason


@pytest.mark.parametrize(
    ("shown", "stored"),
    [
        ("网信算备：310115124334401240013号", "网信算备310115124334401240013号"),
        ("网信算备 330110507206401230035 号", "网信算备330110507206401230035号"),
        ("网信算备: 110108823483901230031号\n", "网信算备110108823483901230031号"),
        ("\t网信算备\u3000110108823483901230031号", "网信算备110108823483901230031号"),
    ],
)
def test_display_variants_normalise(shown: str, stored: str) -> None:
    assert normalise_filing_number(shown) == stored
    assert check_filing_number(Kind.ALGORITHM, shown, type_of(stored)) is None


def test_full_width_digits_are_read_as_digits() -> None:
    # Chinese input methods type full-width digits; the stored number holds ASCII digits only
    typed = "网信算备１１０１０８823483901230031号"
    assert check_filing_number(Kind.ALGORITHM, typed, AlgorithmType.GENERATIVE) is None
    assert extract_filing_number(typed).number == "网信算备110108823483901230031号"
    assert ALGO_FILING_NO.match(extract_filing_number(typed).number)


@pytest.mark.parametrize("declared", [t for t in AlgorithmType if t is not AlgorithmType.RECOMMENDATION])
def test_type_digits_must_match_the_declared_type(declared: AlgorithmType) -> None:
    number = "网信算备310110764385702230013号"  # bilibili, 02: recommendation
    reason = check_filing_number(Kind.ALGORITHM, number, declared)
    assert reason is not None
    assert "type digits 02" in reason and f"needs {declared.code}" in reason and declared.value in reason


def test_bad_type_digits_in_a_21_digit_number() -> None:
    reason = check_filing_number(Kind.ALGORITHM, "网信算备110108823483909230031号", AlgorithmType.GENERATIVE)
    assert reason is not None and "type digits 09" in reason and "01-05" in reason


def test_kinds_without_a_format() -> None:
    assert check_filing_number(Kind.ENTITY, None, None) is None
    assert check_filing_number(Kind.GENAI_REGISTRATION, "任意文本 123", None) is None
    assert check_filing_number(Kind.GENAI_REGISTRATION, " ", None) is not None


def test_year_warnings() -> None:
    number = "网信算备110108413760701250055号"
    assert filing_number_warnings(number, 2025) == []
    assert filing_number_warnings(number) == []
    [warning] = filing_number_warnings(number, 2026)
    assert "25" in warning and "2026" in warning
    assert filing_number_warnings("Beijing-KeLing-202409250032", 2024) == []
    assert len(filing_number_warnings("Beijing-KeLing-202409250032", 2025)) == 1
    assert "not a calendar date" in filing_number_warnings("Beijing-Test-20231301")[0]
