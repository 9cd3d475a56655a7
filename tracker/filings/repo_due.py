"""The stored next due date of each filing (`filing.next_due`, see `tracker.rules.next_due`): which rows must
be computed again, writing what was computed, and marking rows whose deadline inputs changed.

Part of the filing repository: SQL only, no rules. A row is current when its `next_due_stamp` equals the
fingerprint of the rules and calendar in use; writers set the stamp to NULL in the transaction that changes a
deadline's inputs, and the next reader computes it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, or_, select, update

from tracker.store.tables import FilingRow

_FILING = FilingRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def _stale(stamp: str) -> Any:
    column = _FILING.c.next_due_stamp
    return or_(column.is_(None), column != stamp)


def any_stale(connection: Connection, stamp: str) -> bool:
    """Whether some filing's stored next due date was not computed with `stamp` (a cheap check, no lock)."""
    return bool(connection.execute(select(exists().where(_stale(stamp)))).scalar())


def lock_stale(connection: Connection, stamp: str) -> list[int]:
    """Ids of the filings whose stored next due date must be computed again, locked for this transaction.

    On SQLite the first statement takes the write lock (a concurrent writer waits or is waited for, so what is
    read next cannot change before the values are written); on PostgreSQL the rows are `FOR UPDATE`.
    """
    statement = select(_FILING.c.id).where(_stale(stamp)).order_by(_FILING.c.id)
    if connection.dialect.name == "sqlite":
        connection.execute(update(_FILING).where(_FILING.c.id == -1).values(next_due_stamp=None))
    else:
        statement = statement.with_for_update()
    return [int(i) for i in connection.execute(statement).scalars()]


_STORE = (
    update(_FILING)
    .where(_FILING.c.id == bindparam("match_id"))
    .values(
        next_due=bindparam("set_due"),
        next_due_regulator=bindparam("set_regulator"),
        next_due_stamp=bindparam("set_stamp"),
    )
)


def store_next_due(
    connection: Connection, stamp: str, values: Sequence[tuple[int, date | None, bool | None]]
) -> None:
    """Write (filing id, due date or None, binds the regulator) for each filing, stamped with `stamp`."""
    params = [
        {"match_id": fid, "set_due": due, "set_regulator": regulator, "set_stamp": stamp}
        for fid, due, regulator in values
    ]
    for start in range(0, len(params), 2000):
        connection.execute(_STORE, params[start : start + 2000])


def forget_next_due(connection: Connection, filing_ids: Iterable[int]) -> None:
    """Mark the stored next due date of these filings for recomputation (their deadline inputs changed), in the
    caller's transaction."""
    ids = sorted(set(filing_ids))
    for start in range(0, len(ids), _CHUNK):
        connection.execute(
            update(_FILING).where(_FILING.c.id.in_(ids[start : start + _CHUNK])).values(next_due_stamp=None)
        )


def forget_all(connection: Connection) -> None:
    """Mark every filing's stored next due date for recomputation (`beian init`, a rules or calendar change)."""
    connection.execute(update(_FILING).values(next_due_stamp=None))


def odd_trigger_dates(connection: Connection, earliest: date, latest: date) -> list[int]:
    """Filings holding a trigger date outside `earliest..latest` (stored before dates were checked at input)."""
    f = _FILING.c
    dates = (f.launch_date, f.change_date, f.termination_date)
    outside = or_(*(and_(c.is_not(None), or_(c < earliest, c > latest)) for c in dates))
    return [int(i) for i in connection.execute(select(f.id).where(outside)).scalars()]


def due_before_rows(
    connection: Connection, before: date, ids: Sequence[int] | None = None
) -> list[tuple[int, date]]:
    """(filing id, stored next due date) of the filings (all, or those in `ids`) due before `before`."""
    f = _FILING.c
    statement = select(f.id, f.next_due).where(f.next_due < before)
    if ids is None:
        return [(int(i), d) for i, d in connection.execute(statement).all()]
    out: list[tuple[int, date]] = []
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _CHUNK):
        chunk = statement.where(f.id.in_(wanted[start : start + _CHUNK]))
        out.extend((int(i), d) for i, d in connection.execute(chunk).all())
    return out
