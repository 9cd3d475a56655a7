"""Text output of the rules commands: materials checklists, trigger dates, deadlines, forecasts, and the rules
in force by date."""

from __future__ import annotations

from states import Lang
from tracker.domain import DeadlineView, MaterialStatus, RuleChange, RulesInForce, RuleVersion
from tracker.timeutil import show

TRIGGERS: dict[str, tuple[str, str]] = {
    "launch_date": ("上线日期", "launch date"),
    "change_date": ("变更日期", "change date"),
    "termination_date": ("终止服务日期", "termination date"),
    "materials_complete_date": ("材料齐全日期", "materials complete"),
    "submitted": ("提交日期", "submitted"),
}
"""Bilingual names of the dates a deadline can run from."""


def bilingual(zh: str, en: str, lang: Lang, *, short: bool = False) -> str:
    """`zh (en)`, or one of them; `short` drops the bracketed details of long checklist labels."""
    if short:
        zh, en = zh.split("（")[0], en.split(" (")[0]
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} ({en})"


def material_state(m: MaterialStatus) -> str:
    """What the status column of `beian materials` says about one item."""
    if m.provided:
        by = f" by {m.checked_by}" if m.checked_by else ""
        parts = [f"provided{by} {show(m.checked_at)}".rstrip()]
        parts += [x for x in (m.path, m.note) if x]
        return " · ".join(parts)
    if m.reopened:
        return f"reopened by a return (×{m.reopened})" + (" · recommended" if not m.mandatory else "")
    return "missing (缺)" if m.mandatory else "recommended (建议)"


def due_text(d: DeadlineView) -> str:
    """The due date, marked `provisional` when it was counted through a year whose 调休 schedule is unpublished."""
    return d.due_date.isoformat() + (" provisional" if d.provisional else "")


def days_text(d: DeadlineView) -> str:
    """`12`, `3 soon`, or `overdue 4` working days."""
    if d.overdue:
        return f"overdue {abs(d.working_days_left)}"
    return f"{d.working_days_left} soon" if d.due_soon else str(d.working_days_left)


def deadline_line(d: DeadlineView, lang: Lang) -> str:
    """One deadline as a sentence: what, from when, due when (marked provisional when the count runs through a
    year whose 调休 schedule is not yet published), how many working days left."""
    trigger = bilingual(*TRIGGERS[d.trigger], lang)
    if d.overdue:
        left = f"overdue by {abs(d.working_days_left)} working days"
    else:
        left = f"{d.working_days_left} working days left" + (" (due soon)" if d.due_soon else "")
    who = "; binds the regulator" if d.regulator_sla else ""
    provisional = " (provisional: 调休 not yet published)" if d.provisional else ""
    return (
        f"{d.id} {bilingual(d.zh, d.en, lang)}: {d.working_days} working days from {trigger} "
        f"{d.trigger_date.isoformat()}, due {d.due_date.isoformat()}{provisional}, {left}{who}"
    )


SECTION_NAMES = {"setting": "settings (设置)", "material": "materials (材料)", "deadline": "deadlines (期限)"}


def period(v: RuleVersion) -> str:
    """When a rule version is in force: `always`, `from 2025-09-01`, `until 2025-10-31`, or both dates."""
    start, until = v.effective_from, v.effective_until
    if start and until:
        return f"{start} to {until}"
    if start:
        return f"from {start}"
    return f"until {until}" if until else "always"


def rule_line(v: RuleVersion, lang: Lang, *, short: bool = True) -> str:
    """One rule: key, label, what it asks, when it applies and where that date comes from."""
    label = v.key if v.section == "setting" else f"{v.key} {bilingual(v.zh, v.en, lang, short=short)}"
    value = f"= {v.detail}" if v.section == "setting" else f"— {v.detail}"
    dated = f" [{period(v)}: {v.effective_source}]" if v.effective_source else ""
    return f"{label} {value}{dated}"


def rules_lines(view: RulesInForce, lang: Lang) -> list[str]:
    """`beian rules`: the heading, then each section's rules in force on the day."""
    calendar = "provisional" if view.calendar_provisional else "published"
    out = [
        f"rules in force on {view.day} (rules version {view.version}); "
        f"holiday schedule {view.day.year}: {calendar} ({view.calendar_coverage})"
    ]
    for section, name in SECTION_NAMES.items():
        found = [v for v in view.rules if v.section == section]
        if found:
            out.append(f"{name}:")
            out += [f"  {rule_line(v, lang)}" for v in found]
    return out


def change_lines(changes: tuple[RuleChange, ...], since: object, until: object, lang: Lang) -> list[str]:
    """`beian rules --since`: one line per change, oldest first, with the version before and after."""
    if not changes:
        return [f"no rule changed after {since} up to {until}"]
    out = [f"rules changed after {since} up to {until}:"]
    for c in changes:
        v = c.rule
        out.append(f"  {c.day} {c.change} {v.section} {rule_line(v, lang, short=False)}")
        if c.change == "changed" and c.before is not None:
            out.append(f"    before: {rule_line(c.before, lang, short=False)}")
    return out
