"""Unified social credit codes (GB 32100-2015) and the inferred filing-number checks G8 and G9."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.filings.identity import (
    CREDIT_CODE_CHARSET,
    check_credit_code,
    credit_code_check_char,
    credit_code_region,
    normalise_credit_code,
    region_warning,
    year_warning,
)

# codes printed on public business-registry records
PUBLIC_CODES = [
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", PUBLIC_CODES)
def test_public_codes_are_valid(code: str) -> None:
    assert check_credit_code(code) is None


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        # by hand: Σ value×weight = 1815; 1815 mod 31 = 17; 31 − 17 = 14 → "E"
        ("91110108MA01ABCD1", "E"),
        # Σ = 2445; 2445 mod 31 = 27; 31 − 27 = 4 → "4"
        ("91310115MA1K4B2X3", "4"),
        ("12100000400000624", "D"),  # 中国科学院, a public institution (registration authority 1)
    ],
)
def test_computed_check_characters(first17: str, check: str) -> None:
    assert credit_code_check_char(first17) == check
    assert check_credit_code(first17 + check) is None


def test_check_character_can_be_zero() -> None:
    # find a body whose weighted sum is a multiple of 31: the check character is then "0", not 31
    body = next(
        f"9111010800000{n:04d}"
        for n in range(10000)
        if credit_code_check_char(f"9111010800000{n:04d}") == "0"
    )
    assert check_credit_code(body + "0") is None


def test_every_single_character_typo_is_caught() -> None:
    code = PUBLIC_CODES[0]
    for i in range(18):
        for ch in CREDIT_CODE_CHARSET:
            if ch != code[i] and (i not in range(2, 8) or ch.isdigit()):
                assert check_credit_code(code[:i] + ch + code[i + 1 :]) is not None


def test_normalisation() -> None:
    assert normalise_credit_code(" 91440300 708461136t ") == "91440300708461136T"
    assert normalise_credit_code("９１４４０３００７０８４６１１３６Ｔ") == "91440300708461136T"  # full width
    assert check_credit_code("91440300708461136t") is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91440300708461136", "has 17 characters; it must have 18"),
        ("91440300708461136TT", "has 19 characters"),
        (
            "91440300708461I36T",
            "'I' at position 15 is not allowed (GB 32100-2015 never uses I, O, S, V or Z)",
        ),
        ("9144030070846113-T", "'-' at position 17"),
        ("9144A300708461136T", "positions 3–8 must be the six-digit region code"),
        ("91440300708461136X", "check character is 'X' but should be 'T'"),
    ],
)
def test_refusals_explain_why(code: str, fragment: str) -> None:
    reason = check_credit_code(code)
    assert reason is not None and fragment in reason
    assert "统一社会信用代码" in reason


def test_region_of_a_credit_code() -> None:
    assert credit_code_region(PUBLIC_CODES[0]) == "440300"
    assert credit_code_region("91440300708461136X") is None


@pytest.mark.parametrize(
    ("number", "org_region"),
    [
        ("网信算备440305295988701230071号", "440305"),  # same county
        ("网信算备440305295988701230071号", "440300"),  # city-level org code covers 南山
        ("网信算备110108823483901230031号", "110000"),  # province-level
        ("网信算备 330110507206401230035 号", "330100"),  # spaced display form
        ("网信算备110108823483901230031号", None),  # no region on record
        ("网信算备110108823483901230031号", "1101"),  # not a 6-digit code: not compared
        ("Beijing-YunQue-20230821", "110108"),  # not an algorithm filing number
    ],
)
def test_region_consistent(number: str, org_region: str | None) -> None:
    assert region_warning(number, org_region) is None


def test_region_mismatch_warns() -> None:
    warning = region_warning("网信算备310110764385705230011号", "110108")
    assert warning is not None
    assert "310110" in warning and "110108" in warning and "G9" in warning


def test_unknown_province_warns() -> None:
    warning = region_warning("网信算备990101764385705230011号", None)
    assert warning is not None and "province" in warning


def test_year_digits() -> None:
    number = "网信算备110108823483901230031号"
    assert year_warning(number, date(2023, 8, 31)) is None
    assert year_warning(number, None) is None
    warning = year_warning(number, date(2024, 1, 5))
    assert warning is not None and "G8" in warning and "2024" in warning
