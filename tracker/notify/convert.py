"""Recipient and outbox rows → the domain objects the CLI and the dashboard receive."""

from __future__ import annotations

from tracker.domain import Notification, Recipient
from tracker.notify.outbox import split_events
from tracker.store.tables import OutboxRow, RecipientRow
from tracker.timeutil import to_utc


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


def notification_from_row(row: OutboxRow, ref: str) -> Notification:
    """Convert an outbox row (with its filing's reference)."""
    assert row.id is not None
    return Notification(
        id=row.id,
        filing_id=row.filing_id,
        filing_ref=ref,
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
