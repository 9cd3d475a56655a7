"""Text and JSON output for the CLI. JSON shapes here are a documented, stable API."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO

import states
from states import Kind, Lang, Stage
from tracker.domain import Filing, Organisation, Transition
from tracker.timeutil import iso, show


def width(text: str) -> int:
    """Terminal columns taken by `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """Left-align `text` in `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], out: TextIO | None = None) -> None:
    """Print an aligned plain-text table."""
    out = out or sys.stdout
    body = [list(map(str, r)) for r in rows]
    widths = [width(h) for h in headers]
    for r in body:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], width(cell))
    out.write("  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip() + "\n")
    for r in body:
        out.write("  ".join(pad(c, widths[i]) for i, c in enumerate(r)).rstrip() + "\n")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dump_json(data: Any, out: TextIO | None = None) -> None:
    """Write JSON (UTF-8, Chinese kept readable)."""
    out = out or sys.stdout
    out.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default))
    out.write("\n")


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


def stage_text(stage: Stage, kind: Kind, lang: Lang) -> str:
    """A stage name in the configured display language."""
    return states.label(stage, lang, kind)


def filing_lines(f: Filing, lang: Lang) -> list[tuple[str, str]]:
    """Label/value pairs for `beian show`."""
    pairs = [
        ("ref", f"{f.ref} (id {f.id}, version {f.version})"),
        ("title", f.title),
        ("kind", states.label(f.kind, lang)),
        ("organisation", f.organisation),
        ("stage", stage_text(f.stage, f.kind, lang) + f" since {show(f.stage_entered_at)}"),
    ]
    if f.role:
        pairs.append(("role", states.label(f.role, lang)))
    if f.algorithm_type:
        pairs.append(("algorithm type", states.label(f.algorithm_type, lang)))
    if f.upstream_model:
        pairs.append(("upstream model", f.upstream_model))
    if f.upstream_filing_number:
        pairs.append(("upstream filing number", f.upstream_filing_number))
    if f.returns:
        origin = stage_text(f.returned_from, f.kind, lang) if f.returned_from else "?"
        pairs.append(("returns", f"{f.returns} (last from {origin})"))
    if f.filing_number:
        pairs.append(("filing number", f.filing_number))
    for name in ("launch_date", "change_date", "termination_date"):
        value = getattr(f, name)
        if value:
            pairs.append((name.replace("_", " "), value.isoformat()))
    if f.description:
        pairs.append(("description", f.description))
    return pairs
