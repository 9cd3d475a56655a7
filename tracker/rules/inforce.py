"""Rules in force by date: what applies on a day, and what changed between two days (`beian rules`).

Every materials item, deadline and setting of `data/rules/*.toml` may carry `effective_from` /
`effective_until` (inclusive Beijing dates, with their own source). A rule without them applies on every date.
Examples shipped: the content-labelling material from 2025-09-01 (《人工智能生成合成内容标识办法》 art. 12,
DOMAIN §1.4) and the GB/T 45654-2025 version of the GenAI test questions from 2025-11-01 (DOMAIN §2.6).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from tracker.domain import RuleChange, RulesInForce, RuleVersion
from tracker.errors import UsageError
from tracker.rules.calendar import WorkCalendar
from tracker.rules.model import Condition, DeadlineRule, Effective, MaterialItem, RuleSet, Setting, Source

__all__ = ["RuleChange", "RuleVersion", "RulesInForce", "changes_between", "rules_on", "versions_on"]
"""The domain types are re-exported here for the rules package's callers."""

_ORDER: dict[str, int] = {"setting": 0, "material": 1, "deadline": 2}


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


def _version(
    section: Literal["material", "deadline", "setting"],
    key: str,
    zh: str,
    en: str,
    detail: str,
    source: Source,
    effective: Effective,
) -> RuleVersion:
    dated = effective.source
    return RuleVersion(
        section=section,
        key=key,
        zh=zh,
        en=en,
        detail=detail,
        source=source.tag,
        cite=source.cite,
        effective_from=effective.start,
        effective_until=effective.until,
        effective_source=dated.tag if dated else None,
        effective_cite=dated.cite if dated else None,
    )


def _material(item: MaterialItem) -> RuleVersion:
    need = "mandatory" if item.mandatory else "recommended"
    when = " or ".join(_condition(c) for c in item.when) if item.when else "every filing"
    detail = f"{need}; {when}" + (f"; {item.note}" if item.note else "")
    return _version("material", item.key, item.zh, item.en, detail, item.source, item.effective)


def _deadline(rule: DeadlineRule) -> RuleVersion:
    kinds = "/".join(sorted(k.value for k in rule.kinds))
    who = "regulator" if rule.regulator_sla else "filer"
    detail = f"{rule.working_days} working days from {' or '.join(rule.triggers)}; {kinds}; binds the {who}"
    return _version("deadline", rule.id, rule.zh, rule.en, detail, rule.source, rule.effective)


def _setting(setting: Setting) -> RuleVersion:
    name = setting.name
    return _version("setting", name, name, name, str(setting.value), setting.source, setting.effective)


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
            kind: Literal["added", "removed", "changed"] = (
                "added" if old is None else "removed" if new is None else "changed"
            )
            out.append(RuleChange(day, kind, old, new))
    return tuple(out)
