"""Text output of the rules commands: materials checklists, trigger dates, deadlines and forecasts."""

from __future__ import annotations

from states import Lang
from tracker.domain import DeadlineView, MaterialStatus
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


def days_text(d: DeadlineView) -> str:
    """`12`, `3 soon`, or `overdue 4` working days."""
    if d.overdue:
        return f"overdue {abs(d.working_days_left)}"
    return f"{d.working_days_left} soon" if d.due_soon else str(d.working_days_left)


def deadline_line(d: DeadlineView, lang: Lang) -> str:
    """One deadline as a sentence: what, from when, due when, how many working days left."""
    trigger = bilingual(*TRIGGERS[d.trigger], lang)
    if d.overdue:
        left = f"overdue by {abs(d.working_days_left)} working days"
    else:
        left = f"{d.working_days_left} working days left" + (" (due soon)" if d.due_soon else "")
    who = "; binds the regulator" if d.regulator_sla else ""
    return (
        f"{d.id} {bilingual(d.zh, d.en, lang)}: {d.working_days} working days from {trigger} "
        f"{d.trigger_date.isoformat()}, due {d.due_date.isoformat()}, {left}{who}"
    )
