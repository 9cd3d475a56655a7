"""Filtering and ordering by statutory deadline: decided in Python, because the rules layer computes deadlines.

Deadlines depend on the rules files, the working-day calendar (工作日, 调休) and today's Beijing date, so they
are not stored. The service asks the database for the ids matching every other filter (in reference order),
then this module keeps and orders them by each filing's most urgent running deadline. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tracker.domain import DeadlineView, FilingQuery

Row = tuple[int, str]
"""A filing's id and stage."""


def deadline_rank(deadline: DeadlineView) -> tuple[int, bool, object]:
    """Sort key of a most urgent deadline: working days left (overdue negative), the filer's before the regulator's."""
    return (deadline.working_days_left, deadline.regulator_sla, deadline.due_date)


def keep(deadline: DeadlineView | None, query: FilingQuery) -> bool:
    """Whether a filing with this most urgent deadline (None: none running) passes the deadline filters."""
    if query.overdue and (deadline is None or not deadline.overdue):
        return False
    return not (
        query.due_within is not None and (deadline is None or deadline.working_days_left > query.due_within)
    )


def deadline_order(
    rows: Sequence[Row], deadlines: Mapping[int, DeadlineView], query: FilingQuery
) -> list[Row]:
    """`rows` (in the SQL order) filtered by the query's deadline filters, sorted by deadline when asked.

    Filings without a running deadline come last in either direction; ties keep the incoming order.
    """
    kept = [row for row in rows if keep(deadlines.get(row[0]), query)]
    if query.sort != "deadline":
        return kept
    dated = [row for row in kept if row[0] in deadlines]
    undated = [row for row in kept if row[0] not in deadlines]
    dated.sort(key=lambda row: deadline_rank(deadlines[row[0]]), reverse=query.descending)
    return dated + undated
