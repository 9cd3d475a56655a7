"""Settle `unknown` rows: look for each among Twilio's messages before anything is sent again.

A row is `unknown` when a request for it may have been accepted without our hearing so (a timeout or a
lost connection after sending, a 5xx, a dispatcher killed mid-send). Sending it again blindly is how one
approval became six SMS, so the dispatcher (`tracker.notify.dispatch`) and `beian notify status`
(`tracker.notify.status`) both call `settle_unknown` first: it lists Twilio's recent messages to the
same number from our sender (`Sender.lookup`) and looks for the same body created after the row was
queued. Found: the row is `sent` with that message's SID. Not found: it goes back to `pending`, or to
`failed` when its attempts are used up. Twilio not answering: it stays `unknown` for later.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tracker.notify import repo
from tracker.notify.claims import (
    Job,
    claim_unknown,
    record_checked,
    record_sent,
    release_checks,
    worker_id,
)
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.phone import mask_phone
from tracker.notify.retry import backoff
from tracker.notify.sender import Delivery, Sender, SendError, SendResult
from tracker.store.db import Store
from tracker.timeutil import Clock

if TYPE_CHECKING:
    from tracker.config import Settings

log = logging.getLogger(__name__)

NOT_FOUND = "not found among Twilio's messages: it was not sent, so it is sent again"
GAVE_UP = "no answer from Twilio after {n} attempt(s), and none of them is among Twilio's messages: not sent"


@dataclass
class Settled:
    """What one round of look-ups did."""

    checked: int = 0
    found: int = 0
    """Rows Twilio had after all: now `sent` with their SID."""
    requeued: int = 0
    """Rows Twilio did not have: back to `pending`, to be sent again."""
    failed: int = 0
    """Rows Twilio did not have and whose attempts are used up: `failed`."""
    errors: int = 0
    """Rows that could not be looked up (they stay `unknown`)."""
    stop: SendError | None = None
    """Why the look-ups stopped early: credentials refused, rate limit, Twilio unreachable or failing."""
    statuses: Counter[str] = field(default_factory=Counter)
    """Delivery status → rows found."""


def settle_unknown(
    store: Store,
    sender: Sender,
    settings: Settings,
    *,
    clock: Clock,
    limit: int = 500,
    rng: Callable[[], float] = random.random,
    reschedule: bool = True,
) -> Settled:
    """Look up every `unknown` row that is due (at most `limit`), oldest first; see the module docstring.

    Stops at the first answer that says Twilio is unusable right now (refused credentials, 429, no
    connection, timeout, 5xx) and reports it in `Settled.stop`; the rows not looked up stay `unknown`.
    With `reschedule` (the dispatcher) a row whose look-up failed is due again only after a back-off, so a
    running dispatcher does not ask again at once; without it (a command reporting the error) it is left as
    it was. Raises `StorageError` when the database fails.
    """
    me = worker_id()
    out = Settled()
    with store.unit() as session:
        jobs = claim_unknown(session, me, clock(), limit)
        known = repo.known_sids(session, sorted({j.phone for j in jobs}), [j.id for j in jobs])
    try:
        for job in jobs:
            out.checked += 1
            try:
                match = sender.lookup(job.phone, job.body, job.created_at, known.get(job.phone, frozenset()))
            except SendError as error:
                log.info(
                    "outbox %s: could not look for it at Twilio: %s", job.id, error
                )  # the caller reports it
                if reschedule:
                    _reschedule(store, me, job, error, settings, clock(), rng)
                if error.credentials or error.pauses or error.outcome_unknown:
                    out.stop = error
                    break
                out.errors += 1
                continue
            if _record(store, me, job, match, settings, clock(), out) and match is not None:
                # a message is one row's: the next rows to this number must not take it too
                known[job.phone] = known.get(job.phone, frozenset()) | {match.sid}
    finally:
        with store.unit() as session:
            release_checks(session, me, clock())
    return out


def _record(
    store: Store, me: str, job: Job, match: Delivery | None, settings: Settings, now: datetime, out: Settled
) -> bool:
    """Record what the look-up found; False when the message found was meanwhile recorded for another row
    (by another dispatcher): the row stays `unknown` and is looked up again, never sent blindly."""
    with store.unit() as session:
        if match is not None and match.sid in repo.known_sids(session, [job.phone], [job.id])[job.phone]:
            record_checked(session, job, me, now, status=S.UNKNOWN, message=None, retry_at=now)
            out.errors += 1
            log.info("outbox %s: the message found is another row's; looked up again", job.id)
            return False
        if match is not None:
            record_sent(session, me, [(job, SendResult(match.sid, match.status), now)])
            out.found += 1
            out.statuses[match.status] += 1
            log.info("outbox %s: found at Twilio as %s, not sent again", job.id, match.sid)
        elif job.attempts >= settings.sms_max_attempts:
            message = GAVE_UP.format(n=job.attempts)
            record_checked(session, job, me, now, status=S.FAILED, message=message, retry_at=None)
            out.failed += 1
            log.warning("outbox %s to %s: %s", job.id, mask_phone(job.phone), message)
        else:
            record_checked(session, job, me, now, status=S.PENDING, message=NOT_FOUND, retry_at=None)
            out.requeued += 1
            log.info("outbox %s to %s: %s", job.id, mask_phone(job.phone), NOT_FOUND)
    return True


def _reschedule(
    store: Store,
    me: str,
    job: Job,
    error: SendError,
    settings: Settings,
    now: datetime,
    rng: Callable[[], float],
) -> None:
    wait = error.retry_after if error.retry_after is not None else backoff(1, settings, rng)
    with store.unit() as session:
        record_checked(
            session,
            job,
            me,
            now,
            status=S.UNKNOWN,
            message=None,
            retry_at=now + timedelta(seconds=wait),
        )
