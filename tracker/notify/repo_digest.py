"""Every query of digests: what moved in a period, open filings, the digest outbox (e-mail) and its schedule, and
the SMS summary rows of the SMS outbox. Times come back as aware UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tracker.domain.digest import DigestDelivery, DigestSchedule
from tracker.errors import NotFound, UsageError
from tracker.store.db import Store, Unit
from tracker.store.tables import (
    DigestRow,
    DigestScheduleRow,
    FilingEditRow,
    FilingRow,
    OrganisationRow,
    OutboxRow,
    TransitionRow,
)
from tracker.timeutil import to_db, to_utc

_T = TransitionRow.__table__  # type: ignore[attr-defined]
_F = FilingRow.__table__  # type: ignore[attr-defined]
_O = OrganisationRow.__table__  # type: ignore[attr-defined]
_E = FilingEditRow.__table__  # type: ignore[attr-defined]
_D = DigestRow.__table__  # type: ignore[attr-defined]
_S = DigestScheduleRow.__table__  # type: ignore[attr-defined]
_OUT = OutboxRow.__table__  # type: ignore[attr-defined]
MOVES = ("approve", "return_for_revision", "submit", "resubmit")


def moved(session: Unit, since: datetime, until: datetime) -> list[Any]:
    """History rows of `MOVES` effective in [since, until), oldest first: filing_id, ref, title, organisation_id,
    organisation, event, to_stage, kind, reason, filing_number, actor, effective_at."""
    statement = (
        select(_T.c.filing_id, _F.c.ref, _F.c.title, _F.c.organisation_id, _O.c.name, _T.c.event)
        .add_columns(_T.c.to_stage, _F.c.kind, _T.c.reason, _T.c.filing_number, _T.c.actor, _T.c.effective_at)
        .select_from(_T.join(_F, _F.c.id == _T.c.filing_id).join(_O, _O.c.id == _F.c.organisation_id))
        .where(_T.c.event.in_(MOVES), _T.c.effective_at >= to_db(since), _T.c.effective_at < to_db(until))
        .order_by(_T.c.effective_at, _T.c.id)
    )
    return list(session.connection().execute(statement))


def created(session: Unit, since: datetime, until: datetime) -> list[Any]:
    """Filings created in [since, until): id, ref, title, organisation_id, organisation, created_at, creator."""
    creator = (
        select(_E.c.actor)
        .where(_E.c.filing_id == _F.c.id, _E.c.fields == "created")
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(_F.c.id, _F.c.ref, _F.c.title, _F.c.organisation_id, _O.c.name, _F.c.created_at, creator)
        .select_from(_F.join(_O, _O.c.id == _F.c.organisation_id))
        .where(_F.c.created_at >= to_db(since), _F.c.created_at < to_db(until))
        .order_by(_F.c.created_at, _F.c.id)
    )
    return list(session.connection().execute(statement))


def in_stages(session: Unit, stages: Sequence[str]) -> list[Any]:
    """Filings in these stages: id, ref, title, organisation_id, kind, stage, stage_entered_at."""
    statement = select(
        _F.c.id, _F.c.ref, _F.c.title, _F.c.organisation_id, _F.c.kind, _F.c.stage, _F.c.stage_entered_at
    ).where(_F.c.stage.in_(list(stages)))
    return list(session.connection().execute(statement))


def organisation_name(session: Unit, organisation_id: int) -> str:
    """An organisation's name ("?" if it is gone)."""
    found = session.connection().execute(select(_O.c.name).where(_O.c.id == organisation_id)).scalar()
    return str(found) if found is not None else "?"


def filing_scope(session: Unit, filing_id: int) -> tuple[str, int] | None:
    """A filing's reference and organisation id."""
    found = (
        session.connection()
        .execute(select(_F.c.ref, _F.c.organisation_id).where(_F.c.id == filing_id))
        .first()
    )
    return (str(found[0]), int(found[1])) if found is not None else None


# -- the digest outbox (e-mail) ---------------------------------------------------------------------


def delivery(row: Any) -> DigestDelivery:
    """Convert a digest row mapping."""
    return DigestDelivery(
        id=row["id"],
        channel=row["channel"],
        recipient=row["recipient"],
        period=row["period"],
        status=row["status"],
        attempts=row["attempts"],
        subject=row["subject"],
        created_at=to_utc(row["created_at"]),  # type: ignore[arg-type]
        sent_at=to_utc(row["sent_at"]),
        message_id=row["message_id"],
        error_message=row["error_message"],
    )


def find_digest(session: Unit, recipient: str, period: str, channel: str = "email") -> DigestDelivery | None:
    """The digest row of (channel, recipient, period), if queued already."""
    found = (
        session.connection()
        .execute(
            select(_D).where(_D.c.channel == channel, _D.c.recipient == recipient, _D.c.period == period)
        )
        .mappings()
        .first()
    )
    return delivery(found) if found is not None else None


def queue_digest(store: Store, values: dict[str, Any]) -> tuple[DigestDelivery, bool]:
    """Commit one digest row keyed by (channel, recipient, period) in its own transaction, unless it exists.

    Returns the row and whether it is new; a concurrent writer of the same key loses to the unique constraint
    and gets the existing row.
    """
    key = (values["recipient"], values["period"], values.get("channel", "email"))
    with store.unit() as session:
        found = find_digest(session, *key)
        if found is not None:
            return found, False
    try:
        with store.unit() as session:
            session.connection().execute(insert(_D).values(**values))
    except IntegrityError:
        pass
    with store.unit() as session:
        found = find_digest(session, *key)
        assert found is not None
        return found, True


