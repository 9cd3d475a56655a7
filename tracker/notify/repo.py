"""Every query of the notification slice: recipients, outbox reads, the outbox rows a transition or an overdue
deadline adds, and row→domain conversion. The outbox's write-side state machine (claim, mark, record) is in
`tracker.notify.claims`. Times come back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from tracker.domain import Notification, Recipient
from tracker.errors import NotFound, UsageError
from tracker.notify.claims import due, lookup_due, update_rows
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.outbox import split_events
from tracker.store.tables import FilingRow, OrganisationRow, OutboxRow, RecipientRow
from tracker.timeutil import to_db, to_utc

# -- conversion -------------------------------------------------------------------------------------


def recipient_from_row(row: RecipientRow) -> Recipient:
    """Convert a recipient row."""
    assert row.id is not None
    return Recipient(
        id=row.id,
        phone=row.phone,
        name=row.name,
        events=split_events(row.events),
        language=row.language,
        organisation_id=row.organisation_id,
        filing_id=row.filing_id,
        created_at=to_utc(row.created_at),  # type: ignore[arg-type]
    )


def notification_from_row(row: OutboxRow, ref: str | None) -> Notification:
    """Convert an outbox row (with its filing's reference; `digest` for a digest summary, which has none)."""
    assert row.id is not None
    return Notification(
        id=row.id,
        filing_id=row.filing_id,
        filing_ref=ref or "digest",
        phone=row.phone,
        event=row.event,
        body=row.body,
        segments=row.segments,
        status=row.status,
        attempts=row.attempts,
        created_at=to_utc(row.created_at),  # type: ignore[arg-type]
        sent_at=to_utc(row.sent_at),
        next_attempt_at=to_utc(row.next_attempt_at),
        sid=row.sid,
        delivery_status=row.delivery_status,
        error_code=row.error_code,
        error_message=row.error_message,
    )


# -- recipients -------------------------------------------------------------------------------------


def insert_recipient(
    session: Session,
    *,
    phone: str,
    organisation_id: int | None,
    filing_id: int | None,
    where: str,
    name: str | None,
    events: Sequence[str],
    language: str,
    now: datetime,
) -> Recipient:
    """Add a recipient row; the same phone twice for the same scope is a `UsageError` naming the first one."""
    existing = session.exec(
        select(RecipientRow).where(
            RecipientRow.phone == phone,
            RecipientRow.organisation_id == organisation_id,
            RecipientRow.filing_id == filing_id,
        )
    ).first()
    if existing is not None:
        raise UsageError(
            f"{phone} already receives SMS for {where} (recipient {existing.id})",
            hint=f"remove it first with `beian notify recipients remove {existing.id}`",
        )
    row = RecipientRow(
        organisation_id=organisation_id,
        filing_id=filing_id,
        phone=phone,
        name=name,
        events=",".join(events),
        language=language,
        created_at=to_db(now),
    )
    session.add(row)
    session.flush()
    return recipient_from_row(row)


def list_recipients(
    session: Session, *, organisation_id: int | None = None, filing: FilingRow | None = None
) -> list[Recipient]:
    """Recipients: all, an organisation's own, or those a filing's messages reach (its own and its organisation's)."""
    statement = select(RecipientRow).order_by(col(RecipientRow.id))
    if filing is not None:
        statement = statement.where(
            (col(RecipientRow.filing_id) == filing.id)
            | (col(RecipientRow.organisation_id) == filing.organisation_id)
        )
    elif organisation_id is not None:
        statement = statement.where(col(RecipientRow.organisation_id) == organisation_id)
    return [recipient_from_row(r) for r in session.exec(statement).all()]


def delete_recipient(session: Session, recipient_id: int) -> Recipient:
    """Delete a recipient (`NotFound` if there is none); the outbox keeps its rows, detached from it."""
    row = session.get(RecipientRow, recipient_id)
    if row is None:
        raise NotFound(f"no recipient {recipient_id}", hint="`beian notify recipients list` shows them")
    # keep the outbox history: detach its rows from the recipient instead of refusing the delete
    session.execute(
        update(OutboxRow).where(col(OutboxRow.recipient_id) == recipient_id).values(recipient_id=None)
    )
    removed = recipient_from_row(row)
    session.delete(row)
    session.flush()
    return removed


def scope_labels(session: Session, recipient_ids: Sequence[int]) -> dict[int, str]:
    """For each recipient id: `ALG-0001` for a filing, the organisation's name for an organisation."""
    if not recipient_ids:
        return {}
    rows = session.exec(select(RecipientRow).where(col(RecipientRow.id).in_(recipient_ids))).all()
    filing_ids = {r.filing_id for r in rows if r.filing_id is not None}
    org_ids = {r.organisation_id for r in rows if r.organisation_id is not None}
    refs = (
        dict(session.exec(select(FilingRow.id, FilingRow.ref).where(col(FilingRow.id).in_(filing_ids))).all())
        if filing_ids
        else {}
    )
    names = (
        dict(
            session.exec(
                select(OrganisationRow.id, OrganisationRow.name).where(col(OrganisationRow.id).in_(org_ids))
            ).all()
        )
        if org_ids
        else {}
    )
    labels: dict[int, str] = {}
    for r in rows:
        assert r.id is not None
        labels[r.id] = (
            refs.get(r.filing_id, "?") if r.filing_id is not None else names.get(r.organisation_id, "?")
        )
    return labels


def subscribers(session: Session, filing: FilingRow, event: str) -> list[RecipientRow]:
    """Recipients of the filing and of its organisation who want `event`: one per phone, filing-level first."""
    rows = session.exec(
        select(RecipientRow).where(
            or_(
                col(RecipientRow.filing_id) == filing.id,
                col(RecipientRow.organisation_id) == filing.organisation_id,
            )
        )
    ).all()
    key = event.partition(":")[0]
    chosen: dict[str, RecipientRow] = {}
    for row in sorted(rows, key=lambda r: (r.filing_id is None, r.id or 0)):
        if key in split_events(row.events) and row.phone not in chosen:
            chosen[row.phone] = row
    return list(chosen.values())


# -- the outbox -------------------------------------------------------------------------------------


def add_outbox_rows(
    session: Session,
    *,
    filing: FilingRow,
    event: str,
    transition_id: int | None,
    messages: Sequence[tuple[RecipientRow, str, int]],
    now: datetime,
) -> int:
    """Inside the caller's transaction: one pending row per (recipient, body, segments); returns how many."""
    stamp = to_db(now)
    assert filing.id is not None
    for recipient, body, segments in messages:
        session.add(
            OutboxRow(
                filing_id=filing.id,
                transition_id=transition_id,
                recipient_id=recipient.id,
                phone=recipient.phone,
                event=event,
                body=body,
                segments=segments,
                status=S.PENDING.value,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return len(messages)


def phones_notified(session: Session, filing_id: int | None, event: str) -> set[str]:
    """Phones that already have an outbox row for this filing and event."""
    statement = select(OutboxRow.phone).where(OutboxRow.filing_id == filing_id, OutboxRow.event == event)
    return set(session.exec(statement).all())


def notifications(
    session: Session, *, filing_id: int | None = None, status: str | None = None, limit: int | None = None
) -> list[Notification]:
    """Outbox rows, newest first, optionally of one filing and one status."""
    statement = select(OutboxRow, FilingRow.ref).outerjoin(
        FilingRow, col(FilingRow.id) == col(OutboxRow.filing_id)
    )
    if filing_id is not None:
        statement = statement.where(OutboxRow.filing_id == filing_id)
    if status is not None:
        statement = statement.where(OutboxRow.status == status)
    rows = session.exec(statement.order_by(col(OutboxRow.id).desc()).limit(limit)).all()
    return [notification_from_row(r, ref) for r, ref in rows]


def notification(session: Session, outbox_id: int) -> Notification:
    """One outbox row, or `NotFound`."""
    found = session.exec(
        select(OutboxRow, FilingRow.ref)
        .outerjoin(FilingRow, col(FilingRow.id) == col(OutboxRow.filing_id))
        .where(OutboxRow.id == outbox_id)
    ).first()
    if found is None:
        raise NotFound(f"no notification {outbox_id}", hint="`beian notify list` shows them")
    return notification_from_row(*found)


def status_counts(session: Session, statuses: Sequence[str] | None = None) -> dict[str, int]:
    """Outbox rows per status (only these statuses when given)."""
    statement = select(OutboxRow.status, func.count())
    if statuses is not None:
        statement = statement.where(col(OutboxRow.status).in_(statuses))
    return {status: int(n) for status, n in session.exec(statement.group_by(OutboxRow.status)).all()}


def move(session: Session, outbox_id: int, expected: str, values: dict[str, Any], now: datetime) -> bool:
    """Update one row only if it is still in status `expected`; False when it changed meanwhile."""
    where = and_(col(OutboxRow.id) == outbox_id, col(OutboxRow.status) == expected)
    return bool(update_rows(session, where, values, now))


def next_due(session: Session) -> datetime | None:
    """When the next pending row is due, or the next `unknown` row is to be looked for at Twilio (aware UTC),
    or None."""
    due_at = session.exec(
        select(func.min(func.coalesce(OutboxRow.next_attempt_at, OutboxRow.created_at))).where(
            col(OutboxRow.status).in_([S.PENDING.value, S.UNKNOWN.value])
        )
    ).one()
    return to_utc(due_at)


def due_count(session: Session, now: datetime) -> int:
    """How many rows are due now."""
    return int(session.exec(select(func.count()).select_from(OutboxRow).where(due(now))).one())


def lookup_due_count(session: Session, now: datetime) -> int:
    """How many `unknown` rows may be looked for at Twilio now."""
    return int(session.exec(select(func.count()).select_from(OutboxRow).where(lookup_due(now))).one())


def any_due_after_failure(session: Session, now: datetime) -> bool:
    """Whether a row due now failed its last attempt (it carries an error message)."""
    row = session.exec(
        select(OutboxRow.id).where(due(now), col(OutboxRow.error_message).is_not(None)).limit(1)
    ).first()
    return row is not None


def known_sids(
    session: Session, phones: Sequence[str], exclude_ids: Sequence[int]
) -> dict[str, frozenset[str]]:
    """Per phone, the SIDs already recorded on outbox rows other than `exclude_ids` (a look-up at Twilio must
    not take another row's message for its own)."""
    found: dict[str, set[str]] = {phone: set() for phone in phones}
    if phones:
        rows = session.exec(
            select(OutboxRow.phone, OutboxRow.sid).where(
                col(OutboxRow.phone).in_(phones),
                col(OutboxRow.sid).is_not(None),
                col(OutboxRow.id).not_in(list(exclude_ids) or [-1]),
            )
        ).all()
        for phone, sid in rows:
            if sid is not None:
                found[phone].add(sid)
    return {phone: frozenset(sids) for phone, sids in found.items()}


def due_rows(session: Session, now: datetime, limit: int | None) -> tuple[Notification, ...]:
    """The rows due now, oldest first (what a dry run would send)."""
    rows = session.exec(
        select(OutboxRow, FilingRow.ref)
        .outerjoin(FilingRow, col(FilingRow.id) == col(OutboxRow.filing_id))
        .where(due(now))
        .order_by(col(OutboxRow.id))
        .limit(limit)
    ).all()
    return tuple(notification_from_row(r, ref) for r, ref in rows)


def sent_to_poll(session: Session, since: datetime, finals: Collection[str], limit: int) -> list[Any]:
    """(id, sid, delivery_status, error_code) of rows sent since `since` whose delivery status may still change."""
    return list(
        session.exec(
            select(OutboxRow.id, OutboxRow.sid, OutboxRow.delivery_status, OutboxRow.error_code)
            .where(
                OutboxRow.status == S.SENT.value,
                col(OutboxRow.sid).is_not(None),
                or_(col(OutboxRow.delivery_status).is_(None), col(OutboxRow.delivery_status).not_in(finals)),
                col(OutboxRow.sent_at) >= to_db(since),
            )
            .order_by(col(OutboxRow.id).desc())
            .limit(limit)
        ).all()
    )


def unknown_rows(session: Session, limit: int) -> list[OutboxRow]:
    """Rows in `unknown`, oldest first."""
    return list(
        session.exec(
            select(OutboxRow)
            .where(OutboxRow.status == S.UNKNOWN.value)
            .order_by(col(OutboxRow.id))
            .limit(limit)
        ).all()
    )
