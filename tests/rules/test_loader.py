"""Loading the rules files: the shipped set, and errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from states import Kind, Stage
from tracker.errors import ConfigError
from tracker.rules import SOURCE_TAGS, RulesError, RuleSet, load_rules


def test_shipped_rules_load(rules: RuleSet) -> None:
    assert rules.version == "2026.11"
    assert rules.resubmit_reenters == "returned_from"
    assert rules.restart_on_resubmit is False
    assert rules.due_soon_days == 5
    assert 0.1 <= rules.offline_check_rate <= 0.3
    assert [d.id for d in rules.deadlines] == ["D1", "D2", "D3", "D4"]
    assert [d.working_days for d in rules.deadlines] == [10, 10, 20, 30]
    assert [d.regulator_sla for d in rules.deadlines] == [False, False, False, True]
    assert rules.review_paths[Kind.ALGORITHM] == (
        Stage.INITIAL_REVIEW,
        Stage.SECOND_REVIEW,
        Stage.OFFLINE_CHECK,
        Stage.FINAL_REVIEW,
    )


def test_every_fact_carries_a_source(rules: RuleSet) -> None:
    sources = [
        *(m.source for m in rules.materials),
        *(d.source for d in rules.deadlines),
        *(p.source for p in rules.priors.values()),
        *rules.setting_sources.values(),
    ]
    assert sources
    assert all(s.tag in SOURCE_TAGS and s.cite.strip() for s in sources)
    assert rules.setting_sources["resubmit_reenters"].tag == "UNCONFIRMED"


def test_default_folder_is_the_shipped_one(rules: RuleSet) -> None:
    assert load_rules() == rules


def _edit(folder: Path, name: str, old: str, new: str) -> int:
    """Replace the first `old` by `new` in one file; returns the 1-based line of the change."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text[:at].count("\n") + 1


def _error(folder: Path) -> RulesError:
    with pytest.raises(RulesError) as caught:
        load_rules(folder)
    return caught.value


def test_toml_syntax_error_names_file_and_line(rules_copy: Path) -> None:
    line = _edit(rules_copy, "deadlines.toml", "working_days = 20", "working_days = = 20")
    error = _error(rules_copy)
    assert str(error).startswith(f"{rules_copy / 'deadlines.toml'}, line {line}: invalid TOML")
    assert error.line == line
    assert error.path.name == "deadlines.toml"


@pytest.mark.parametrize(
    ("name", "old", "new", "fragment"),
    [
        ("materials.toml", "mandatory = false\nwhen", "mandatroy = false\nwhen", "unknown key 'mandatroy'"),
        (
            "materials.toml",
            'when = { kind = "entity" }',
            'when = { kind = "entities" }',
            "unknown kind 'entities'",
        ),
        ("materials.toml", 'role = "provider" }', 'role = "supplier" }', "unknown role 'supplier'"),
        ("materials.toml", "from = 2025-09-01", "from = 2025-13-01", "invalid TOML"),
        ("materials.toml", "from = 2025-09-01", 'from = "next year"', "must be a date"),
        ("materials.toml", 'source = "practitioner"', 'source = "blog"', "expected one of"),
        ("materials.toml", 'key = "entity.business_licence"', 'key = "entity.basic_info"', "defined twice"),
        ("deadlines.toml", "working_days = 20", 'working_days = "twenty"', "must be an integer"),
        ("deadlines.toml", "working_days = 20", "working_days = 0", "must be positive"),
        (
            "deadlines.toml",
            'trigger = "change_date"',
            'trigger = "changed_on"',
            "unknown trigger 'changed_on'",
        ),
        ("deadlines.toml", 'stages = ["draft"]', 'stages = ["under_review"]', "has no stage 'under_review'"),
        ("deadlines.toml", "regulator_sla = true", "regulator_sla = 1", "must be true or false"),
        ("forecast.toml", "median = 7\np80 = 10", "median = 12\np80 = 10", "median <= p80"),
        ("forecast.toml", 'stage = "under_review"', 'stage = "second_review"', "no stage 'second_review'"),
        ("settings.toml", 'value = "returned_from"', 'value = "restart"', "returned_from or initial_review"),
        ("settings.toml", "value = 0.2", "value = 1.5", "between 0 and 1"),
        ("settings.toml", "[settings.due_soon_days]", "[settings.due_soon]", "unknown key 'due_soon'"),
    ],
)
def test_schema_error_names_file_and_line(
    rules_copy: Path, name: str, old: str, new: str, fragment: str
) -> None:
    line = _edit(rules_copy, name, old, new)
    error = _error(rules_copy)
    assert error.path.name == name
    assert error.line == line, str(error)
    assert fragment in str(error)
    assert f"{name}, line {line}: " in str(error)


def test_rules_error_is_a_value_error_and_a_config_error(rules_copy: Path) -> None:
    _edit(rules_copy, "settings.toml", "value = 5", "value = -1")
    error = _error(rules_copy)
    assert isinstance(error, ValueError)
    assert isinstance(error, ConfigError)
    assert "\n" not in str(error)


def test_unknown_section(rules_copy: Path) -> None:
    (rules_copy / "extra.toml").write_text('version = "2026.11"\n\n[penalties]\nfine = 1\n', encoding="utf-8")
    error = _error(rules_copy)
    assert (error.path.name, error.line) == ("extra.toml", 3)
    assert "unknown section 'penalties'" in str(error)


def test_section_defined_twice(rules_copy: Path) -> None:
    text = (rules_copy / "settings.toml").read_text(encoding="utf-8")
    (rules_copy / "zz-more.toml").write_text(text, encoding="utf-8")
    error = _error(rules_copy)
    assert error.path.name == "zz-more.toml"
    assert "already defined in settings.toml" in str(error)


def test_version_mismatch(rules_copy: Path) -> None:
    _edit(rules_copy, "materials.toml", 'version = "2026.11"', 'version = "2027.01"')
    error = _error(rules_copy)
    assert error.path.name == "materials.toml"
    assert "differs" in str(error)


def test_missing_section(rules_copy: Path) -> None:
    (rules_copy / "deadlines.toml").unlink()
    error = _error(rules_copy)
    assert error.line is None
    assert "'deadlines'" in str(error)


def test_empty_folder(tmp_path: Path) -> None:
    assert "no rules files" in str(_error(tmp_path))


def test_restart_policy_is_a_setting(rules_copy: Path) -> None:
    _edit(rules_copy, "settings.toml", 'value = "returned_from"', 'value = "initial_review"')
    assert load_rules(rules_copy).restart_on_resubmit is True
