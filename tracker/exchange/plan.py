"""Planning an import: match valid rows to the database and decide, per row, what applying would do.

Nothing here writes. Rows are matched by reference, else filing number (in any letter case), else organisation +
name (+ role); each becomes a `PlanItem` (new, approve, update, append, unchanged or conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import states
from states import AlgorithmType, Event, GuardContext, Kind, Stage
from tracker.exchange import repo as xrepo
from tracker.exchange.fields import Layout
from tracker.exchange.rows import ImportRecord, Problem, name_key, on_day

IMPORT_SOURCE = "import"
"""The history `source` of facts an import records without their history (excluded from forecast learning)."""
Action = Literal["new", "approve", "update", "append", "unchanged", "conflict"]
Progress = Callable[[str, int, int | None], None]
"""Called with (phase, done, total or None) while reading, planning, writing."""
BEIJING = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class PlanItem:
    """What an import does with one valid row."""

    action: Action
    record: ImportRecord
    ref: str | None = None
    """The filing it matched, or the reference it will get."""
    changes: tuple[str, ...] = ()
    reason: str | None = None
    """Why a conflict cannot be applied."""


@dataclass
class ImportPlan:
    """The validation report and the plan of an import, before anything is written."""

    path: Path
    format: str
    encoding: str | None
    layouts: list[Layout]
    rows: int
    problems: list[Problem]
    items: list[PlanItem]
    ignored_columns: list[str] = field(default_factory=list)
    new_organisations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, action: Action) -> int:
        """Plan items of one action."""
        return sum(1 for item in self.items if item.action == action)

    @property
    def conflicts(self) -> list[PlanItem]:
        """Rows that match the database in a way that cannot be applied."""
        return [item for item in self.items if item.action == "conflict"]

    @property
    def clean(self) -> bool:
        """No invalid row and no conflict: the import can be applied as a whole."""
        return not self.problems and not self.conflicts

    @property
    def changes(self) -> int:
        """Rows that would change the database."""
        return sum(1 for item in self.items if item.action not in ("unchanged", "conflict"))


@dataclass
class ImportResult:
    """What an applied import did."""

    plan: ImportPlan
    applied: bool
    created: int = 0
    approved: int = 0
    updated: int = 0
    appended: int = 0
    organisations: int = 0
    rejected: int = 0
    rejected_file: Path | None = None


@dataclass
class Index:
    """The database as matching sees it, loaded once per import."""

    orgs_by_name: dict[str, xrepo.OrgState]
    orgs_by_code: dict[str, xrepo.OrgState]
    by_ref: dict[str, dict[str, Any]]
    by_number: dict[str, dict[str, Any]]
    by_name: dict[tuple[str, str, str], list[dict[str, Any]]]
    seqs: dict[str, int]


def build_index(conn: Any) -> Index:
    """The database as matching sees it: organisations, filings by reference, number and name, sequences."""
    orgs = xrepo.organisations(conn)
    rows = xrepo.filings(conn)
    index = Index(
        orgs_by_name={name_key(o.name): o for o in orgs},
        orgs_by_code={o.credit_code: o for o in orgs if o.credit_code},
        by_ref={r["ref"].upper(): r for r in rows},
        by_number={states.filing_number_key(r["filing_number"]): r for r in rows if r["filing_number"]},
        by_name={},
        seqs=xrepo.max_seqs(conn),
    )
    for r in rows:
        key = (name_key(r["organisation_name"]), name_key(r["title"]), r["kind"])
        index.by_name.setdefault(key, []).append(r)
    return index


# -- planning ------------------------------------------------------------------------------------------------


def make_plan(
    conn: Any, index: Index, records: list[ImportRecord], progress: Progress | None, now: datetime
) -> list[PlanItem]:
    """One plan item per valid record, matched against `index`; nothing is written (`now`: aware UTC)."""
    matched = {id(r): _match(index, r) for r in records}
    with_history = [m["id"] for r in records if (m := matched[id(r)]) is not None and r.history]
    stored_history = xrepo.histories(conn, with_history) if with_history else {}
    items: list[PlanItem] = []
    for n, record in enumerate(records, start=1):
        found = matched[id(record)]
        org_conflict = _org_conflict(index, record)
        if found is None:
            items.append(org_conflict or _plan_new(index, record))
        else:
            items.append(
                org_conflict or _plan_match(index, record, found, stored_history.get(found["id"], []), now)
            )
        if progress is not None and n % 1000 == 0:
            progress("planning", n, len(records))
    return items


def _match(index: Index, record: ImportRecord) -> dict[str, Any] | None:
    if record.ref:
        found = index.by_ref.get(record.ref.upper())
        if found is not None and found["kind"] == record.kind.value:
            return found
    if record.number_key:
        found = index.by_number.get(record.number_key)
        if found is not None:
            return found
    organisation, title, kind, role = record.name_key
    same = index.by_name.get((organisation, title, kind))
    if not same:
        return None
    if role:
        same = [r for r in same if (r["role"] or "") == role]
    return same[0] if len(same) == 1 else None


def _org_conflict(index: Index, record: ImportRecord) -> PlanItem | None:
    if not record.credit_code:
        return None
    holder = index.orgs_by_code.get(record.credit_code)
    if holder is not None and name_key(holder.name) != record.name_key[0]:
        return PlanItem(
            "conflict",
            record,
            reason=f"credit code {record.credit_code} belongs to {holder.name} in this database",
        )
    org = index.orgs_by_name.get(record.name_key[0])
    if org is not None and org.credit_code and org.credit_code != record.credit_code:
        return PlanItem(
            "conflict",
            record,
            reason=f"{org.name} has credit code {org.credit_code} in this database, the file says {record.credit_code}",
        )
    return None


@lru_cache(maxsize=256)
def _new_at(kind: Kind, stage: Stage) -> str:
    return f"new {states.label(kind, 'both')} at {states.label(stage, 'both', kind)}"


def _plan_new(index: Index, record: ImportRecord) -> PlanItem:
    if record.ref and record.ref.upper() in index.by_ref:
        other = index.by_ref[record.ref.upper()]
        return PlanItem(
            "conflict",
            record,
            record.ref,
            reason=f"{record.ref} is a {other['kind']} filing here ({other['title']})",
        )
    changes = [_new_at(record.kind, record.stage)]
    if record.filing_number:
        changes.append(f"number {record.filing_number}")
    if record.history:
        changes.append(f"{len(record.history)} history events")
    return PlanItem("new", record, record.ref, tuple(changes))


def _plan_match(
    index: Index,
    record: ImportRecord,
    found: dict[str, Any],
    stored: list[dict[str, Any]],
    now: datetime,
) -> PlanItem:
    ref = found["ref"]
    kind = Kind(found["kind"])
    stage = Stage(found["stage"])
    if kind is not record.kind:
        return PlanItem(
            "conflict",
            record,
            ref,
            reason=f"{ref} is a {kind.value} filing, the file says {record.kind.value}",
        )
    if name_key(found["organisation_name"]) != name_key(record.organisation):
        return PlanItem(
            "conflict",
            record,
            ref,
            reason=f"{ref} belongs to {found['organisation_name']}, the file says {record.organisation}",
        )
    number_conflict = _number_conflict(index, record, found)
    if number_conflict:
        return PlanItem("conflict", record, ref, reason=number_conflict)
    if record.history:
        return _plan_history(record, found, stored)
    updates = _field_updates(record, found)
    if record.stage is not stage:
        if record.stage is Stage.APPROVED and states.has_tag(kind, stage, "with_regulator"):
            problem = _approval_problem(record, found)
            if problem:
                return PlanItem("conflict", record, ref, reason=f"{ref}: {problem}")
            when = approval_time(record, found, now)
            number = f" with {record.filing_number}" if record.filing_number else ""
            changes = [f"approve{number} on {beijing_day(when)}"]
            if not states.evaluate(_context(found, record.filing_number), Event.APPROVE).allowed:
                changes.append(f"from {states.label(stage, 'zh', kind)}: the stages between are not recorded")
            return PlanItem("approve", record, ref, (*changes, *updates))
        return PlanItem(
            "conflict",
            record,
            ref,
            reason=f"the file says {states.label(record.stage, 'both', kind)}, this database has {ref} at "
            f"{states.label(stage, 'both', kind)}: record the events with `beian advance`",
        )
    if updates:
        return PlanItem("update", record, ref, tuple(updates))
    return PlanItem("unchanged", record, ref)


def _number_conflict(index: Index, record: ImportRecord, found: dict[str, Any]) -> str | None:
    if not record.number_key:
        return None
    holder = index.by_number.get(record.number_key)
    if holder is not None and holder["id"] != found["id"]:
        return f"number {record.filing_number} is recorded on {holder['ref']} ({holder['title']})"
    current = found["filing_number"]
    if current and states.filing_number_key(current) != record.number_key:
        return f"{found['ref']} has number {current}, the file says {record.filing_number}"
    if found["algorithm_type"] and Kind(found["kind"]) is Kind.ALGORITHM:
        problem = states.check_filing_number(
            Kind.ALGORITHM, record.filing_number, AlgorithmType(found["algorithm_type"])
        )
        if problem:
            return f"{found['ref']}: {problem}"
    return None


def _plan_history(record: ImportRecord, found: dict[str, Any], stored: list[dict[str, Any]]) -> PlanItem:
    ref = found["ref"]
    mine = [(h.event.value, h.effective_at) for h in record.history]
    theirs = [(t["event"], t["effective_at"]) for t in stored]
    updates = _field_updates(record, found)
    if mine == theirs:
        return (
            PlanItem("update", record, ref, tuple(updates)) if updates else PlanItem("unchanged", record, ref)
        )
    if mine[: len(theirs)] == theirs:
        extra = [h.event.value for h in record.history[len(theirs) :]]
        return PlanItem("append", record, ref, (f"append {', '.join(extra)}", *updates))
    return PlanItem(
        "conflict",
        record,
        ref,
        reason=f"the history of {ref} in this database ({len(theirs)} events) differs from the file's ({len(mine)})",
    )


def _field_updates(record: ImportRecord, found: dict[str, Any]) -> list[str]:
    """Descriptive fields the file changes: a spreadsheet's values win; a CAC list only fills empty fields."""
    return [f"{name}: {found[name]!r} → {value!r}" for name, value in field_values(record, found).items()]


