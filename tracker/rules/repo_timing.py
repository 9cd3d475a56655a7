"""Time per stage over the whole history, counted by the database: the set-based twin of
`tracker.rules.repo.stage_samples` for questions that need only counts, medians and maxima (the status report,
the dashboard's chart).

One window-function pass pairs each history row with the next one of its filing; the database groups the
finished visits by (kind, stage, day entered, day left) and counts them, so a history of 400,000 rows comes
back as a few hundred rows. Days are Beijing days (UTC+8).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from states import Kind, Stage
from tracker.rules.repo import IMPORTED, _visited
from tracker.store.tables import FilingRow, TransitionRow
from tracker.timeutil import beijing_date

__all__ = ["StageSpan", "stage_spans"]

StageSpan = tuple[Kind, Stage, date, date, int]
"""(kind, stage, Beijing day entered, Beijing day left, visits): finished visits with the same two days."""


def _day_key(column: Any, dialect: str) -> Any:
    # the UTC hour decides the Beijing day (UTC+8 is a whole number of hours): on SQLite the stored text cut to
    # `YYYY-MM-DD HH` is cheap to group by; PostgreSQL gives the Beijing date itself
    if dialect == "sqlite":
        return func.substr(column, 1, 13)
    return cast(func.timezone("UTC", column) + literal_column("INTERVAL '8 hours'"), Date)


def _beijing_day(key: Any) -> date:
    if isinstance(key, str):  # `YYYY-MM-DD HH`, UTC
        day = date(int(key[:4]), int(key[5:7]), int(key[8:10]))
        return day + timedelta(days=1) if int(key[11:13]) >= 16 else day
    if isinstance(key, datetime):
        return beijing_date(key)
    assert isinstance(key, date)
    return key


def stage_spans(session: Session) -> list[StageSpan]:
    """Every finished stage visit that `stage_samples` times (imported facts are not), grouped and counted.

    Each item: (kind, stage, Beijing day entered, Beijing day left, number of visits); no order.
    Raises SQLAlchemy errors (the store translates them).
    """
    conn = session.connection()
    t = TransitionRow.__table__  # type: ignore[attr-defined]
    key = _day_key(t.c.effective_at, conn.dialect.name)
    window: dict[str, Any] = {"partition_by": t.c.filing_id, "order_by": t.c.id}
    visits = sa_select(
        t.c.filing_id,
        t.c.to_stage,
        t.c.source,
        key.label("entered"),
        func.lead(key).over(**window).label("left"),
        func.lead(t.c.source).over(**window).label("next_source"),
    ).subquery("visits")
    statement = (
        sa_select(col(FilingRow.kind), visits.c.to_stage, visits.c.entered, visits.c.left, func.count())
        .join(FilingRow, col(FilingRow.id) == visits.c.filing_id)
        .where(
            visits.c.next_source.is_not(None),  # else the filing's current stage: a visit still running
            visits.c.source != IMPORTED,
            visits.c.next_source != IMPORTED,
        )
        .group_by(col(FilingRow.kind), visits.c.to_stage, visits.c.entered, visits.c.left)
    )
    timed = {(k.value, s.value): (k, s) for k in Kind for s in Stage if _visited(k, s)}
    days: dict[Any, date] = {}
    merged: dict[tuple[Kind, Stage, date, date], int] = {}
    for kind_name, stage_name, entered, left, count in conn.execute(statement):
        found = timed.get((kind_name, stage_name))
        if found is None:
            continue
        if entered not in days:
            days[entered] = _beijing_day(entered)
        if left not in days:
            days[left] = _beijing_day(left)
        span = (found[0], found[1], days[entered], days[left])
        merged[span] = merged.get(span, 0) + int(count)
    return [(*span, n) for span, n in merged.items()]
