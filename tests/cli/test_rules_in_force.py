"""`beian rules [--at DATE] [--since DATE] [--json]`, and provisional due dates in `dates` and `due`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.cli import Beian, Result

ORG = "北京星河智算科技有限公司"
LABELLING = "algo.content_labelling"
QUESTIONS = "genai.test_questions"


def ok(result: Result) -> Result:
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def keys(data: dict[str, Any], section: str) -> list[str]:
    return [r["key"] for r in data["rules"] if r["section"] == section]


@pytest.mark.parametrize(("day", "labelling"), [("2025-08-31", False), ("2025-09-01", True)])
def test_rules_at_a_date_either_side_of_the_labelling_rule(
    beian_sqlite: Beian, day: str, labelling: bool
) -> None:
    data = ok(beian_sqlite("rules", "--at", day, "--json")).json()
    assert data["at"] == day and data["since"] is None and data["changes"] == []
    assert (LABELLING in keys(data, "material")) is labelling
    assert keys(data, "deadline") == ["D1", "D2", "D3", "D4"]
    assert "due_soon_days" in keys(data, "setting")
    assert data["calendar"] == {"year": 2025, "coverage": "package", "provisional": False, "warning": None}
    text = ok(beian_sqlite("rules", "--at", day))
    assert text.out.startswith(f"rules in force on {day} (rules version ")
    assert ("algo.content_labelling 生成合成内容标识相关材料" in text.out) is labelling
    if labelling:
        assert "[from 2025-09-01: official]" in text.out  # the date of effect and its source
    assert text.err == ""


def test_rules_json_carries_each_rules_period_and_sources(beian_sqlite: Beian) -> None:
    data = ok(beian_sqlite("rules", "--at", "2025-11-01", "--json")).json()
    [questions] = [r for r in data["rules"] if r["key"] == QUESTIONS]
    assert questions["effective_from"] == "2025-11-01" and questions["effective_until"] is None
    assert questions["effective_source"] == "practitioner"
    assert "GB/T 45654-2025" in questions["effective_cite"] and "GB/T 45654-2025" in questions["zh"]
    [d4] = [r for r in data["rules"] if r["key"] == "D4"]
    assert d4["effective_from"] is None and d4["effective_source"] is None and d4["source"] == "official"
    assert d4["detail"].startswith("30 working days from materials_complete_date or submitted")


def test_what_changed_between_two_dates(beian_sqlite: Beian) -> None:
    data = ok(beian_sqlite("rules", "--at", "2026-01-01", "--since", "2025-06-30", "--json")).json()
    assert data["since"] == "2025-06-30"
    assert [(c["day"], c["change"], c["section"], c["key"]) for c in data["changes"]] == [
        ("2025-09-01", "added", "material", LABELLING),
        ("2025-11-01", "changed", "material", QUESTIONS),
    ]
    added, changed = data["changes"]
    assert added["before"] is None and added["after"]["effective_from"] == "2025-09-01"
    assert changed["before"]["effective_until"] == "2025-10-31"
    text = ok(beian_sqlite("rules", "--at", "2026-01-01", "--since", "2025-06-30")).out
    assert text.splitlines()[0] == "rules changed after 2025-06-30 up to 2026-01-01:"
    assert "2025-09-01 added material algo.content_labelling" in text
    assert "2025-11-01 changed material genai.test_questions 附件5 评估测试题（GB/T 45654-2025）" in text
    assert "before: genai.test_questions 附件5 评估测试题 (annex 5" in text
    quiet = ok(beian_sqlite("rules", "--at", "2025-10-31", "--since", "2025-09-01")).out
    assert quiet.strip() == "no rule changed after 2025-09-01 up to 2025-10-31"


def test_a_provisional_year_says_so(beian_sqlite: Beian) -> None:
    data = ok(beian_sqlite("rules", "--at", "2027-03-01", "--json")).json()
    assert data["calendar"]["coverage"] == "statutory" and data["calendar"]["provisional"] is True
    assert "2027 调休 not yet published" in data["calendar"]["warning"]
    text = ok(beian_sqlite("rules", "--at", "2027-03-01"))
    assert "holiday schedule 2027: provisional (statutory)" in text.out
    assert "warning: provisional: 2027 调休 not yet published" in text.err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--at", "2025-13-01"), "cannot read the --at date '2025-13-01'"),
        (("--since", "soon"), "cannot read the --since date 'soon'"),
        (("--at", "2025-01-01", "--since", "2025-06-01"), "--since 2025-06-01 is after 2025-01-01"),
    ],
)
def test_bad_dates_fail_cleanly(beian_sqlite: Beian, args: tuple[str, ...], fragment: str) -> None:
    assert fragment in beian_sqlite("rules", *args).fails_cleanly(2)


def test_a_d1_deadline_into_2027_is_marked_provisional(beian: Beian) -> None:
    ok(beian("org", "add", ORG, "--credit-code", "91110108MA01A2B3CF", "--region", "110108"))
    ref = ok(beian("add", "星河写作助手", "--org", ORG, "--type", "generative", "--json")).json()["ref"]
    [d1] = ok(beian("dates", ref, "--launch", "2026-12-25", "--json")).json()["deadlines"]
    assert (d1["id"], d1["due_date"], d1["provisional"]) == ("D1", "2027-01-11", True)
    text = ok(beian("dates", ref))
    assert "due 2027-01-11 (provisional: 调休 not yet published)" in text.out
    assert "2027 调休 not yet published" in text.err
    due = ok(beian("due", "--json")).json()
    assert [(d["ref"], d["due_date"], d["provisional"]) for d in due["deadlines"]] == [
        (ref, "2027-01-11", True)
    ]
    assert "2027-01-11 provisional" in ok(beian("due")).out
