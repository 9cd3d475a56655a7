"""The content of a digest, gathered from the store and the rules: what moved, deadlines, stalled filings.

A filing stalls when it has been in a stage (under review, or returned) for more working days than the stage
usually takes: the median of this database's finished visits of that stage once there are
`history_min_samples` of them, else the rules' prior median (`data/rules/forecast.toml`, with its source).
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import states
from states import Kind, Stage
from tracker.domain.digest import Digest, DigestDeadline, DigestEvent, Moved, Stalled
from tracker.errors import UsageError
from tracker.notify import repo_digest as q
from tracker.timeutil import beijing_date

if TYPE_CHECKING:
    from tracker.rules.service import RulesService
    from tracker.store.db import Store

__all__ = ["build"]

_EVENTS: dict[str, Moved] = {
    "approve": "approved",
    "return_for_revision": "returned",
    "submit": "submitted",
    "resubmit": "submitted",
}
_WAITING = tuple(
    sorted(
        {
            s.value
            for k in Kind
            for s in Stage
            if s is Stage.RETURNED or states.has_tag(k, s, "with_regulator")
        }
    )
)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def build(store: Store, rules: RulesService, since: datetime, until: datetime, *, within: int = 10) -> Digest:
    """The digest of [since, until): moves, deadlines due within `within` working days or overdue, stalls.

    Raises `UsageError` (an empty period), `RulesError`, `StorageError`.
    """
    if until <= since:
        raise UsageError(f"the digest period {since.isoformat()} – {until.isoformat()} is empty")
    moved: list[DigestEvent] = []
    with store.unit() as session:
        for r in q.moved(session, since, until):
            fid, ref, title, org_id, org, event, to_stage, kind, reason, number, actor, at = r
            what = _EVENTS[event]
            detail = number if what == "approved" else reason if what == "returned" else None
            if what == "submitted":
                detail = states.label(Stage(to_stage), "both", Kind(kind))
            moved.append(DigestEvent(what, fid, ref, title, org_id, org, _aware(at), detail, actor))
        for fid, ref, title, org_id, org, created, creator in q.created(session, since, until):
            moved.append(DigestEvent("new", fid, ref, title, org_id, org, _aware(created), None, creator))
        waiting = q.in_stages(session, _WAITING)
    stalled = _stalled(rules, waiting)
    due: list[DigestDeadline] = []
    overdue: list[DigestDeadline] = []
    for f, d in rules.due(within):
        item = DigestDeadline(
            f.id,
            f.ref,
            f.title,
            f.organisation_id,
            f"{d.id} {d.zh} ({d.en})",
            d.due_date,
            d.working_days_left,
            d.overdue,
            d.regulator_sla,
            d.provisional,
        )
        (overdue if d.overdue else due).append(item)
    return Digest(since, until, rules.today(), within, tuple(moved), tuple(due), tuple(overdue), stalled)


def _stalled(rules: RulesService, rows: list[Any]) -> tuple[Stalled, ...]:
    usual: dict[tuple[Kind, Stage], list[float]] = {}
    for kind, visits in rules.stage_samples().items():
        for s in visits:
            usual.setdefault((kind, s.stage), []).append(s.working_days)
    today = rules.today()
    out: list[Stalled] = []
    for fid, ref, title, org_id, kind_name, stage_name, entered in rows:
        kind, stage = Kind(kind_name), Stage(stage_name)
        history = usual.get((kind, stage), [])
        if len(history) >= rules.rules.history_min_samples:
            typical = float(statistics.median(history))
            basis = f"median of {len(history)} visits in this database"
        else:
            prior = rules.rules.prior(kind, stage)
            if prior is None:
                continue
            typical, basis = prior.median, rules.rules.prior_basis
        spent = rules.calendar.workdays_between(beijing_date(_aware(entered)), today).days
        if spent > typical:
            label = states.label(stage, "both", kind)
            out.append(Stalled(fid, ref, title, org_id, label, spent, typical, basis))
    return tuple(sorted(out, key=lambda s: s.ref))
