"""Every query of the rules slice: material rows (read and written), submissions, deadline candidates, stage visits.

Portfolio-wide questions ("which filings are overdue?") are answered with a handful of set-based queries
whose filing filter is a subquery built from the deadline rules, so no query ever carries a list of
100,000 ids. Times come back as aware UTC; the regulator's days are Beijing days (`beijing_date`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Select, and_, func, or_, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from states import Event, Kind, Stage, has_tag
from tracker.domain import MaterialStatus
from tracker.errors import Conflict
from tracker.rules.calendar import WorkCalendar
from tracker.rules.forecast import StageSample
from tracker.rules.model import MaterialItem, RuleSet
from tracker.store.tables import FilingRow, MaterialRow, OrganisationRow, TransitionRow
from tracker.timeutil import beijing_date, to_utc

SUBMISSIONS = (Event.SUBMIT.value, Event.RESUBMIT.value)
_DATE_COLUMNS = {
    "launch_date": FilingRow.launch_date,
    "change_date": FilingRow.change_date,
    "termination_date": FilingRow.termination_date,
}
# a recorded trigger date stops counting once the filer has done what it asks: a change is filed by
# request_change, a termination by request_cancellation (both leave `approved`, but a change returns to it)
DISCHARGED_BY = {
    "change_date": Event.REQUEST_CHANGE.value,
    "termination_date": Event.REQUEST_CANCELLATION.value,
}
_FROM_HISTORY = ("submitted", "materials_complete_date")
FACT_COLUMNS = (
    "id",
    "ref",
    "kind",
    "stage",
    "role",
    "algorithm_type",
    "upstream_model",
    "upstream_filing_number",
    "public_opinion",
    "launch_date",
    "change_date",
    "termination_date",
)
"""The filing columns deadlines depend on (a portfolio-wide pass reads only these)."""


def _raw(column: Any) -> Any:
    # a plain DateTime skips sqlmodel's per-row conversion to aware UTC, the bulk of reading 10^5 times;
    # `beijing_date` takes naive values as UTC, which is how the tables store them
    return type_coerce(column, DateTime(timezone=True))


# -- one filing ------------------------------------------------------------------------------------


def material_rows(session: Session, filing_id: int) -> dict[str, MaterialRow]:
    """The stored checklist rows of a filing, by key."""
    rows = session.exec(select(MaterialRow).where(MaterialRow.filing_id == filing_id)).all()
    return {r.key: r for r in rows}


def provided_keys(session: Session, filing_id: int) -> set[str]:
    """Keys of the items a filing has provided (the one query a submit guard pays)."""
    statement = select(MaterialRow.key).where(MaterialRow.filing_id == filing_id, col(MaterialRow.provided))
    return set(session.exec(statement).all())


def last_submission(session: Session, filing_id: int) -> datetime | None:
    """When the filing's latest submit or resubmit took effect."""
    statement = (
        select(TransitionRow.effective_at)
        .where(TransitionRow.filing_id == filing_id, col(TransitionRow.event).in_(SUBMISSIONS))
        .order_by(col(TransitionRow.id).desc())
        .limit(1)
    )
    return to_utc(session.exec(statement).first())


