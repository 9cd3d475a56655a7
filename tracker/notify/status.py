"""Poll Twilio for the delivery status of recent messages, and settle messages whose fate is unknown."""

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
from tracker.notify.settle import settle_unknown
from tracker.store.db import Store
from tracker.timeutil import Clock, to_db

if TYPE_CHECKING:
    from tracker.config import Settings


def refresh_status(
    store: Store,
    settings: Settings,
    *,
    clock: Clock,
    sender: Sender | None = None,
    days: float = 7,
    limit: int = 500,
) -> StatusReport:
    """Fetch the status of messages sent in the last `days` that may still change; settle `unknown` rows.

    `unknown` rows whose look-up is due are looked for among Twilio's messages (`settle_unknown`): found,
    they become `sent` with their SID; absent, they are queued again (or `failed` when out of attempts).
    Raises `NotifyError` (exit 6, one line) when Twilio refuses the credentials, rate-limits us, cannot be
    reached or does not answer properly; rows checked before that keep what was learnt.
    """
    own_sender = sender is None
    if sender is None:
        if not settings.sms_configured:
            return StatusReport(configured=False)
        from tracker.notify.twilio_sender import TwilioSender

        sender = TwilioSender.from_settings(settings)
    recover(
        store,
        clock(),
        lease_seconds(settings),
        look_after=settings.twilio_timeout + settings.sms_lookup_delay_seconds,
    )
    with store.unit() as session:
        open_rows = repo.sent_to_poll(session, clock() - timedelta(days=days), FINAL_DELIVERY, limit)
    statuses: Counter[str] = Counter()
    changed = errors = 0
    try:
        for row_id, sid, old_status, old_code in open_rows:
            try:
                delivery = sender.fetch(str(sid))
            except SendError as error:
                if _unusable(error):
                    raise unusable_error(error) from None
                errors += 1  # this message only (e.g. Twilio no longer knows the SID)
                continue
            statuses[delivery.status] += 1
            if (delivery.status, delivery.error_code) != (old_status, old_code):
                changed += _store(store, int(row_id or 0), S.SENT, delivery, clock())
        settled = settle_unknown(store, sender, settings, clock=clock, limit=limit, reschedule=False)
        if settled.stop is not None:
            raise unusable_error(settled.stop)
    finally:
        if own_sender:
            sender.close()
    statuses.update(settled.statuses)
    return StatusReport(
        True,
        len(open_rows) + settled.checked,
        changed + settled.found + settled.requeued + settled.failed,
        settled.found,
        settled.requeued + settled.failed,
        errors + settled.errors,
        dict(statuses),
    )


def _unusable(error: SendError) -> bool:
    """Twilio as a whole cannot be used now (not just this one message)."""
    return error.credentials or error.pauses or error.outcome_unknown


def unusable_error(error: SendError) -> NotifyError:
    """The one-line error (exit 6) for a Twilio that cannot be used now."""
    if error.credentials:
        return NotifyError(f"Twilio refused the credentials: {error}", hint="check BEIAN_TWILIO_*")
    if error.rate_limited:
        wait = f"in {error.retry_after:g} s" if error.retry_after is not None else "in a minute"
        return NotifyError(f"Twilio is rate-limiting requests: {error}", hint=f"try again {wait}")
    if error.unreachable:
        return NotifyError(
            f"Twilio could not be reached: {error}",
            hint="check the network and BEIAN_TWILIO_API_URL, then try again",
        )
    return NotifyError(f"Twilio did not answer properly: {error}", hint="try again later")


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
