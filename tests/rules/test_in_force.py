"""Rules in force by date: effective_from / effective_until on materials, deadlines and settings.

Shipped examples: content labelling from 2025-09-01 (标识办法 art. 12, DOMAIN §1.4) and the GB/T 45654-2025
version of the GenAI test questions from 2025-11-01 (DOMAIN §2.6).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from states import AlgorithmType, Kind, Role, Stage
from tests.helpers.clock import FakeClock
from tracker.domain import FilingDraft
from tracker.errors import TransitionRefused, UsageError
from tracker.filings.service import FilingService
from tracker.rules import (
    RulesError,
    RuleSet,
    changes_between,
    load_rules,
    required_materials,
    running_deadlines,
    versions_on,
)
from tracker.rules.calendar import WorkCalendar

LABELLING = "algo.content_labelling"
QUESTIONS = "genai.test_questions"


def checklist(
    rules: RuleSet,
    kind: Kind,
    on: date,
    *,
    role: Role | None = None,
    algorithm_type: AlgorithmType | None = None,
) -> dict[str, str]:
    items = required_materials(
        rules,
        kind=kind,
        role=role,
        algorithm_type=algorithm_type,
        uses_third_party_model=False,
        submit_date=on,
    )
    return {i.key: i.zh for i in items}


def generative(rules: RuleSet, on: date) -> dict[str, str]:
    return checklist(rules, Kind.ALGORITHM, on, role=Role.PROVIDER, algorithm_type=AlgorithmType.GENERATIVE)


# -- the shipped rules on dates either side of a change ---------------------------------------------


@pytest.mark.parametrize(
    ("day", "required"),
    [
        (date(2024, 6, 1), False),
        (date(2025, 8, 31), False),  # the day before 标识办法 takes effect
        (date(2025, 9, 1), True),  # the day it does
        (date(2026, 11, 30), True),
    ],
)
def test_labelling_is_required_from_2025_09_01(rules: RuleSet, day: date, required: bool) -> None:
    assert (LABELLING in generative(rules, day)) is required
    # never for a filing of another algorithm type, whatever the date
    other = checklist(rules, Kind.ALGORITHM, day, role=Role.PROVIDER, algorithm_type=AlgorithmType.RANKING)
    assert LABELLING not in other


def test_labelling_carries_its_date_and_the_source_of_the_date(rules: RuleSet) -> None:
    item = rules.material(LABELLING)
    assert item.effective.start == date(2025, 9, 1) and item.effective.until is None
    assert item.effective.source is not None and item.effective.source.tag == "official"
    assert "2025-09-01" in item.effective.source.cite
    assert str(item.effective) == "from 2025-09-01"


@pytest.mark.parametrize(
    ("day", "standard"),
    [(date(2025, 10, 31), False), (date(2025, 11, 1), True), (date(2026, 3, 2), True)],
)
def test_genai_test_questions_follow_gb_t_45654_from_2025_11_01(
    rules: RuleSet, day: date, standard: bool
) -> None:
    items = checklist(rules, Kind.GENAI_FILING, day)
    assert QUESTIONS in items  # one item in force on every date: a new version, not a new key
    assert ("GB/T 45654-2025" in items[QUESTIONS]) is standard
    version = rules.material(QUESTIONS, day)
    assert version.note is not None and ("GB/T 45654-2025" in version.note) is standard
    assert version.effective.source is not None and version.effective.source.tag == "practitioner"


def test_the_latest_version_is_the_default(rules: RuleSet) -> None:
    assert "GB/T 45654-2025" in rules.material(QUESTIONS).zh
    assert rules.material(QUESTIONS, date(2025, 1, 1)).effective.until == date(2025, 10, 31)
    with pytest.raises(KeyError):
        rules.material(LABELLING, date(2025, 1, 1))


def test_rule_set_at_a_date(rules: RuleSet) -> None:
    before, after = rules.at(date(2025, 8, 31)), rules.at(date(2025, 9, 1))
    assert {m.key for m in after.materials} - {m.key for m in before.materials} == {LABELLING}
    assert len([m for m in after.materials if m.key == QUESTIONS]) == 1
    assert after.due_soon_days == rules.due_soon_days == 5
    assert rules.at(date(2025, 9, 1)).at(date(2025, 8, 31)).materials == before.materials  # narrowing only


def test_what_applies_on_a_date(rules: RuleSet) -> None:
    listed = versions_on(rules, date(2025, 9, 1))
    sections = [v.section for v in listed]
    assert sections == sorted(sections, key=["setting", "material", "deadline"].index)
    by_key = {(v.section, v.key): v for v in listed}
    assert by_key[("setting", "due_soon_days")].detail == "5"
    assert by_key[("material", LABELLING)].detail == "mandatory; algorithm generative"
    assert by_key[("deadline", "D1")].detail.startswith("10 working days from launch_date")
    assert ("material", LABELLING) not in {(v.section, v.key) for v in versions_on(rules, date(2025, 8, 31))}


def test_what_changed_between_two_dates(rules: RuleSet) -> None:
    changes = changes_between(rules, date(2025, 1, 1), date(2026, 11, 30))
    assert [(c.day, c.change, c.rule.key) for c in changes] == [
        (date(2025, 9, 1), "added", LABELLING),
        (date(2025, 11, 1), "changed", QUESTIONS),
    ]
    changed = changes[1]
    assert changed.before is not None and changed.after is not None
    assert "GB/T 45654-2025" in changed.after.zh and "GB/T 45654-2025" not in changed.before.zh
    # the bounds: after `since`, up to and including `until`
    assert changes_between(rules, date(2025, 9, 1), date(2025, 10, 31)) == ()
    assert [c.rule.key for c in changes_between(rules, date(2025, 8, 31), date(2025, 9, 1))] == [LABELLING]
    with pytest.raises(UsageError, match="after"):
        changes_between(rules, date(2025, 9, 2), date(2025, 9, 1))


# -- versions in a rules folder ---------------------------------------------------------------------


def _edit(folder: Path, name: str, old: str, new: str) -> int:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text[:at].count("\n") + 1


def _append(folder: Path, name: str, text: str) -> int:
    path = folder / name
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


DATED = 'effective_source = "official"\neffective_cite = "test"\n'


def test_a_deadline_version_is_chosen_by_the_trigger_date(rules_copy: Path) -> None:
    # D1 shortened to 5 working days for services launched from 2026-07-01 (a made-up change)
    _edit(rules_copy, "deadlines.toml", 'id = "D1"\n', f'id = "D1"\neffective_until = 2026-06-30\n{DATED}')
    text = (rules_copy / "deadlines.toml").read_text(encoding="utf-8")
    start = text.index('[[deadlines]]\nid = "D1"')
    end = text.index("[[deadlines]]", start + 1)
    newer = text[start:end].replace("effective_until = 2026-06-30", "effective_from = 2026-07-01")
    _append(rules_copy, "deadlines.toml", "\n" + newer.replace("working_days = 10", "working_days = 5"))
    rules = load_rules(rules_copy)
    calendar = WorkCalendar()

    def d1(launch: date) -> int:
        [found] = running_deadlines(
            rules, calendar, kind=Kind.ALGORITHM, stage=Stage.DRAFT, launch_date=launch, today=launch
        )
        return found.working_days

    assert d1(date(2026, 6, 30)) == 10
    assert d1(date(2026, 7, 1)) == 5
    [change] = changes_between(rules, date(2026, 1, 1), date(2026, 12, 31))
    assert (change.day, change.change, change.rule.key) == (date(2026, 7, 1), "changed", "D1")


def test_a_setting_with_versions(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "settings.toml",
        "[settings.due_soon_days]\n# A running deadline is marked due soon when this many working days or fewer are left.\nvalue = 5\n",
        "[[settings.due_soon_days]]\nvalue = 5\neffective_until = 2026-06-30\n" + DATED,
    )
    _edit(
        rules_copy,
        "settings.toml",
        "[settings.offline_check_rate]",
        "[[settings.due_soon_days]]\nvalue = 8\neffective_from = 2026-07-01\n"
        + DATED
        + 'source = "project"\ncite = "t"\n\n[settings.offline_check_rate]',
    )
    rules = load_rules(rules_copy)
    assert rules.due_soon_days == 8  # the latest version
    assert rules.at(date(2026, 6, 30)).due_soon_days == 5
    assert rules.setting("due_soon_days", date(2026, 7, 1)) == 8
    # the due-soon threshold in force today decides: D1 of a launch on 2026-06-26 falls due on 2026-07-10
    for today, left, soon in ((date(2026, 6, 30), 8, False), (date(2026, 7, 1), 7, True)):
        [d1] = running_deadlines(
            rules,
            WorkCalendar(),
            kind=Kind.ALGORITHM,
            stage=Stage.DRAFT,
            launch_date=date(2026, 6, 26),
            today=today,
        )
        assert (d1.due_date, d1.working_days_left, d1.due_soon) == (date(2026, 7, 10), left, soon), today


@pytest.mark.parametrize(
    ("name", "old", "new", "fragment"),
    [
        (
            "materials.toml",
            "effective_from = 2025-09-01",
            'effective_from = "soon"',
            "must be a date such as 2025-09-01",
        ),
        (
            "materials.toml",
            'effective_source = "official"\neffective_cite = "《人工智能',
            'effective_source = "official"\neffective_cite = "\n#',
            "invalid TOML",
        ),
        (
            "materials.toml",
            "effective_from = 2025-09-01\neffective_source",
            "effective_from = 2025-09-01\neffective_until = 2025-08-01\neffective_source",
            "effective_until 2025-08-01 is before effective_from 2025-09-01",
        ),
        (
            "materials.toml",
            'effective_source = "official"',
            'effective_source = "rumour"',
            "expected one of",
        ),
        (
            "materials.toml",
            "effective_from = 2025-11-01",
            "effective_from = 2025-10-31",
            "defined twice for the same days",
        ),
        (
            "materials.toml",
            "effective_from = 2025-09-01",
            "effective_since = 2025-09-01",
            "unknown key 'effective_since'",
        ),
        (
            "materials.toml",
            'when = { kind = "algorithm", algorithm_type = "generative" }',
            'when = { kind = "algorithm", algorithm_type = "generative", from = 2025-09-01 }',
            "`from` is no longer a condition",
        ),
        (
            "deadlines.toml",
            'id = "D2"\n',
            'id = "D2"\neffective_from = 2024-01-01\neffective_until = "open"\n',
            "must be a date",
        ),
        (
            "settings.toml",
            "value = 5\n",
            'value = 5\neffective_cite = "x"\n',
            "effective_cite without effective_from or effective_until",
        ),
    ],
)
def test_a_broken_date_of_effect_names_file_and_line(
    rules_copy: Path, name: str, old: str, new: str, fragment: str
) -> None:
    line = _edit(rules_copy, name, old, new)
    with pytest.raises(RulesError) as caught:
        load_rules(rules_copy)
    message = str(caught.value)
    assert fragment in message, message
    assert f"{name}, line " in message and "\n" not in message
    assert caught.value.line is not None and abs(caught.value.line - line) <= 4, message  # in the entry


def test_a_date_without_its_source_is_refused(rules_copy: Path) -> None:
    line = _edit(rules_copy, "deadlines.toml", 'id = "D3"\n', 'id = "D3"\neffective_from = 2022-03-01\n')
    with pytest.raises(RulesError) as caught:
        load_rules(rules_copy)
    assert "no effective_source: say where the date comes from" in str(caught.value)
    assert caught.value.path.name == "deadlines.toml" and caught.value.line == line - 1  # the [[deadlines]]


@pytest.mark.parametrize(
    ("versions", "fragment"),
    [
        (
            "[[settings.due_soon_days]]\nvalue = 5\neffective_from = 2026-01-01\n"
            + DATED
            + 'source = "project"\ncite = "t"\n',
            "has no value before 2026-01-01",
        ),
        (
            "[[settings.due_soon_days]]\nvalue = 5\neffective_until = 2025-12-31\n"
            + DATED
            + 'source = "project"\ncite = "t"\n\n'
            "[[settings.due_soon_days]]\nvalue = 6\neffective_from = 2026-01-02\n"
            + DATED
            + 'source = "project"\ncite = "t"\n',
            "versions must follow each other",
        ),
        (
            "[[settings.due_soon_days]]\nvalue = 5\neffective_until = 2025-12-31\n"
            + DATED
            + 'source = "project"\ncite = "t"\n',
            "has no value after 2025-12-31",
        ),
    ],
)
def test_a_setting_has_one_value_on_every_date(rules_copy: Path, versions: str, fragment: str) -> None:
    path = rules_copy / "settings.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[settings.due_soon_days]")
    end = text.index("[settings.offline_check_rate]")
    path.write_text(text[:start] + versions + "\n" + text[end:], encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(rules_copy)
    assert fragment in str(caught.value)
    assert caught.value.path.name == "settings.toml" and caught.value.line is not None


# -- stored filings: checked against the rules of their submission day ---------------------------------

ORG = "北京星河智算科技有限公司"


def beijing(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=UTC)


def _generative(service: FilingService) -> str:
    service.add_organisation(ORG, "91110108MA01A2B3CF", "110108")
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    service.rules.mark_all_provided(entity.ref, actor="test")
    service.advance(entity.ref, "submit")
    service.advance(entity.ref, "approve")
    draft = FilingDraft(
        organisation=ORG, title="星河写作助手", role=Role.PROVIDER, algorithm_type=AlgorithmType.GENERATIVE
    )
    ref = service.add_filing(draft).ref
    service.rules.mark_all_provided(ref, actor="test")
    return ref


def keys(service: FilingService, ref: str) -> set[str]:
    return {m.key for m in service.rules.materials(ref)}


def test_submitted_before_the_change_resubmitted_after_it(service: FilingService, clock: FakeClock) -> None:
    clock.now = beijing(date(2025, 8, 14))
    ref = _generative(service)
    assert LABELLING not in keys(service, ref)
    clock.now = beijing(date(2025, 8, 15))
    assert service.advance(ref, "submit").filing.stage is Stage.INITIAL_REVIEW

    clock.now = beijing(date(2025, 10, 10))
    assert LABELLING not in keys(service, ref)  # still judged by the rules of its submission day
    service.advance(ref, "return_for_revision", reason="自评估报告缺少签字")
    assert LABELLING in keys(service, ref)  # the resubmission will be judged by today's rules
    with pytest.raises(TransitionRefused, match=r"\[algo.content_labelling\]"):
        service.advance(ref, "resubmit")
    service.rules.mark(ref, LABELLING, actor="test")
    assert service.advance(ref, "resubmit").filing.stage is Stage.INITIAL_REVIEW
    assert LABELLING in keys(service, ref)


def test_a_backdated_submission_is_checked_against_the_rules_of_its_day(
    service: FilingService, clock: FakeClock
) -> None:
    clock.now = beijing(date(2025, 8, 20))
    ref = _generative(service)
    clock.now = beijing(date(2025, 9, 3))
    assert LABELLING in keys(service, ref)  # a draft is judged by today's rules
    with pytest.raises(TransitionRefused, match="缺少材料"):
        service.advance(ref, "submit")
    done = service.advance(ref, "submit", at=beijing(date(2025, 8, 29)))  # submitted before the change
    assert done.filing.stage is Stage.INITIAL_REVIEW
    assert LABELLING not in keys(service, ref)


def test_the_service_lists_the_rules_in_force_and_the_changes(
    service: FilingService, clock: FakeClock
) -> None:
    today = service.rules.in_force()
    assert today.day == date(2026, 11, 2) and today.version == service.rules.rules.version
    assert today.calendar_coverage == "override" and today.calendar_warning is None
    assert LABELLING in {v.key for v in today.rules}
    earlier = service.rules.in_force(date(2025, 8, 31))
    assert LABELLING not in {v.key for v in earlier.rules}
    ahead = service.rules.in_force(date(2027, 3, 1))
    assert ahead.calendar_coverage == "statutory" and ahead.calendar_provisional is True
    assert today.calendar_provisional is False
    assert ahead.calendar_warning is not None and "调休 not yet published" in ahead.calendar_warning
    changes = service.rules.rule_changes(date(2025, 8, 31))
    assert [(c.day, c.rule.key) for c in changes] == [
        (date(2025, 9, 1), LABELLING),
        (date(2025, 11, 1), QUESTIONS),
    ]
    assert service.rules.rule_changes(date(2025, 8, 31), date(2025, 10, 1))[0].change == "added"
    with pytest.raises(UsageError, match="after"):
        service.rules.rule_changes(date(2026, 12, 1))
