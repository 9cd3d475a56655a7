"""ExchangeService: import with a plan and a validation report, export, the status report and the deadline calendar.

An import is read and validated first (`tracker.exchange.readers`, `tracker.exchange.rows`), then matched against
the database in one transaction: each valid row becomes a plan item (new filing, approval of a filing still in
review, update of descriptive fields, history to append, unchanged, or conflict). `check` stops there and writes
nothing. Otherwise the whole plan is applied in that same transaction, or nothing is (all or nothing); with
`skip_invalid` the valid, conflict-free rows are applied and the others are written to a file with a reason column.

Facts an import learns without their history (a CAC list says a filing is approved; a spreadsheet says one is in
线上二审) are recorded as one history row with source `import`; the rules layer leaves such rows out of the
durations it learns forecasts from. Imports send no SMS.
"""

from __future__ import annotations

import csv
import re
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import states
from states import AlgorithmType, Event, GuardContext, Kind, Stage
from tracker.domain import REF_PREFIX, FilingQuery, Organisation, Transition
from tracker.errors import Conflict, StorageError, UsageError
from tracker.exchange import repo as xrepo
from tracker.exchange.fields import LAYOUT_TITLES, Layout
from tracker.exchange.readers import Table, original_text, read_table
from tracker.exchange.report import (
    ApprovedItem,
    DeadlineItem,
    ReportData,
    ReturnedItem,
    StageTime,
)
from tracker.exchange.rows import (
    HistoryEntry,
    ImportRecord,
    Problem,
    clean_name,
    name_key,
    on_day,
    validate_rows,
)
from tracker.exchange.writers import ExportRow
from tracker.store import repo

if TYPE_CHECKING:
    from tracker.services import FilingService

_FORMULA_START = frozenset("=+-@")
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


class _CheckOnly(Exception):
    """Rolls the planning transaction back (nothing was written, but say so to the database too)."""


@dataclass
class _Index:
    """The database as matching sees it, loaded once per import."""

    orgs_by_name: dict[str, xrepo.OrgState]
    orgs_by_code: dict[str, xrepo.OrgState]
    by_ref: dict[str, dict[str, Any]]
    by_number: dict[str, dict[str, Any]]
    by_name: dict[tuple[str, str, str], list[dict[str, Any]]]
    seqs: dict[str, int]


