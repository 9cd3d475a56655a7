"""Queries of "changed since you last looked": the `seen` marks per person, the `filing_edit` log, and the history
rows and edits a person has not seen. Bulk: one query per kind of change, whatever the number of filings.
Times come back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select

from tracker.store.db import Unit
from tracker.store.tables import FilingEditRow, FilingRow, SeenRow, TransitionRow
from tracker.timeutil import to_db, to_utc

_SEEN = SeenRow.__table__  # type: ignore[attr-defined]
_EDIT = FilingEditRow.__table__  # type: ignore[attr-defined]
_TRANSITION = TransitionRow.__table__  # type: ignore[attr-defined]
_FILING = FilingRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def record_edit(
    session: Unit, filing_id: int, actor: str | None, at: datetime, fields: Sequence[str]
) -> None:
    """Append who edited (or, with fields `created`, created) a filing, in the caller's transaction."""
    session.connection().execute(
        insert(_EDIT).values(filing_id=filing_id, actor=actor, at=to_db(at), fields=",".join(fields))
    )


def seen_marks(session: Unit, person: str, ids: Sequence[int] | None) -> dict[int, tuple[int, int, str, Any]]:
    """The person's marks by filing id: (transition id, edit id, deadline state, seen at)."""
    statement = select(
        _SEEN.c.filing_id, _SEEN.c.transition_id, _SEEN.c.edit_id, _SEEN.c.deadline, _SEEN.c.seen_at
    )
    statement = statement.where(_SEEN.c.person == person)
    if ids is not None:
        statement = statement.where(_SEEN.c.filing_id.in_(list(ids)))
    return {r[0]: (r[1], r[2], r[3], to_utc(r[4])) for r in session.connection().execute(statement)}


def _unseen(table: Any, person: str, ids: Sequence[int] | None, actor: Any, mark: Any) -> Any:
    joined = table.outerjoin(_SEEN, and_(_SEEN.c.filing_id == table.c.filing_id, _SEEN.c.person == person))
    where = [table.c.id > func.coalesce(mark, 0), or_(actor.is_(None), actor != person)]
    if ids is not None:
        where.append(table.c.filing_id.in_(list(ids)))
    return joined, where


def unseen_transitions(session: Unit, person: str, ids: Sequence[int] | None) -> list[Any]:
    """History rows made by anyone but `person` after their mark, by filing then order.

    Each row: filing_id, id, event, from_stage, to_stage, reason, filing_number, actor, effective_at.
    """
    t = _TRANSITION
    joined, where = _unseen(t, person, ids, t.c.actor, _SEEN.c.transition_id)
    statement = (
        select(t.c.filing_id, t.c.id, t.c.event, t.c.from_stage, t.c.to_stage, t.c.reason, t.c.filing_number)
        .add_columns(t.c.actor, t.c.effective_at)
        .select_from(joined)
        .where(*where)
        .order_by(t.c.filing_id, t.c.id)
    )
    return list(session.connection().execute(statement))


def unseen_edits(session: Unit, person: str, ids: Sequence[int] | None) -> list[Any]:
    """Edits made by anyone but `person` after their mark: filing_id, id, actor, at, fields."""
    e = _EDIT
    joined, where = _unseen(e, person, ids, e.c.actor, _SEEN.c.edit_id)
    statement = (
        select(e.c.filing_id, e.c.id, e.c.actor, e.c.at, e.c.fields)
        .select_from(joined)
        .where(*where)
        .order_by(e.c.filing_id, e.c.id)
    )
    return list(session.connection().execute(statement))


def refs(session: Unit, ids: Sequence[int]) -> dict[int, str]:
    """Filing references by id."""
    out: dict[int, str] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        statement = select(_FILING.c.id, _FILING.c.ref).where(_FILING.c.id.in_(chunk))
        out.update((fid, ref) for fid, ref in session.connection().execute(statement))
    return out


def mark_seen(
    session: Unit, person: str, ids: Sequence[int] | None, deadlines: dict[int, str], now: datetime
) -> int:
    """Set the person's marks on these filings (all when None) to their latest history row and edit.

    `deadlines` gives the deadline state (`due_soon`, `overdue`) of the filings that have one. Returns how
    many filings were marked.
    """
    conn = session.connection()
    last_t = (
        select(func.max(_TRANSITION.c.id)).where(_TRANSITION.c.filing_id == _FILING.c.id).scalar_subquery()
    )
    last_e = select(func.max(_EDIT.c.id)).where(_EDIT.c.filing_id == _FILING.c.id).scalar_subquery()
    rows = select(_FILING.c.id, func.coalesce(last_t, 0), func.coalesce(last_e, 0))
    chunks: list[list[int] | None] = [None]
    if ids is not None:
        wanted = list(ids)
        chunks = [wanted[s : s + _CHUNK] for s in range(0, len(wanted), _CHUNK)]
    marked = 0
    for chunk in chunks:
        gone = delete(_SEEN).where(_SEEN.c.person == person)
        query = rows
        if chunk is not None:
            gone = gone.where(_SEEN.c.filing_id.in_(chunk))
            query = query.where(_FILING.c.id.in_(chunk))
        conn.execute(gone)
        values = [
            {
                "person": person,
                "filing_id": fid,
                "transition_id": tid,
                "edit_id": eid,
                "deadline": deadlines.get(fid, ""),
                "seen_at": to_db(now),
            }
            for fid, tid, eid in conn.execute(query)
        ]
        if values:
            conn.execute(insert(_SEEN), values)
        marked += len(values)
    return marked
