"""Poll Twilio for the delivery status of recent messages, and look for messages whose fate is unknown."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from tracker.errors import NotifyError
from tracker.notify.claims import lease_seconds, recover
from tracker.notify.claims import update_rows as _update
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.reports import StatusReport
from tracker.notify.sender import FINAL_DELIVERY, Delivery, Sender, SendError
from tracker.store.db import Store
from tracker.store.tables import OutboxRow
from tracker.timeutil import Clock, to_db, to_utc

if TYPE_CHECKING:
    from tracker.config import Settings

NOT_FOUND = (
    "Twilio has no message with this text to this number since it was attempted: it was most likely not sent; "
    "`beian notify retry ID --force` sends it"
)


def refresh_status(
    store: Store,
    settings: Settings,
    *,
    clock: Clock,
    sender: Sender | None = None,
    days: float = 7,
    limit: int = 500,
) -> StatusReport:
    """Fetch the status of messages sent in the last `days` that may still change; resolve `unknown` rows."""
    own_sender = sender is None
    if sender is None:
        if not settings.sms_configured:
            return StatusReport(configured=False)
        from tracker.notify.twilio_sender import TwilioSender

        sender = TwilioSender.from_settings(settings)
    recover(store, clock(), lease_seconds(settings))
    since = to_db(clock() - timedelta(days=days))
    with store.unit() as session:
        open_rows = session.exec(
            select(OutboxRow.id, OutboxRow.sid, OutboxRow.delivery_status, OutboxRow.error_code)
            .where(
                OutboxRow.status == S.SENT.value,
                col(OutboxRow.sid).is_not(None),
                or_(
                    col(OutboxRow.delivery_status).is_(None),
                    col(OutboxRow.delivery_status).not_in(FINAL_DELIVERY),
                ),
                col(OutboxRow.sent_at) >= since,
            )
            .order_by(col(OutboxRow.id).desc())
            .limit(limit)
        ).all()
        unknown_rows = session.exec(
            select(OutboxRow)
            .where(OutboxRow.status == S.UNKNOWN.value)
            .order_by(col(OutboxRow.id))
            .limit(limit)
        ).all()
    statuses: Counter[str] = Counter()
    changed = found = not_found = errors = 0
    try:
        for row_id, sid, old_status, old_code in open_rows:
            delivery = _ask(sender.fetch, sid)
            if delivery is None:
                errors += 1
                continue
            statuses[delivery.status] += 1
            if (delivery.status, delivery.error_code) != (old_status, old_code):
                changed += _store(store, int(row_id or 0), S.SENT, delivery, clock())
        for row in unknown_rows:
            row_id = int(row.id or 0)
            attempted = to_utc(row.claimed_at or row.created_at)
            match = _ask(sender.lookup, row.phone, row.body, attempted)
            if match is False:
                errors += 1
            elif match is None:
                not_found += 1
                with store.unit() as session:
                    where = and_(col(OutboxRow.id) == row_id, col(OutboxRow.status) == S.UNKNOWN.value)
                    _update(session, where, {"error_message": NOT_FOUND}, clock())
            else:
                found += 1
                statuses[match.status] += 1
                changed += _store(store, row_id, S.UNKNOWN, match, clock())
    finally:
        if own_sender:
            sender.close()
    return StatusReport(
        True, len(open_rows) + len(unknown_rows), changed, found, not_found, errors, dict(statuses)
    )


def _ask(call: Any, *args: Any) -> Any:
    """Call the gateway; a refused credential stops everything, any other failure counts as `False`."""
    try:
        return call(*args)
    except SendError as error:
        if error.credentials:
            raise NotifyError(
                f"Twilio refused the credentials: {error}", hint="check BEIAN_TWILIO_*"
            ) from None
        return False


def _store(store: Store, row_id: int, expected: S, delivery: Delivery, now: datetime) -> int:
    values: dict[str, Any] = {
        "status": S.SENT.value,
        "delivery_status": delivery.status,
        "error_code": delivery.error_code,
        "error_message": delivery.error_message,
    }
    if expected is S.UNKNOWN:  # found by a search: its SID is news to us
        values.update(sid=delivery.sid, sent_at=to_db(now))
    with store.unit() as session:
        return _update(
            session, and_(col(OutboxRow.id) == row_id, col(OutboxRow.status) == expected.value), values, now
        )
