"""Phone numbers, segment counting and templates: what a recipient sees and what it costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracker.errors import ConfigError, UsageError
from tracker.notify.phone import mask_phone, mask_phones_in, normalise_phone
from tracker.notify.segments import count_segments
from tracker.notify.templates import MAX_SEGMENTS, render

NUMBER = "网信算备110108823483901230031号"


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),  # full-width digits from a Chinese input method
        ("+1 (415) 555-2671", "+14155552671"),
        ("+442071838750", "+442071838750"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(written: str, e164: str) -> None:
    assert normalise_phone(written) == e164


@pytest.mark.parametrize(
    "bad", ["", "12345", "1380013800", "+0123456789", "+861080000000", "phone", "+1234567890123456"]
)
def test_invalid_phone_numbers_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        normalise_phone(bad)


def test_phone_numbers_are_masked_in_messages() -> None:
    assert mask_phone("+8613800138000") == "+86138****8000"
    text = mask_phones_in("The 'To' number +15005550001 is not a valid phone number.")
    assert "+15005550001" not in text
    assert "0001" in text


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 2),  # an escape pair is never split across segments
        ("备" * 70, "UCS-2", 1),
        ("备" * 71, "UCS-2", 2),
        ("备" * 134, "UCS-2", 2),
        ("备" * 135, "UCS-2", 3),
        ("a" * 159 + "备", "UCS-2", 3),  # one Chinese character turns the whole text into UCS-2
        ("😀" * 35, "UCS-2", 1),  # astral characters are two UTF-16 units
        ("a" * 66 + "😀" + "a" * 4, "UCS-2", 2),
    ],
)
def test_segments_are_counted_as_carriers_do(text: str, encoding: str, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.segments) == (encoding, segments)


FIELDS: dict[str, Any] = {
    "ref": "ALG-0001",
    "title": "个性化推荐算法",
    "organisation": "北京示例科技有限公司",
    "filing_number": NUMBER,
    "stage": "approved",
    "kind": "algorithm",
    "reason": "自评估报告缺少安全措施说明",
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    "event",
    ["approve", "return_for_revision", "reject", "approve_change", "confirm_cancellation", "overdue:D4"],
)
def test_every_shipped_template_renders_within_two_segments(language: str, event: str) -> None:
    message = render(event, language=language, deadline="D4", **FIELDS)
    assert message.count.segments <= MAX_SEGMENTS
    assert "{" not in message.text
    assert FIELDS["title"] in message.text


def test_the_default_approval_text_names_filing_organisation_and_number() -> None:
    message = render("approve", language="zh", **FIELDS)
    assert (
        message.text
        == f"【算法备案】北京示例科技有限公司的「个性化推荐算法」已通过备案，备案编号：{NUMBER}。"
    )
    assert message.count.encoding == "UCS-2"
    assert message.count.segments == 1


def test_long_names_are_shortened_to_two_segments_but_the_number_never_is() -> None:
    fields = {
        **FIELDS,
        "title": "基于多模态大模型的个性化内容推荐与排序精选算法" * 6,
        "organisation": "北京示例科技有限公司" * 4,
    }
    message = render("approve", language="zh", **fields)
    assert message.shortened
    assert message.count.segments == 2
    assert NUMBER in message.text
    assert "…" in message.text


def test_english_text_stays_gsm7_when_shortened() -> None:
    fields = {
        **FIELDS,
        "title": "Personalised ranking " * 20,
        "organisation": "Example Ltd",
        "reason": "x" * 300,
    }
    message = render("return_for_revision", language="en", **fields)
    assert message.count.encoding == "GSM-7"
    assert message.count.segments == 2
    assert "..." in message.text


def test_approval_without_a_number_uses_its_own_wording() -> None:
    message = render("approve", language="zh", **{**FIELDS, "filing_number": None})
    assert message.template == "approve_no_number"
    assert "备案编号" not in message.text


def test_a_malformed_template_is_a_one_line_config_error(tmp_path: Path) -> None:
    (tmp_path / "sms.zh.toml").write_text('approve = "{organisation} {nonsense}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="nonsense"):
        render("approve", language="zh", directory=tmp_path, **FIELDS)