def approval_time(record: ImportRecord, found: dict[str, Any], now: datetime) -> datetime:
    """When a list's approval takes effect: 09:00 Beijing on its date (now without one), never before the last event."""
    when = on_day(record.approved_on) if record.approved_on else now
    last = found.get("last_effective")
    return max(when, last) if last is not None else when


def _context(found: dict[str, Any], number: str | None) -> GuardContext:
    return GuardContext(
        kind=Kind(found["kind"]),
        stage=Stage(found["stage"]),
        returned_from=Stage(found["returned_from"]) if found["returned_from"] else None,
        algorithm_type=AlgorithmType(found["algorithm_type"]) if found["algorithm_type"] else None,
        entity_approved=True,
        filing_number=number,
    )


def _approval_problem(record: ImportRecord, found: dict[str, Any]) -> str | None:
    """Why the list's approval cannot be recorded on this filing (the number's format and type digits)."""
    kind = Kind(found["kind"])
    algorithm_type = AlgorithmType(found["algorithm_type"]) if found["algorithm_type"] else None
    return states.check_filing_number(kind, record.filing_number, algorithm_type)


def beijing_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) + BEIJING).date()


_FIELDS = (
    "title",
    "description",
    "role",
    "algorithm_type",
    "upstream_model",
    "upstream_filing_number",
    "public_opinion",
    "launch_date",
    "change_date",
    "termination_date",
)


def field_values(record: ImportRecord, found: dict[str, Any]) -> dict[str, Any]:
    """Columns to set on a matched filing: a spreadsheet's values win; a CAC list only fills empty fields."""
    fill_only = record.layout is not Layout.SPREADSHEET
    out: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(record, name)
        if value is None:
            continue
        if hasattr(value, "value"):
            value = value.value
        current = found.get(name)
        if name == "title" and fill_only:
            continue
        if name in ("role", "algorithm_type") and record.layout is not Layout.SPREADSHEET and current:
            continue
        if current == value or (fill_only and current not in (None, "")):
            continue
        out[name] = value
    return out
