"""Rules in force by date: what applies on a day, and what changed between two days (`beian rules`).

Every materials item, deadline and setting of `data/rules/*.toml` may carry `effective_from` /
`effective_until` (inclusive Beijing dates, with their own source). A rule without them applies on every date.
Examples shipped: the content-labelling material from 2025-09-01 (《人工智能生成合成内容标识办法》 art. 12,
DOMAIN §1.4) and the GB/T 45654-2025 version of the GenAI test questions from 2025-11-01 (DOMAIN §2.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from tracker.errors import UsageError
from tracker.rules.calendar import WorkCalendar
from tracker.rules.model import Condition, DeadlineRule, Effective, MaterialItem, RuleSet, Setting, Source

__all__ = ["RuleChange", "RuleVersion", "RulesInForce", "changes_between", "rules_on", "versions_on"]

Section = Literal["material", "deadline", "setting"]
ChangeKind = Literal["added", "removed", "changed"]
_ORDER: dict[str, int] = {"setting": 0, "material": 1, "deadline": 2}


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """One version of one rule as `beian rules` lists it.

    `key` is the material key, the deadline id (D1…) or the setting name; `detail` says what the rule asks
    in a line (a material's conditions, a deadline's working days and trigger, a setting's value).
    """

    section: Section
    key: str
    zh: str
    en: str
    detail: str
    effective: Effective
    source: Source

    @property
    def label(self) -> str:
        """Bilingual label, "zh (en)"; a setting shows its name once."""
        return self.zh if self.zh == self.en else f"{self.zh} ({self.en})"


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule that started, stopped or changed on `day` (the first day the new state applies)."""

    day: date
    change: ChangeKind
    before: RuleVersion | None
    """The version in force the day before (None for an added rule)."""
    after: RuleVersion | None
    """The version in force from `day` (None for a removed rule)."""

    @property
    def rule(self) -> RuleVersion:
        """The version that describes the change: the new one, or the removed one."""
        found = self.after or self.before
        assert found is not None
        return found


@dataclass(frozen=True, slots=True)
class RulesInForce:
    """The rules in force on `day` (a Beijing date), and the calendar's state for that year."""

    day: date
    version: str
    """The rules set's `version` string."""
    rules: tuple[RuleVersion, ...]
    calendar_coverage: str
    """Where `day`'s holiday schedule comes from: override, package, partial, statutory (provisional) or none."""
    calendar_provisional: bool = False
    """The year's 调休 schedule is not yet published: working days that year may still change."""
    calendar_warning: str | None = None


def _condition(c: Condition) -> str:
    parts: list[str] = []
    if c.kinds is not None:
        parts.append("/".join(sorted(k.value for k in c.kinds)))
    if c.roles is not None:
        parts.append("/".join(sorted(r.value for r in c.roles)))
    if c.algorithm_types is not None:
        parts.append("/".join(sorted(t.value for t in c.algorithm_types)))
    if c.third_party is not None:
        parts.append("third-party model" if c.third_party else "own model")
    return " ".join(parts)


def _material(item: MaterialItem) -> RuleVersion:
    need = "mandatory" if item.mandatory else "recommended"
    when = " or ".join(_condition(c) for c in item.when) if item.when else "every filing"
    detail = f"{need}; {when}" + (f"; {item.note}" if item.note else "")
    return RuleVersion("material", item.key, item.zh, item.en, detail, item.effective, item.source)


def _deadline(rule: DeadlineRule) -> RuleVersion:
    kinds = "/".join(sorted(k.value for k in rule.kinds))
    who = "regulator" if rule.regulator_sla else "filer"
    detail = f"{rule.working_days} working days from {' or '.join(rule.triggers)}; {kinds}; binds the {who}"
    return RuleVersion("deadline", rule.id, rule.zh, rule.en, detail, rule.effective, rule.source)


def _setting(setting: Setting) -> RuleVersion:
    return RuleVersion(
        "setting",
        setting.name,
        setting.name,
        setting.name,
        str(setting.value),
        setting.effective,
        setting.source,
    )


def versions_on(rules: RuleSet, day: date) -> tuple[RuleVersion, ...]:
    """Every rule in force on `day` (a Beijing date): settings, then materials, then deadlines, in file order.

    A hand-built RuleSet without setting versions lists no settings.
    """
    now = rules.at(day)
    return (
        *(_setting(s) for s in now.settings),
        *(_material(i) for i in now.materials),
        *(_deadline(d) for d in now.deadlines),
    )


def rules_on(rules: RuleSet, calendar: WorkCalendar, day: date) -> RulesInForce:
    """The rules in force on `day` (a Beijing date) and the state of that year's holiday calendar."""
    return RulesInForce(
        day=day,
        version=rules.version,
        rules=versions_on(rules, day),
        calendar_coverage=calendar.coverage(day.year),
        calendar_provisional=calendar.is_provisional(day),
        calendar_warning=calendar.warning_for(day),
    )


def changes_between(rules: RuleSet, since: date, until: date) -> tuple[RuleChange, ...]:
    """What changed after `since` up to and including `until` (Beijing dates), by day then section and key.

    A rule in force on `since` and no longer on a later day is "removed" that day; one that appears is
    "added"; a key whose version changes (e.g. genai.test_questions on 2025-11-01) is "changed".
    Raises UsageError (exit 2) when `until` is before `since`.
    """
    if until < since:
        raise UsageError(f"--since {since} is after {until}", hint="give a --since date on or before --at")
    out: list[RuleChange] = []
    for day in rules.change_days():
        if not since < day <= until:
            continue
        before = {(v.section, v.key): v for v in versions_on(rules, day - timedelta(days=1))}
        after = {(v.section, v.key): v for v in versions_on(rules, day)}
        for key in sorted(before.keys() | after.keys(), key=lambda k: (_ORDER[k[0]], k[1])):
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            kind: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
            out.append(RuleChange(day, kind, old, new))
    return tuple(out)
