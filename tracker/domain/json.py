"""The documented JSON shapes (`--json` of every command): one encoder per domain type.

These shapes are a stable API for scripts (see the README). The CLI prints them, the filing service uses
`filing_json` to export filings where the database cannot, and the SQLite renderer of `beian list --json`
(`tracker.filings.repo`) builds the same object in SQL from `FILING_KEYS`, so both must agree.
Times are ISO 8601 in UTC with `Z`; dates `YYYY-MM-DD`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import states
from states import Kind, Stage
from tracker.domain.filings import Filing, Organisation, Transition
from tracker.domain.notify import DispatchReport, Notification, Recipient, SmsPreview, StatusReport
from tracker.domain.rules import (
    DeadlineView,
    Forecast,
    MaterialStatus,
    RuleChange,
    RulesInForce,
    RuleVersion,
    StageEstimate,
)
from tracker.timeutil import iso

FILING_KEYS: tuple[str, ...] = (
    "id",
    "ref",
    "kind",
    "kind_zh",
    "title",
    "organisation",
    "organisation_id",
    "algorithm_type",
    "algorithm_type_zh",
    "role",
    "role_zh",
    "stage",
    "stage_zh",
    "returned_from",
    "returns",
    "filing_number",
    "upstream_model",
    "upstream_filing_number",
    "public_opinion",
    "launch_date",
    "change_date",
    "termination_date",
    "version",
    "stage_entered_at",
    "created_at",
    "updated_at",
)
"""The keys of a filing object, in order (`filing_json` and the SQL renderer both follow it)."""


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)`: datetimes as ISO 8601 UTC with `Z`, dates as `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def filing_json(f: Filing | Mapping[str, Any]) -> dict[str, Any]:
    """The stable JSON object of one filing (`beian show --json`, items of `beian list --json`)."""
    m: Mapping[str, Any] = f if isinstance(f, Mapping) else _filing_mapping(f)
    kind = Kind(m["kind"])
    stage = m["stage"]
    algo = m["algorithm_type"]
    role = m["role"]
    returned_from = m["returned_from"]
    return {
        "id": m["id"],
        "ref": m["ref"],
        "kind": kind.value,
        "kind_zh": _ZH_KIND[kind],
        "title": m["title"],
        "organisation": m["organisation_name"],
        "organisation_id": m["organisation_id"],
        "algorithm_type": algo,
        "algorithm_type_zh": _ZH_ALGO.get(algo) if algo else None,
        "role": role,
        "role_zh": _ZH_ROLE.get(role) if role else None,
        "stage": stage,
        "stage_zh": states.zh(Stage(stage), kind),
        "returned_from": returned_from,
        "returns": m["returns"],
        "filing_number": m["filing_number"],
        "upstream_model": m["upstream_model"],
        "upstream_filing_number": m["upstream_filing_number"],
        "public_opinion": bool(m["public_opinion"]),
        "launch_date": _day(m["launch_date"]),
        "change_date": _day(m["change_date"]),
        "termination_date": _day(m["termination_date"]),
        "version": m["version"],
        "stage_entered_at": _utc(m["stage_entered_at"]),
        "created_at": _utc(m["created_at"]),
        "updated_at": _utc(m["updated_at"]),
    }


_ZH_KIND = {k: states.zh(k) for k in Kind}
_ZH_ALGO = {a.value: states.zh(a) for a in states.AlgorithmType}
_ZH_ROLE = {r.value: states.zh(r) for r in states.Role}


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # plain rows carry naive UTC
        return value.isoformat() + "Z"
    return iso(value)


def _filing_mapping(f: Filing) -> dict[str, Any]:
    return {
        "id": f.id,
        "ref": f.ref,
        "kind": f.kind.value,
        "title": f.title,
        "organisation_name": f.organisation,
        "organisation_id": f.organisation_id,
        "algorithm_type": f.algorithm_type.value if f.algorithm_type else None,
        "role": f.role.value if f.role else None,
        "stage": f.stage.value,
        "returned_from": f.returned_from.value if f.returned_from else None,
        "returns": f.returns,
        "filing_number": f.filing_number,
        "upstream_model": f.upstream_model,
        "upstream_filing_number": f.upstream_filing_number,
        "public_opinion": f.public_opinion,
        "launch_date": f.launch_date,
        "change_date": f.change_date,
        "termination_date": f.termination_date,
        "version": f.version,
        "stage_entered_at": f.stage_entered_at,
        "created_at": f.created_at,
        "updated_at": f.updated_at,
    }


def transition_json(t: Transition, kind: Kind) -> dict[str, Any]:
    """The stable JSON object of one history row."""
    return {
        "id": t.id,
        "event": t.event.value,
        "event_zh": states.zh(t.event, kind),
        "from": t.from_stage.value,
        "from_zh": states.zh(t.from_stage, kind),
        "to": t.to_stage.value,
        "to_zh": states.zh(t.to_stage, kind),
        "effective_at": iso(t.effective_at),
        "recorded_at": iso(t.recorded_at),
        "actor": t.actor,
        "source": t.source,
        "note": t.note,
        "reason": t.reason,
        "filing_number": t.filing_number,
    }


def organisation_json(o: Organisation) -> dict[str, Any]:
    """The stable JSON object of one organisation."""
    return {
        "id": o.id,
        "name": o.name,
        "credit_code": o.credit_code,
        "region": o.region,
        "created_at": iso(o.created_at),
    }


def outcome_json(o: states.Outcome, kind: Kind) -> dict[str, Any]:
    """An event leaving the current stage: allowed, or refused with reasons."""
    return {
        "event": o.event.value,
        "event_zh": states.zh(o.event, kind),
        "allowed": o.allowed,
        "to": o.dest.value if o.dest else None,
        "to_zh": states.zh(o.dest, kind) if o.dest else None,
        "refusals": list(o.refusals),
    }


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


def forecast_json(v: Forecast) -> dict[str, Any]:
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


def recipient_json(r: Recipient, scope: str | None = None) -> dict[str, Any]:
    """The stable JSON object of a recipient."""
    return {
        "id": r.id,
        "phone": r.phone,
        "name": r.name,
        "events": list(r.events),
        "language": r.language,
        "organisation_id": r.organisation_id,
        "filing_id": r.filing_id,
        "scope": scope,
        "created_at": r.created_at,
    }


def notification_json(n: Notification) -> dict[str, Any]:
    """The stable JSON object of an outbox row (never any credential)."""
    data = asdict(n)
    data["filing"] = data.pop("filing_ref")
    return data


def preview_json(p: SmsPreview) -> dict[str, Any]:
    """The stable JSON object of `beian notify preview`."""
    data = asdict(p)
    data["filing"] = data.pop("ref")
    return data


def dispatch_json(report: DispatchReport) -> dict[str, Any]:
    """The stable JSON object of one dispatcher pass (`beian notify send`), with the messages of a dry run."""
    data = {k: v for k, v in asdict(report).items() if k != "previews"}
    data["summary"] = report.summary
    data["messages"] = [notification_json(n) for n in report.previews]
    return data


def status_json(report: StatusReport) -> dict[str, Any]:
    """The stable JSON object of one delivery-status poll (`beian notify status`)."""
    return {**asdict(report), "statuses": dict(report.statuses), "summary": report.summary}


def _iso_day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def rule_json(v: RuleVersion) -> dict[str, Any]:
    """The stable JSON object of one rule version (`beian rules`)."""
    return {
        "section": v.section,
        "key": v.key,
        "zh": v.zh,
        "en": v.en,
        "detail": v.detail,
        "source": v.source,
        "cite": v.cite,
        "effective_from": _iso_day(v.effective_from),
        "effective_until": _iso_day(v.effective_until),
        "effective_source": v.effective_source,
        "effective_cite": v.effective_cite,
    }


def rule_change_json(c: RuleChange) -> dict[str, Any]:
    """The stable JSON object of one change of the rules between two dates."""
    return {
        "day": c.day.isoformat(),
        "change": c.change,
        "section": c.rule.section,
        "key": c.rule.key,
        "before": rule_json(c.before) if c.before else None,
        "after": rule_json(c.after) if c.after else None,
    }


def rules_json(view: RulesInForce, since: date | None, changes: tuple[RuleChange, ...]) -> dict[str, Any]:
    """`beian rules --json`: the rules in force on a date, the calendar's state, and the changes since a date."""
    return {
        "at": view.day.isoformat(),
        "rules_version": view.version,
        "calendar": {
            "year": view.day.year,
            "coverage": view.calendar_coverage,
            "provisional": view.calendar_provisional,
            "warning": view.calendar_warning,
        },
        "rules": [rule_json(v) for v in view.rules],
        "since": _iso_day(since),
        "changes": [rule_change_json(c) for c in changes],
    }
