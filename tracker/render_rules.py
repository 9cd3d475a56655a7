"""Text and JSON for materials, deadlines and forecasts. The JSON shapes are a documented, stable API."""

from __future__ import annotations

from typing import Any

import states
from states import Lang
from tracker.domain import DeadlineView, Filing, ForecastView, MaterialStatus, StageEstimate
from tracker.timeutil import iso, show

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


def material_json(m: MaterialStatus) -> dict[str, Any]:
    """The stable JSON object of one checklist item."""
    return {
        "key": m.key,
        "zh": m.zh,
        "en": m.en,
        "mandatory": m.mandatory,
        "provided": m.provided,
        "path": m.path,
        "note": m.note,
        "checked_by": m.checked_by,
        "checked_at": iso(m.checked_at),
        "reopened": m.reopened,
        "check": m.check,
        "hint": m.hint,
        "source": m.source,
    }


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


def deadline_json(d: DeadlineView, f: Filing | None = None) -> dict[str, Any]:
    """The stable JSON object of one running deadline (with its filing's identity when given)."""
    data: dict[str, Any] = {"filing_id": d.filing_id, "ref": d.ref}
    if f is not None:
        data |= {
            "title": f.title,
            "organisation": f.organisation,
            "kind": f.kind.value,
            "stage": f.stage.value,
            "stage_zh": states.zh(f.stage, f.kind),
        }
    return data | {
        "id": d.id,
        "zh": d.zh,
        "en": d.en,
        "trigger": d.trigger,
        "trigger_date": d.trigger_date.isoformat(),
        "due_date": d.due_date.isoformat(),
        "working_days": d.working_days,
        "working_days_left": d.working_days_left,
        "overdue": d.overdue,
        "due_soon": d.due_soon,
        "regulator_sla": d.regulator_sla,
        "basis": d.basis,
        "warnings": list(d.warnings),
        "provisional": d.provisional,
    }


def _estimate_json(s: StageEstimate, kind: states.Kind) -> dict[str, Any]:
    return {
        "stage": s.stage.value,
        "stage_zh": states.zh(s.stage, kind),
        "median_days": s.median_days,
        "p80_days": s.p80_days,
        "probability": s.probability,
        "basis": s.basis,
        "samples": s.samples,
        "elapsed_days": s.elapsed_days,
    }


def forecast_json(v: ForecastView) -> dict[str, Any]:
    """The stable JSON object of a forecast."""
    return {
        "filing_id": v.filing_id,
        "ref": v.ref,
        "kind": v.kind.value,
        "stage": v.stage.value,
        "stage_zh": states.zh(v.stage, v.kind),
        "target": v.target.value if v.target else None,
        "median_date": v.median_date.isoformat() if v.median_date else None,
        "p80_date": v.p80_date.isoformat() if v.p80_date else None,
        "median_days": v.median_days,
        "p80_days": v.p80_days,
        "basis": v.basis,
        "rules_version": v.rules_version,
        "stages": [_estimate_json(s, v.kind) for s in v.stages],
        "per_return": _estimate_json(v.per_return, v.kind) if v.per_return else None,
        "warnings": list(v.warnings),
    }
