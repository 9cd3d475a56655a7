"""Poll Twilio for the delivery status of recent messages, and look for messages whose fate is unknown."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker.errors import NotifyError
from tracker.notify import repo
from tracker.notify.claims import lease_seconds, recover
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.reports import StatusReport
from tracker.notify.sender import FINAL_DELIVERY, Delivery, Sender, SendError
from tracker.store.db import Store
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
    with store.unit() as session:
        open_rows = repo.sent_to_poll(session, clock() - timedelta(days=days), FINAL_DELIVERY, limit)
        unknown_rows = repo.unknown_rows(session, limit)
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
                    repo.move(session, row_id, S.UNKNOWN.value, {"error_message": NOT_FOUND}, clock())
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
        return int(repo.move(session, row_id, expected.value, values, now))