def last_event(session: Session, filing_id: int) -> str | None:
    """The event of the filing's latest history row."""
    statement = (
        select(TransitionRow.event)
        .where(TransitionRow.filing_id == filing_id)
        .order_by(col(TransitionRow.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def material_row(stored: dict[str, MaterialRow], filing_id: int, key: str) -> MaterialRow:
    """The stored row of item `key`, or a new (not yet added) one."""
    return stored.get(key) or MaterialRow(filing_id=filing_id, key=key)


def save_materials(session: Session, rows: Iterable[MaterialRow], *, conflict: str | None = None) -> None:
    """Write checklist rows in the caller's transaction; a concurrent writer of the same item raises `Conflict`."""
    from tracker.filings.repo_due import forget_next_due

    rows = list(rows)
    session.add_all(rows)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            conflict or "a checklist item was changed by someone else meanwhile", hint="retry"
        ) from None
    # a tick can complete the materials late, which moves the regulator's D4
    forget_next_due(session.connection(), (r.filing_id for r in rows))


def material_status(item: MaterialItem, row: MaterialRow | None) -> MaterialStatus:
    """The domain view of one checklist item and its stored row (if any)."""
    return MaterialStatus(
        key=item.key,
        zh=item.zh,
        en=item.en,
        mandatory=item.mandatory,
        provided=bool(row and row.provided),
        path=row.path if row else None,
        note=row.note if row else None,
        checked_by=row.checked_by if row else None,
        checked_at=to_utc(row.checked_at) if row else None,
        reopened=row.reopened if row else 0,
        check=item.check,
        hint=item.note,
        source=str(item.source),
    )


# -- deadlines over many filings -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineInputs:
    """Everything `running_deadlines` needs for a set of filings, fetched in four queries."""

    rows: Sequence[Any]
    """Plain rows of FACT_COLUMNS for the filings that may have a running deadline."""
    submitted: dict[int, datetime]
    """When the latest submit/resubmit of each filing took effect (naive values are UTC)."""
    late_materials: dict[int, list[tuple[str, bool, datetime | None]]]
    """Per filing: items unticked, or ticked after that submission was recorded: (key, provided, checked_at)."""
    discharged: dict[tuple[int, str], datetime]
    """Latest effective time of request_change / request_cancellation per (filing, event)."""


def _rule_clause(rules: RuleSet, wanted: Iterable[str] | None = None) -> Any:
    """SQL for "a deadline rule could run for this filing", over the rules using a trigger in `wanted`."""
    clauses = []
    for rule in rules.deadlines:
        if wanted is not None and not set(rule.triggers) & set(wanted):
            continue
        parts: list[Any] = [
            col(FilingRow.kind).in_(sorted(k.value for k in rule.kinds)),
            col(FilingRow.stage).in_(sorted(s.value for s in rule.stages)),
        ]
        if rule.public_opinion_only:
            parts.append(col(FilingRow.public_opinion).is_(True))
        if not set(rule.triggers) & set(_FROM_HISTORY):  # history dates exist for any submitted filing
            parts.append(or_(*(col(_DATE_COLUMNS[t]).is_not(None) for t in rule.triggers)))
        clauses.append(and_(*parts))
    return or_(*clauses) if clauses else col(FilingRow.id).is_(None)


def _scope(rules: RuleSet, ids: Sequence[int] | None, wanted: Iterable[str] | None = None) -> Select[Any]:
    statement: Select[Any] = select(FilingRow.id).where(_rule_clause(rules, wanted))
    if ids is not None:
        statement = statement.where(col(FilingRow.id).in_(ids))
    return statement


def deadline_inputs(session: Session, rules: RuleSet, ids: Sequence[int] | None = None) -> DeadlineInputs:
    """The filings (all, or those in `ids`) that may have a running deadline, and the dates behind them."""
    rows_q: Select[Any] = select(*(getattr(FilingRow, name) for name in FACT_COLUMNS))
    rows_q = rows_q.where(_rule_clause(rules))
    if ids is not None:
        rows_q = rows_q.where(col(FilingRow.id).in_(ids))
    rows = session.connection().execute(rows_q).all()
    if not rows:
        return DeadlineInputs(rows, {}, {}, {})

    reviewed = _scope(rules, ids, _FROM_HISTORY)
    last = (
        select(TransitionRow.filing_id, func.max(TransitionRow.id).label("tid"))
        .where(col(TransitionRow.event).in_(SUBMISSIONS), col(TransitionRow.filing_id).in_(reviewed))
        .group_by(col(TransitionRow.filing_id))
        .subquery()
    )
    submitted_q = select(TransitionRow.filing_id, _raw(TransitionRow.effective_at)).join(
        last, col(TransitionRow.id) == last.c.tid
    )
    submitted: dict[int, datetime] = {fid: at for fid, at in session.connection().execute(submitted_q).all()}

    late_q = (
        select(MaterialRow.filing_id, MaterialRow.key, MaterialRow.provided, MaterialRow.checked_at)
        .join(last, col(MaterialRow.filing_id) == last.c.filing_id)
        .join(TransitionRow, col(TransitionRow.id) == last.c.tid)
        .where(
            or_(col(MaterialRow.provided).is_(False), col(MaterialRow.checked_at) > TransitionRow.recorded_at)
        )
    )
    late: dict[int, list[tuple[str, bool, datetime | None]]] = {}
    for filing_id, key, provided, checked_at in session.connection().execute(late_q).all():
        late.setdefault(filing_id, []).append((key, bool(provided), to_utc(checked_at)))

    discharged: dict[tuple[int, str], datetime] = {}
    dated = _scope(rules, ids, DISCHARGED_BY)
    discharge_q = (
        select(TransitionRow.filing_id, TransitionRow.event, func.max(TransitionRow.effective_at))
        .where(
            col(TransitionRow.event).in_(sorted(DISCHARGED_BY.values())),
            col(TransitionRow.filing_id).in_(dated),
        )
        .group_by(col(TransitionRow.filing_id), col(TransitionRow.event))
    )
    for filing_id, event, effective in session.connection().execute(discharge_q).all():
        discharged[(filing_id, event)] = to_utc(effective)  # type: ignore[assignment]
    return DeadlineInputs(rows, submitted, late, discharged)


# -- stage visits for forecasts --------------------------------------------------------------------


class WorkdayCounter:
    """`calendar.workdays_between` answered from a prefix sum, for many pairs of dates in one range."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        self.first = first
        self.calendar = calendar
        self.cumulative = [0]
        day = first
        while day < last:
            day += timedelta(days=1)
            self.cumulative.append(self.cumulative[-1] + calendar.is_workday(day))

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        i, j = (start - self.first).days, (end - self.first).days
        if 0 <= i < len(self.cumulative) and 0 <= j < len(self.cumulative):
            return self.cumulative[j] - self.cumulative[i]
        return self.calendar.workdays_between(start, end).days


IMPORTED = "import"
"""History source of facts recorded by `beian import` (tracker.exchange), never timed."""


def _visited(kind: Kind, stage: Stage) -> bool:
    # review stages and returns are what forecasts are made of; drafts and live filings are not timed
    return stage is Stage.RETURNED or has_tag(kind, stage, "with_regulator")


def stage_samples(session: Session, calendar: WorkCalendar) -> dict[Kind, list[StageSample]]:
    """One sample per finished stage visit in the whole history, by kind (one query over all transitions).

    A visit entered or left by a fact an import recorded (source `import`: a CAC list's approval, a spreadsheet's
    current stage) is not timed: its dates are when the list was published or the file was read, not when the
    filing moved.
    """
    statement = (
        sa_select(
            col(TransitionRow.filing_id),
            col(FilingRow.kind),
            col(TransitionRow.to_stage),
            _raw(TransitionRow.effective_at),
            col(TransitionRow.source),
        )
        .join(FilingRow, col(FilingRow.id) == col(TransitionRow.filing_id))
        .order_by(col(TransitionRow.filing_id), col(TransitionRow.id))
    )
    rows = session.connection().execute(statement).all()
    out: dict[Kind, list[StageSample]] = {}
    if not rows:
        return out
    days = [beijing_date(r[3]) for r in rows]
    counter = WorkdayCounter(calendar, min(days), max(days))
    timed = {(k.value, s.value): (k, s) for k in Kind for s in Stage if _visited(k, s)}
    for i in range(len(rows) - 1):
        filing_id, kind_name, stage_name, _, source = rows[i]
        if rows[i + 1][0] != filing_id:
            continue  # the filing's current stage: a visit still running
        if source == IMPORTED or rows[i + 1][4] == IMPORTED:
            continue
        found = timed.get((kind_name, stage_name))
        if found is None:
            continue
        kind, stage = found
        spent = max(counter.between(days[i], days[i + 1]), 0)
        out.setdefault(kind, []).append(StageSample(kind, stage, float(spent), filing_id))
    return out


# -- clocks and statistics -------------------------------------------------------------------------


def clock_history(session: Session, ids: Sequence[int] | None = None) -> list[Any]:
    """Every history row of the filings (all, or those in `ids`), by filing then order, in one query.

    Each row: filing_id, ref, kind, organisation_id, organisation, algorithm_type, event, from_stage,
    to_stage, effective_at (naive values are UTC), reason.
    """
    statement = (
        sa_select(
            *(
                col(c)
                for c in (
                    TransitionRow.filing_id,
                    FilingRow.ref,
                    FilingRow.kind,
                    FilingRow.organisation_id,
                    OrganisationRow.name,
                    FilingRow.algorithm_type,
                    TransitionRow.event,
                    TransitionRow.from_stage,
                    TransitionRow.to_stage,
                )
            ),
            _raw(TransitionRow.effective_at),
            col(TransitionRow.reason),
        )
        .join(FilingRow, col(FilingRow.id) == col(TransitionRow.filing_id))
        .join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
        .order_by(col(TransitionRow.filing_id), col(TransitionRow.id))
    )
    if ids is not None:
        statement = statement.where(col(TransitionRow.filing_id).in_(list(ids)))
    return list(session.connection().execute(statement).all())
