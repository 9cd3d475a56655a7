"""The change counter: every write bumps it in its own transaction, and open dashboards poll it."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from tracker.store.db import Unit
from tracker.store.tables import MetaRow

_META_TABLE = MetaRow.__table__  # type: ignore[attr-defined]
_BUMP_REVISION = (
    update(_META_TABLE).where(_META_TABLE.c.key == "revision").values(value=_META_TABLE.c.value + 1)
)


def bump_revision(session: Unit) -> None:
    """Advance the change counter that open dashboards poll (inside the caller's transaction)."""
    session.connection().execute(_BUMP_REVISION)


def read_revision(session: Session) -> int:
    """The change counter: an integer that only grows."""
    value = session.exec(select(MetaRow.value).where(MetaRow.key == "revision")).first()
    return int(value or 0)
