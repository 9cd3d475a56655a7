"""What the dispatcher does after a failed attempt: try again later, look for the message at Twilio before
anything is sent again, pause all sending, or give up. Pure: the error, the row, the time and the settings in,
a decision out (the dispatcher in `tracker.notify.dispatch` records it and counts it).

| what Twilio or the network did                       | decision                                    | an attempt? |
|------------------------------------------------------|---------------------------------------------|-------------|
| 429 / 20429, or no connection could be made           | pause everything until `Retry-After` or a back-off; fail past `sms_rate_limit_budget_seconds` | no |
| no answer in time, connection lost after sending, 5xx | `unknown`: look for it at Twilio after `sms_lookup_delay_seconds` | yes |
| another retryable failure                             | try again after an exponential back-off, up to `sms_max_attempts` | yes |
| anything else (invalid number, refused credentials…)  | failed at once                               | yes |
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tracker.notify.claims import Job
from tracker.notify.sender import SendError, SendResult

if TYPE_CHECKING:
    from tracker.config import Settings


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came back for one row: a result, or an error and when to retry (None: failed for good).

    `unknown`: the request may have been accepted; `retry_at` is when to look for it at Twilio.
    `counted`: False for a rate limit or an unreachable Twilio, which do not use up an attempt.
    """

    job: Job
    at: datetime
    result: SendResult | None = None
    error: SendError | None = None
    retry_at: datetime | None = None
    unknown: bool = False
    counted: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """How to record a failed attempt, what to count it as, and whether to pause all sending."""

    outcome: Outcome
    kind: str
    """`paused`, `unsure`, `retrying` or `failed`: the `DispatchReport` count it adds to."""
    then: str
    """What happens next, for the log."""
    pause_until: datetime | None = None


def backoff(attempt: int, settings: Settings, rng: Callable[[], float] = random.random) -> float:
    """Seconds before retry number `attempt`: exponential, capped, with "equal jitter" (half fixed, half random)."""
    delay = min(settings.sms_backoff_max_seconds, settings.sms_backoff_seconds * 2.0 ** max(0, attempt - 1))
    return delay / 2 + rng() * delay / 2


def pause_seconds(
    error: SendError, waited: float, settings: Settings, rng: Callable[[], float] = random.random
) -> float:
    """How long to pause all sending after a rate limit or an unreachable Twilio, in seconds.

    Twilio's `Retry-After` when it gave one; otherwise a back-off that grows with how long the message
    has waited since it was queued (`waited`, seconds): half of it, between `sms_backoff_seconds` and
    `sms_backoff_max_seconds`, with equal jitter. So repeated refusals space out without a counter.
    """
    if error.retry_after is not None:
        return error.retry_after
    delay = min(settings.sms_backoff_max_seconds, max(settings.sms_backoff_seconds, waited / 2))
    return delay / 2 + rng() * delay / 2


def lookup_delay(attempt: int, settings: Settings, rng: Callable[[], float] = random.random) -> float:
    """Seconds after an attempt of unknown outcome before its message is looked for at Twilio:
    `sms_lookup_delay_seconds`, or the retry back-off when that is longer."""
    return max(settings.sms_lookup_delay_seconds, backoff(attempt, settings, rng))


def pause_reason(error: SendError, until: datetime) -> str:
    """The one line a paused pass reports (`until` shown in UTC)."""
    what = "Twilio is rate-limiting" if error.rate_limited else "Twilio could not be reached"
    return f"{what}: {error}; sending paused until {until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def decide(
    job: Job, error: SendError, now: datetime, settings: Settings, rng: Callable[[], float] = random.random
) -> Decision:
    """The decision for `job` after its attempt at `now` (aware UTC) failed with `error`; see the module table."""
    attempt = job.attempts + 1
    if error.pauses:  # not an attempt: the row waits with all the others, within its time budget
        waited = (now - job.created_at).total_seconds()
        until = now + timedelta(seconds=pause_seconds(error, waited, settings, rng))
        if (until - job.created_at).total_seconds() > settings.sms_rate_limit_budget_seconds:
            outcome = Outcome(job, now, error=error, counted=False)
            return Decision(outcome, "failed", "waited too long for Twilio, failed", until)
        outcome = Outcome(job, now, error=error, retry_at=until, counted=False)
        return Decision(outcome, "paused", f"sending paused until {until.isoformat()}", until)
    if error.outcome_unknown:  # maybe accepted: look for it at Twilio before any resend
        look_at = now + timedelta(seconds=lookup_delay(attempt, settings, rng))
        outcome = Outcome(job, now, error=error, retry_at=look_at, unknown=True)
        return Decision(outcome, "unsure", f"looked for at Twilio after {look_at.isoformat()}")
    if error.retryable and attempt < settings.sms_max_attempts:
        retry_at = now + timedelta(seconds=backoff(attempt, settings, rng))
        return Decision(Outcome(job, now, error=error, retry_at=retry_at), "retrying", "will retry")
    return Decision(Outcome(job, now, error=error), "failed", "failed")
