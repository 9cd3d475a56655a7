"""The change counter: every write bumps it in its own transaction; on PostgreSQL the same transaction sends a
notification (`tracker.store.changes`), so open dashboards learn of it at commit without polling."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from tracker.store.db import Unit
from tracker.store.tables import MetaRow

_META_TABLE = MetaRow.__table__  # type: ignore[attr-defined]
_BUMP_REVISION = (
    update(_META_TABLE).where(_META_TABLE.c.key == "revision").values(value=_META_TABLE.c.value + 1)
)


_NOTIFY = core_select(func.pg_notify("beian_changes", func.current_schema()))


def bump_revision(session: Unit) -> None:
    """Advance the change counter (inside the caller's transaction); on PostgreSQL also `NOTIFY beian_changes`,
    which the server delivers to listening dashboards when, and only if, the transaction commits."""
    connection = session.connection()
    connection.execute(_BUMP_REVISION)
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY)


def read_revision(session: Session) -> int:
    """The change counter: an integer that only grows."""
    value = session.exec(select(MetaRow.value).where(MetaRow.key == "revision")).first()
    return int(value or 0)