class ExchangeService:
    """Imports, exports, the status report and the calendar, on the same store as the `FilingService`."""

    def __init__(self, filings: FilingService) -> None:
        self.filings = filings
        self.store = filings.store
        self.clock = filings.clock

    # -- import ------------------------------------------------------------------------------------------------

    def read(
        self,
        path: Path,
        *,
        fmt: str | None = None,
        maps: dict[str, str] | None = None,
        list_date: date | None = None,
        progress: Progress | None = None,
    ) -> tuple[Table, list[ImportRecord], list[Problem]]:
        """Read and validate a file (no database). Raises ImportFileError when the file cannot be read at all."""
        tick = (lambda n: progress("reading", n, None)) if progress else None
        table = read_table(path, fmt=fmt, maps=maps, progress=tick)
        records, problems = validate_rows(table.rows, list_date=list_date)
        return table, records, problems

    def import_file(
        self,
        path: Path,
        *,
        fmt: str | None = None,
        maps: dict[str, str] | None = None,
        list_date: date | None = None,
        check: bool = False,
        skip_invalid: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Read, validate, plan and (unless `check`) apply an import in one transaction.

        All or nothing: an invalid row or a conflict refuses the whole import (UsageError, exit 2, for invalid
        rows; Conflict, exit 4, for conflicts) and nothing is written, unless `skip_invalid` names a file to
        receive the rejected rows (CSV, UTF-8 with BOM, the file's own columns plus `reason`), in which case the
        rest is applied. `check` returns the plan and writes nothing. Raises ImportFileError for an unreadable
        file and StorageError for a database failure (nothing written either way).
        """
        table, records, problems = self.read(path, fmt=fmt, maps=maps, list_date=list_date, progress=progress)
        plan = ImportPlan(
            path=path,
            format=table.format,
            encoding=table.encoding,
            layouts=list(table.layouts),
            rows=len(table.rows),
            problems=problems,
            items=[],
            ignored_columns=list(table.ignored_columns),
            notes=list(table.notes),
        )
        result = ImportResult(plan=plan, applied=False)
        try:
            with self.store.work() as work:
                conn = work.connection()
                index = self._index(conn)
                plan.items = self._plan(conn, index, records, progress)
                plan.new_organisations = sorted(
                    {item.record.organisation for item in plan.items if item.action == "new"}
                    - {o.name for o in index.orgs_by_name.values()}
                )
                if check:
                    raise _CheckOnly()
                if not plan.clean and skip_invalid is None:
                    raise self._refusal(plan)
                self._apply(conn, index, plan, result, path, progress)
                if (
                    result.created
                    or result.approved
                    or result.updated
                    or result.appended
                    or result.organisations
                ):
                    repo.bump_revision(work)
        except _CheckOnly:
            return result
        if skip_invalid is not None and not plan.clean:
            result.rejected = self._write_rejected(skip_invalid, table, plan)
            result.rejected_file = skip_invalid
        result.applied = True
        return result

    @staticmethod
    def _refusal(plan: ImportPlan) -> UsageError | Conflict:
        if plan.problems:
            first = plan.problems[0]
            return UsageError(
                f"{plan.path.name}: {len(plan.problems)} problem(s) in {len({p.row for p in plan.problems})} row(s), "
                f"first {first.where}: {first.reason}; nothing imported",
                hint="`beian import FILE --check` lists them all; --skip-invalid FILE imports the rest",
            )
        first_conflict = plan.conflicts[0]
        return Conflict(
            f"{plan.path.name}: {len(plan.conflicts)} row(s) conflict with this database, first "
            f"{first_conflict.record.where}: {first_conflict.reason}; nothing imported",
            hint="`beian import FILE --check` shows the plan; --skip-invalid FILE imports the rest",
        )

    def _index(self, conn: Any) -> _Index:
        orgs = xrepo.organisations(conn)
        rows = xrepo.filings(conn)
        index = _Index(
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

    def _plan(
        self, conn: Any, index: _Index, records: list[ImportRecord], progress: Progress | None
    ) -> list[PlanItem]:
        matched = {id(r): self._match(index, r) for r in records}
        with_history = [m["id"] for r in records if (m := matched[id(r)]) is not None and r.history]
        stored_history = xrepo.histories(conn, with_history) if with_history else {}
        items: list[PlanItem] = []
        for n, record in enumerate(records, start=1):
            found = matched[id(record)]
            org_conflict = self._org_conflict(index, record)
            if found is None:
                items.append(org_conflict or self._plan_new(index, record))
            else:
                items.append(
                    org_conflict
                    or self._plan_match(index, record, found, stored_history.get(found["id"], []))
                )
            if progress is not None and n % 1000 == 0:
                progress("planning", n, len(records))
        return items

    @staticmethod
    def _match(index: _Index, record: ImportRecord) -> dict[str, Any] | None:
        if record.ref:
            found = index.by_ref.get(record.ref.upper())
            if found is not None and found["kind"] == record.kind.value:
                return found
        if record.number_key:
            found = index.by_number.get(record.number_key)
            if found is not None:
                return found
        same = index.by_name.get(
            (name_key(record.organisation), name_key(record.title), record.kind.value), []
        )
        if record.role:
            same = [r for r in same if (r["role"] or "") == record.role.value]
        return same[0] if len(same) == 1 else None

    @staticmethod
    def _org_conflict(index: _Index, record: ImportRecord) -> PlanItem | None:
        org = index.orgs_by_name.get(name_key(record.organisation))
        if record.credit_code:
            holder = index.orgs_by_code.get(record.credit_code)
            if holder is not None and name_key(holder.name) != name_key(record.organisation):
                return PlanItem(
                    "conflict",
                    record,
                    reason=f"credit code {record.credit_code} belongs to {holder.name} in this database",
                )
            if org is not None and org.credit_code and org.credit_code != record.credit_code:
                return PlanItem(
                    "conflict",
                    record,
                    reason=f"{org.name} has credit code {org.credit_code} in this database, the file says {record.credit_code}",
                )
        return None

    def _plan_new(self, index: _Index, record: ImportRecord) -> PlanItem:
        if record.ref and record.ref.upper() in index.by_ref:
            other = index.by_ref[record.ref.upper()]
            return PlanItem(
                "conflict",
                record,
                record.ref,
                reason=f"{record.ref} is a {other['kind']} filing here ({other['title']})",
            )
        changes = [
            f"new {states.label(record.kind, 'both')} at {states.label(record.stage, 'both', record.kind)}"
        ]
        if record.filing_number:
            changes.append(f"number {record.filing_number}")
        if record.history:
            changes.append(f"{len(record.history)} history events")
        return PlanItem("new", record, record.ref, tuple(changes))

    def _plan_match(
        self, index: _Index, record: ImportRecord, found: dict[str, Any], stored: list[dict[str, Any]]
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
        number_conflict = self._number_conflict(index, record, found)
        if number_conflict:
            return PlanItem("conflict", record, ref, reason=number_conflict)
        if record.history:
            return self._plan_history(record, found, stored)
        updates = self._field_updates(record, found)
        if record.stage is not stage:
            if record.stage is Stage.APPROVED and states.has_tag(kind, stage, "with_regulator"):
                problem = _approval_problem(record, found)
                if problem:
                    return PlanItem("conflict", record, ref, reason=f"{ref}: {problem}")
                when = self._approval_time(record, found)
                number = f" with {record.filing_number}" if record.filing_number else ""
                changes = [f"approve{number} on {_beijing_day(when)}"]
                if not states.evaluate(_context(found, record.filing_number), Event.APPROVE).allowed:
                    changes.append(
                        f"from {states.label(stage, 'zh', kind)}: the stages between are not recorded"
                    )
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

    @staticmethod
    def _number_conflict(index: _Index, record: ImportRecord, found: dict[str, Any]) -> str | None:
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

    def _plan_history(
        self, record: ImportRecord, found: dict[str, Any], stored: list[dict[str, Any]]
    ) -> PlanItem:
        ref = found["ref"]
        mine = [(h.event.value, h.effective_at) for h in record.history]
        theirs = [(t["event"], t["effective_at"]) for t in stored]
        updates = self._field_updates(record, found)
        if mine == theirs:
            return (
                PlanItem("update", record, ref, tuple(updates))
                if updates
                else PlanItem("unchanged", record, ref)
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

    @staticmethod
    def _field_updates(record: ImportRecord, found: dict[str, Any]) -> list[str]:
        """Descriptive fields the file changes: a spreadsheet's values win; a CAC list only fills empty fields."""
        return [
            f"{name}: {found[name]!r} → {value!r}" for name, value in _field_values(record, found).items()
        ]

    def _approval_time(self, record: ImportRecord, found: dict[str, Any]) -> datetime:
        when = on_day(record.approved_on) if record.approved_on else self.clock()
        last = found.get("last_effective")
        return max(when, last) if last is not None else when

    # -- applying ------------------------------------------------------------------------------------------------

    def _apply(
        self,
        conn: Any,
        index: _Index,
        plan: ImportPlan,
        result: ImportResult,
        path: Path,
        progress: Progress | None,
    ) -> None:
        now = repo.to_db(self.clock())
        note = f"imported from {path.name}"
        new = [item for item in plan.items if item.action == "new"]
        org_ids = self._organisations(
            conn, index, [i.record for i in plan.items if i.action != "conflict"], now, result
        )
        taken = {key for key in index.by_ref}
        filings: list[dict[str, Any]] = []
        for item in new:
            filings.append(self._new_filing(index, item.record, org_ids, now, taken))
        ids = xrepo.insert_filings(conn, filings)
        transitions: list[dict[str, Any]] = []
        for item, values, filing_id in zip(new, filings, ids, strict=True):
            transitions += self._new_history(
                item.record, filing_id, values, now, f"{note}, {item.record.where}"
            )
            if progress is not None and len(transitions) % 5000 < len(item.record.history) + 1:
                progress("writing", len(transitions), None)
        result.created = len(new)
        for item in plan.items:
            if item.action in ("approve", "update", "append"):
                found = index.by_ref[str(item.ref).upper()]
                transitions += self._change(conn, item, found, now, f"{note}, {item.record.where}")
                if item.action == "approve":
                    result.approved += 1
                elif item.action == "append":
                    result.appended += 1
                else:
                    result.updated += 1
        xrepo.insert_transitions(conn, transitions)

    def _organisations(
        self, conn: Any, index: _Index, records: list[ImportRecord], now: datetime, result: ImportResult
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
        for key, new_id in zip(
            keys, xrepo.insert_organisations(conn, [wanted[k] for k in keys]), strict=True
        ):
            ids[key] = new_id
        result.organisations = len(keys)
        return ids

    @staticmethod
    def _new_filing(
        index: _Index, record: ImportRecord, org_ids: dict[str, int], now: datetime, taken: set[str]
    ) -> dict[str, Any]:
        kind = record.kind
        ref, seq = None, None
        match = re.fullmatch(rf"{REF_PREFIX[kind]}-(\d{{1,8}})", record.ref or "")
        if match and record.ref and record.ref.upper() not in taken:
            ref, seq = record.ref.upper(), int(match[1])
        if ref is None or seq is None:
            seq = index.seqs.get(kind.value, 0) + 1
            ref = repo.make_ref(kind, seq)
            while ref in taken:
                seq += 1
                ref = repo.make_ref(kind, seq)
        index.seqs[kind.value] = max(index.seqs.get(kind.value, 0), seq)
        taken.add(ref)
        history = record.history
        entered = history[-1].effective_at if history else _fact_time(record, now)
        created = (history[0].recorded_at or history[0].effective_at) if history else now
        returns = (
            sum(1 for h in history if h.event is Event.RETURN_FOR_REVISION)
            if history
            else (record.returns or 0)
        )
        returned_from = _returned_from(history) if history else record.returned_from
        return {
            "ref": ref,
            "seq": seq,
            "kind": kind.value,
            "title": record.title,
            "organisation_id": org_ids[name_key(record.organisation)],
            "role": _default_role(record),
            "algorithm_type": _default_type(record),
            "upstream_model": record.upstream_model,
            "upstream_filing_number": record.upstream_filing_number,
            "stage": record.stage.value,
            "returned_from": returned_from.value if returned_from else None,
            "returns": returns,
            "filing_number": record.filing_number,
            "version": 1,
            "public_opinion": True if record.public_opinion is None else record.public_opinion,
            "launch_date": record.launch_date,
            "change_date": record.change_date,
            "termination_date": record.termination_date,
            "description": record.description,
            "created_at": repo.to_db(min(created, now)),
            "updated_at": now,
            "stage_entered_at": repo.to_db(entered),
        }

    @staticmethod
    def _new_history(
        record: ImportRecord, filing_id: int, values: dict[str, Any], now: datetime, note: str
    ) -> list[dict[str, Any]]:
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
        self, conn: Any, item: PlanItem, found: dict[str, Any], now: datetime, note: str
    ) -> list[dict[str, Any]]:
        record = item.record
        values = _field_values(record, found)
        rows: list[dict[str, Any]] = []
        if item.action == "approve":
            # The list is the regulator's word: the approval is recorded from whichever review stage the filing
            # is in (the stages between were not recorded here), as one imported fact.
            stage = Stage(found["stage"])
            when = self._approval_time(record, found)
            values.update(
                stage=Stage.APPROVED.value,
                stage_entered_at=repo.to_db(when),
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
                stage_entered_at=repo.to_db(extra[-1].effective_at),
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

    @staticmethod
    def _write_rejected(path: Path, table: Table, plan: ImportPlan) -> int:
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

    def export_rows(
        self, query: FilingQuery | None = None, *, with_history: bool = False
    ) -> Iterator[ExportRow]:
        """Filings matching `query` (as `beian list` filters them) with organisation, approval date and history."""
        rows = self.filings.filing_rows(query or FilingQuery())
        orgs = {o.id: o for o in self.filings.organisations()}
        filings = [repo.filing_from_mapping(r) for r in rows]
        ids = [f.id for f in filings]
        with self.store.work() as work:
            conn = work.connection()
            approvals = xrepo.approval_dates(conn, ids if query and query != FilingQuery() else None)
            histories: dict[int, list[Transition]] = {}
            if with_history and ids:
                for row in xrepo.history_stream(conn, ids):
                    histories.setdefault(row["filing_id"], []).append(repo.transition_from_mapping(row))
        for f in filings:
            approved = approvals.get(f.id)
            yield ExportRow(
                f,
                orgs[f.organisation_id],
                _beijing_day(approved) if approved else None,
                tuple(histories.get(f.id, ())),
            )

    def export_cells(
        self, query: FilingQuery | None = None, *, with_history: bool = False
    ) -> Iterator[list[Any]]:
        """Rows of a CSV or XLSX export (values in `writers.headers()` order, text escaped), in reference order.

        On SQLite the database computes them, history JSON included (several times faster at 100,000 filings);
        elsewhere they come from `export_rows`. Both give the same cells.
        """
        from tracker.exchange.writers import cells, escape_cell

        query = query or FilingQuery()
        ids = None if query == FilingQuery() else [r["id"] for r in self.filings.filing_rows(query)]
        if ids is None or len(ids) <= 30_000:
            with self.store.work() as work:
                fast = xrepo.export_cells_sqlite(work.connection(), ids, with_history)
                if fast is not None:
                    rows = list(fast)
                    for row in rows:
                        for i, value in enumerate(row):
                            if isinstance(value, str) and value[:1] in _FORMULA_START:
                                row[i] = escape_cell(value)
                    yield from rows
                    return
        for item in self.export_rows(query, with_history=with_history):
            yield cells(item, with_history)

    # -- the status report and the calendar ---------------------------------------------------------------------

    def report_data(self, since: date | None = None, until: date | None = None) -> ReportData:
        """Counts per stage, approvals and returns in [since, until] (Beijing dates; default the last 30 days),
        running and overdue deadlines, and working days per stage (median, worst) over the whole history."""
        today = _beijing_day(self.clock())
        until = until or today
        since = since or until - timedelta(days=30)
        if since > until:
            raise UsageError(f"--since {since.isoformat()} is after {until.isoformat()}")
        start, end = (
            on_day(since) - timedelta(hours=1),
            on_day(until + timedelta(days=1)) - timedelta(hours=1),
        )
        rules = self.filings.rules
        calendar = rules.calendar
        with self.store.work() as work:
            conn = work.connection()
            counts = xrepo.stage_counts(conn)
            approvals = xrepo.events_between(conn, [Event.APPROVE.value], start, end)
            returns = xrepo.events_between(conn, [Event.RETURN_FOR_REVISION.value], start, end)
            resubmitted = {
                r["id"]: xrepo.next_event_after(conn, r["filing_id"], r["id"], Event.RESUBMIT.value)
                for r in returns
            }
        order = {s: i for i, s in enumerate(Stage)}
        count_rows = sorted(
            ((Kind(k), Stage(s), n) for k, s, n in counts),
            key=lambda c: (list(Kind).index(c[0]), order[c[1]]),
        )
        approved = tuple(
            ApprovedItem(
                a["ref"],
                a["title"],
                a["organisation_name"],
                a["filing_number"],
                _beijing_day(a["effective_at"]),
                a["source"] == IMPORT_SOURCE,
            )
            for a in approvals
        )
        returned_items = []
        for r in returns:
            back = resubmitted[r["id"]]
            returned_on = _beijing_day(r["effective_at"])
            end_day = _beijing_day(back) if back else today
            cost = max(calendar.workdays_between(returned_on, end_day).days, 0)
            returned_items.append(
                ReturnedItem(
                    r["ref"], r["title"], r["organisation_name"], returned_on, Stage(r["from_stage"]), r["reason"] or "",
                    _beijing_day(back) if back else None, cost,
                )
            )  # fmt: skip
        deadlines = self.calendar_items()
        samples = rules.stage_samples()
        times = []
        for kind in Kind:
            by_stage: dict[Stage, list[float]] = {}
            for sample in samples.get(kind, []):
                by_stage.setdefault(sample.stage, []).append(sample.working_days)
            for stage in sorted(by_stage, key=lambda s: order[s]):
                values = by_stage[stage]
                times.append(
                    StageTime(kind, stage, len(values), float(statistics.median(values)), float(max(values)))
                )
        total = sum(n for _, _, n in count_rows)
        return ReportData(
            generated_at=self.clock(),
            since=since,
            until=until,
            total=total,
            counts=tuple(count_rows),
            approved=approved,
            returned=tuple(returned_items),
            deadlines=tuple(deadlines),
            stage_times=tuple(times),
            notes=("Durations in Chinese working days (工作日); facts recorded by an import are not timed.",),
        )

    def calendar_items(self) -> list[DeadlineItem]:
        """Every running statutory deadline with its filing's title and organisation, most urgent first."""
        return [DeadlineItem(d, f.title, f.organisation) for f, d in self.filings.rules.due()]


# -- helpers -------------------------------------------------------------------------------------------------------


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


def _beijing_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) + BEIJING).date()


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
    return moment if moment.tzinfo is UTC else repo.to_db(moment)


def _transition_row(filing_id: int, entry: HistoryEntry, now: datetime) -> dict[str, Any]:
    return {
        "filing_id": filing_id,
        "event": entry.event.value,
        "from_stage": entry.from_stage.value,
        "to_stage": entry.to_stage.value,
        "effective_at": _utc(entry.effective_at),
        "recorded_at": _utc(entry.recorded_at or now),
        "actor": entry.actor,
        "source": entry.source[:16],
        "note": entry.note,
        "reason": entry.reason,
        "filing_number": entry.filing_number,
    }


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


def _field_values(record: ImportRecord, found: dict[str, Any]) -> dict[str, Any]:
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


def layout_title(layout: Layout) -> str:
    """A layout's name for people."""
    return LAYOUT_TITLES[layout]


def organisation_label(org: Organisation) -> str:
    """`name (credit code)` or just the name when the code is not known."""
    return f"{org.name} ({org.credit_code})" if org.credit_code else org.name