def due_digests(session: Unit, now: datetime, limit: int | None = None) -> list[int]:
    """Ids of pending digest rows due now, oldest first."""
    statement = (
        select(_D.c.id)
        .where(
            _D.c.status == "pending",
            or_(_D.c.next_attempt_at.is_(None), _D.c.next_attempt_at <= to_db(now)),
        )
        .order_by(_D.c.id)
        .limit(limit)
    )
    return [int(i) for i in session.connection().execute(statement).scalars()]


def claim_digest(session: Unit, digest_id: int, now: datetime) -> dict[str, Any] | None:
    """Move a pending row to `sending` (counting the attempt); None when someone else took it meanwhile."""
    moved_rows = session.connection().execute(
        update(_D)
        .where(_D.c.id == digest_id, _D.c.status == "pending")
        .values(status="sending", attempts=_D.c.attempts + 1, updated_at=to_db(now))
    )
    if moved_rows.rowcount != 1:
        return None
    found = session.connection().execute(select(_D).where(_D.c.id == digest_id)).mappings().first()
    return dict(found) if found is not None else None


def settle_digest(session: Unit, digest_id: int, values: dict[str, Any], now: datetime) -> None:
    """Record how a `sending` row ended (sent, pending with a retry time, failed, unknown)."""
    session.connection().execute(
        update(_D)
        .where(_D.c.id == digest_id, _D.c.status == "sending")
        .values(**values, updated_at=to_db(now))
    )


def abandon_sending(session: Unit, older_than: datetime, now: datetime) -> int:
    """Rows left `sending` by a dispatcher that died: `unknown` (they may have gone out), never resent."""
    result = session.connection().execute(
        update(_D)
        .where(_D.c.status == "sending", _D.c.updated_at < to_db(older_than))
        .values(status="unknown", error_message="the dispatcher stopped while sending", updated_at=to_db(now))
    )
    return int(result.rowcount or 0)


def deliveries(session: Unit, limit: int | None = None, status: str | None = None) -> list[DigestDelivery]:
    """Digest rows (in `status`, when given), newest first."""
    statement = select(_D).order_by(_D.c.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(_D.c.status == status)
    return [delivery(r) for r in session.connection().execute(statement).mappings()]


def get_digest(session: Unit, digest_id: int) -> DigestDelivery:
    """One digest e-mail row. Raises `NotFound`."""
    found = session.connection().execute(select(_D).where(_D.c.id == digest_id)).mappings().first()
    if found is None:
        raise NotFound(f"no digest e-mail D{digest_id}", hint="`beian notify list --email` shows them")
    return delivery(found)


def move_digest(session: Unit, digest_id: int, status: str, values: dict[str, Any], now: datetime) -> bool:
    """Change a row still in `status`; False when it changed meanwhile."""
    result = session.connection().execute(
        update(_D).where(_D.c.id == digest_id, _D.c.status == status).values(**values, updated_at=to_db(now))
    )
    return bool(result.rowcount == 1)


def last_until(session: Unit) -> datetime | None:
    """The end of the latest period a digest was queued for."""
    return to_utc(session.connection().execute(select(func.max(_D.c.until))).scalar())


# -- the SMS summary of a digest --------------------------------------------------------------------


def queue_sms_summary(store: Store, values: dict[str, Any]) -> bool:
    """Commit one SMS outbox row with its `dedupe_key`, in its own transaction; False if it exists already."""
    with store.unit() as session:
        found = session.connection().execute(
            select(_OUT.c.id).where(_OUT.c.dedupe_key == values["dedupe_key"])
        )
        if found.first() is not None:
            return False
    try:
        with store.unit() as session:
            session.connection().execute(insert(_OUT).values(**values))
    except IntegrityError:
        return False
    return True


# -- schedules --------------------------------------------------------------------------------------


def schedule(row: Any) -> DigestSchedule:
    """Convert a schedule row mapping."""
    return DigestSchedule(
        id=row["id"],
        channel=row["channel"],
        address=row["address"],
        every=row["every"],
        format=row["format"],
        organisation_id=row["organisation_id"],
        created_at=to_utc(row["created_at"]),  # type: ignore[arg-type]
    )


def add_schedule(session: Unit, values: dict[str, Any]) -> DigestSchedule:
    """Add a schedule; the same address twice is a `UsageError`."""
    exists = select(_S.c.id).where(and_(_S.c.channel == values["channel"], _S.c.address == values["address"]))
    found = session.connection().execute(exists).scalar()
    if found is not None:
        raise UsageError(
            f"{values['address']} already gets digests (schedule {found})",
            hint=f"remove it first with `beian notify schedule remove {found}`",
        )
    new_id = session.connection().execute(insert(_S).values(**values).returning(_S.c.id)).scalar_one()
    row = session.connection().execute(select(_S).where(_S.c.id == new_id)).mappings().one()
    return schedule(row)


def schedules(session: Unit) -> list[DigestSchedule]:
    """Every schedule, oldest first."""
    return [schedule(r) for r in session.connection().execute(select(_S).order_by(_S.c.id)).mappings()]


def remove_schedule(session: Unit, schedule_id: int) -> DigestSchedule:
    """Delete a schedule (`NotFound` if there is none); digests already queued stay."""
    row = session.connection().execute(select(_S).where(_S.c.id == schedule_id)).mappings().first()
    if row is None:
        raise NotFound(f"no digest schedule {schedule_id}", hint="`beian notify schedule list` shows them")
    session.connection().execute(delete(_S).where(_S.c.id == schedule_id))
    return schedule(row)
