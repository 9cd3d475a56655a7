"""Applying an import plan: bulk inserts of organisations, filings and history, approvals and updates of tracked
filings, all inside the caller's transaction; and the file of rejected rows for `--skip-invalid`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import states
from states import AlgorithmType, Event, Kind, Stage
from tracker.domain import REF_PREFIX
from tracker.errors import Conflict, StorageError
from tracker.exchange import repo as xrepo
from tracker.exchange.plan import (
    IMPORT_SOURCE,
    ImportPlan,
    ImportResult,
    Index,
    PlanItem,
    Progress,
    approval_time,
    field_values,
)
from tracker.exchange.readers import Table, original_text
from tracker.exchange.rows import HistoryEntry, ImportRecord, clean_name, name_key, on_day
from tracker.timeutil import to_db


def apply_plan(
    conn: Any,
    index: Index,
    plan: ImportPlan,
    result: ImportResult,
    path: Path,
    progress: Progress | None,
    now: datetime,
) -> None:
    """Carry the plan out on `conn`, inside the caller's transaction; what was done is counted in `result`.

    `now` (aware UTC) is the recorded time of every row written. Raises Conflict when a tracked filing changed
    meanwhile (the caller's transaction then rolls everything back).
    """
    now = to_db(now)
    note = f"imported from {path.name}"
    new = [item for item in plan.items if item.action == "new"]
    org_ids = _organisations(
        conn, index, [i.record for i in plan.items if i.action != "conflict"], now, result
    )
    taken = {key for key in index.by_ref}
    filings: list[dict[str, Any]] = []
    for item in new:
        filings.append(_new_filing(index, item.record, org_ids, now, taken))
    ids = xrepo.insert_filings(conn, filings)
    transitions: list[tuple[Any, ...]] = []
    for item, values, filing_id in zip(new, filings, ids, strict=True):
        transitions += _new_history(item.record, filing_id, values, now, f"{note}, {item.record.where}")
        if progress is not None and len(transitions) % 5000 < len(item.record.history) + 1:
            progress("writing", len(transitions), None)
    result.created = len(new)
    for item in plan.items:
        if item.action in ("approve", "update", "append"):
            found = index.by_ref[str(item.ref).upper()]
            transitions += _change(conn, item, found, now, f"{note}, {item.record.where}")
            if item.action == "approve":
                result.approved += 1
            elif item.action == "append":
                result.appended += 1
            else:
                result.updated += 1
    xrepo.insert_transitions(conn, transitions)


def _organisations(
    conn: Any, index: Index, records: list[ImportRecord], now: datetime, result: ImportResult
) -> dict[str, int]:
    """Organisation ids by name key; organisations the file names are created (by name, code optional)."""
    ids = {key: org.id for key, org in index.orgs_by_name.items()}
    wanted: dict[str, dict[str, Any]] = {}
    for record in records:
        key = name_key(record.organisation)
        org = index.orgs_by_name.get(key)
        if org is None:
            row = wanted.setdefault(
                key,
                {
                    "name": clean_name(record.organisation),
                    "credit_code": None,
                    "region": None,
                    "created_at": now,
                },
            )
            row["credit_code"] = row["credit_code"] or record.credit_code
            row["region"] = row["region"] or record.region
            continue
        values: dict[str, Any] = {}
        if record.credit_code and not org.credit_code:
            values["credit_code"] = record.credit_code
        if record.region and not org.region:
            values["region"] = record.region
        if values:
            xrepo.update_organisation(conn, org.id, values)
            index.orgs_by_name[key] = replace(org, **values)
    keys = list(wanted)
    for key, new_id in zip(keys, xrepo.insert_organisations(conn, [wanted[k] for k in keys]), strict=True):
        ids[key] = new_id
    result.organisations = len(keys)
    return ids


_REF_START = {kind.value: f"{prefix}-" for kind, prefix in REF_PREFIX.items()}


def _new_filing(
    index: Index, record: ImportRecord, org_ids: dict[str, int], now: datetime, taken: set[str]
) -> dict[str, Any]:
    kind = record.kind
    kind_name = kind._value_  # enum values as plain attributes: `.value` and enum hashing run Python code
    ref, seq = None, None
    given = record.ref.upper() if record.ref else ""
    prefix = _REF_START[kind_name]
    digits = given[len(prefix) :] if given.startswith(prefix) else ""
    if 0 < len(digits) <= 8 and digits.isdecimal() and given not in taken:  # `PREFIX-NNNN`, kept as given
        ref, seq = given, int(digits)
    if ref is None or seq is None:
        seq = index.seqs.get(kind_name, 0) + 1
        ref = xrepo.make_ref(kind, seq)
        while ref in taken:
            seq += 1
            ref = xrepo.make_ref(kind, seq)
    index.seqs[kind_name] = max(index.seqs.get(kind_name, 0), seq)
    taken.add(ref)
    history = record.history
    if history:
        entered = history[-1].effective_at
        created = history[0].recorded_at or history[0].effective_at
        returns = 0
        for h in history:
            if h.event is Event.RETURN_FOR_REVISION:
                returns += 1
        returned_from = _returned_from(history) if returns else None
    else:
        entered, created = _fact_time(record, now), now
        returns, returned_from = record.returns or 0, record.returned_from
    return {
        "ref": ref,
        "seq": seq,
        "kind": kind_name,
        "title": record.title,
        "organisation_id": org_ids[name_key(record.organisation)],
        "role": _default_role(record),
        "algorithm_type": _default_type(record),
        "upstream_model": record.upstream_model,
        "upstream_filing_number": record.upstream_filing_number,
        "stage": record.stage._value_,
        "returned_from": returned_from._value_ if returned_from else None,
        "returns": returns,
        "filing_number": record.filing_number,
        "version": 1,
        "public_opinion": True if record.public_opinion is None else record.public_opinion,
        "launch_date": record.launch_date,
        "change_date": record.change_date,
        "termination_date": record.termination_date,
        "description": record.description,
        "created_at": _utc(created if created < now else now),
        "updated_at": now,
        "stage_entered_at": _utc(entered),
    }


def _new_history(
    record: ImportRecord, filing_id: int, values: dict[str, Any], now: datetime, note: str
) -> list[tuple[Any, ...]]:
    if record.history:
        return [_transition_row(filing_id, h, now) for h in record.history]
    initial = states.initial_stage(record.kind)
    if record.stage is initial:
        return []
    event = _event_into(record.kind, record.stage)
    fact = HistoryEntry(
        event=event,
        from_stage=initial,
        to_stage=record.stage,
        effective_at=values["stage_entered_at"],
        source=IMPORT_SOURCE,
        note=note,
        filing_number=record.filing_number if record.stage is Stage.APPROVED else None,
    )
    return [_transition_row(filing_id, fact, now)]


def _change(
    conn: Any, item: PlanItem, found: dict[str, Any], now: datetime, note: str
) -> list[tuple[Any, ...]]:
    record = item.record
    values = field_values(record, found)
    rows: list[tuple[Any, ...]] = []
    if item.action == "approve":
        # The list is the regulator's word: the approval is recorded from whichever review stage the filing
        # is in (the stages between were not recorded here), as one imported fact.
        stage = Stage(found["stage"])
        when = approval_time(record, found, now)
        values.update(
            stage=Stage.APPROVED.value,
            stage_entered_at=to_db(when),
            filing_number=record.filing_number,
        )
        fact = HistoryEntry(
            Event.APPROVE,
            stage,
            Stage.APPROVED,
            when,
            source=IMPORT_SOURCE,
            note=note,
            filing_number=record.filing_number,
        )
        rows.append(_transition_row(found["id"], fact, now))
    elif item.action == "append":
        stored = len(xrepo.histories(conn, [found["id"]]).get(found["id"], []))
        extra = record.history[stored:]
        rows += [_transition_row(found["id"], h, now) for h in extra]
        returned_from = _returned_from(record.history)
        values.update(
            stage=record.stage.value,
            stage_entered_at=to_db(extra[-1].effective_at),
            returns=sum(1 for h in record.history if h.event is Event.RETURN_FOR_REVISION),
            returned_from=returned_from.value if returned_from else None,
        )
        if record.filing_number:
            values["filing_number"] = record.filing_number
    values["updated_at"] = now
    if not xrepo.update_filing(conn, found["id"], found["version"], values):
        raise Conflict(
            f"{found['ref']} was changed by someone else during the import; nothing imported",
            hint="run it again",
        )
    return rows


def write_rejected(path: Path, table: Table, plan: ImportPlan) -> int:
    """The rows not imported, with the file's own columns and a `reason` column (CSV, UTF-8 with BOM)."""
    reasons: dict[tuple[str | None, int], list[str]] = {}
    for problem in plan.problems:
        reasons.setdefault((problem.sheet, problem.row), []).append(
            f"{problem.column}: {problem.reason}" if problem.column else problem.reason
        )
    for item in plan.conflicts:
        reasons.setdefault((item.record.sheet, item.record.row), []).append(item.reason or "conflict")
    columns: list[str] = []
    for raw in table.rows:
        for column, _ in raw.original:
            if column not in columns:
                columns.append(column)
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([*columns, "reason"])
            for raw in table.rows:
                key = (raw.sheet, raw.number)
                if key not in reasons:
                    continue
                by_column = {column: original_text(value) for column, value in raw.original}
                writer.writerow([*(by_column.get(c, "") for c in columns), "; ".join(reasons[key])])
        path.chmod(0o600)
    except OSError as exc:
        raise StorageError(f"cannot write the rejected rows to {path}: {exc.strerror or exc}") from None
    return len(reasons)


# -- export --------------------------------------------------------------------------------------------------


def _default_role(record: ImportRecord) -> str | None:
    """The role given, or 服务提供者 for an algorithm filing (as `beian add` defaults it)."""
    if record.role:
        return record.role.value
    return states.Role.PROVIDER.value if record.kind is Kind.ALGORITHM else None


def _default_type(record: ImportRecord) -> str | None:
    """The algorithm type given (or read from the number), else 生成合成类 (as `beian add` defaults it)."""
    if record.kind is Kind.ENTITY:
        return None
    return (record.algorithm_type or AlgorithmType.GENERATIVE).value


def _fact_time(record: ImportRecord, now: datetime) -> datetime:
    if record.stage is Stage.APPROVED and record.approved_on:
        return on_day(record.approved_on)
    return now


def _returned_from(history: Sequence[HistoryEntry]) -> Stage | None:
    """The stage the latest return came from (the service keeps it after the resubmission, too)."""
    for entry in reversed(history):
        if entry.event is Event.RETURN_FOR_REVISION:
            return entry.from_stage
    return None


def _event_into(kind: Kind, stage: Stage) -> Event:
    """An event of the machine that leads into `stage` (the imported fact's event)."""
    for transition in states.machine_config(kind)["transitions"]:
        if transition["dest"] == stage.value:
            return Event(transition["trigger"])
    return Event.SUBMIT


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is UTC else to_db(moment)


def _transition_row(filing_id: int, entry: HistoryEntry, now: datetime) -> tuple[Any, ...]:
    """A history row's values in `xrepo.TRANSITION_COLUMNS` order."""
    recorded = entry.recorded_at
    effective = entry.effective_at
    return (
        filing_id,
        entry.event._value_,  # `_value_`: `.value` is a property, slow over 400,000 rows
        entry.from_stage._value_,
        entry.to_stage._value_,
        effective if effective.tzinfo is UTC else to_db(effective),
        now if recorded is None else _utc(recorded),
        entry.actor,
        entry.source[:16],
        entry.note,
        entry.reason,
        entry.filing_number,
    )
