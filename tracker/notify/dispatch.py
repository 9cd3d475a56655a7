"""The dispatcher: send due outbox rows through the gateway, each once, several at a time.

The row states and what they guarantee are in `tracker.notify.claims`. This thread is the only one that
writes to the database; sender threads only talk HTTP. Each round commits, in one transaction, the results
that came back and the `sending` marks of the rows about to go out, then hands those rows to idle senders.
So a message costs at most one commit (fewer under load: commits are shared), the database never sees
competing writers from one pass, and a killed process leaves at most one `sending` row per sender.
Senders run in parallel because the gateway answers in tens to hundreds of milliseconds. A pass never
sleeps; retries are scheduled in `next_attempt_at`.

Before sending, a pass settles the `unknown` rows that are due (`tracker.notify.settle`): a message whose
request may have been accepted is only sent again once Twilio's message list shows it was not. A rate
limit (429 / 20429) or a Twilio that cannot be reached pauses the whole pass: no further row is handed
out, and every pending row waits until `Retry-After` has passed (or a back-off, when Twilio gives none).
Such answers do not count as attempts; a message fails on them only after `sms_rate_limit_budget_seconds`
since it was queued.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import threading
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tracker.notify import repo
from tracker.notify.claims import (
    Job,
    Writer,
    any_due,
    claim,
    defer_all,
    lease_seconds,
    mark,
    record_error,
    record_sent,
    recover,
    release,
    worker_id,
)
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.phone import mask_phone
from tracker.notify.reports import DispatchReport
from tracker.notify.retry import Outcome, decide, pause_reason, pause_seconds
from tracker.notify.sender import Sender, SendError
from tracker.notify.settle import Settled, settle_unknown
from tracker.store.db import Store
from tracker.timeutil import Clock

if TYPE_CHECKING:
    from tracker.config import Settings

log = logging.getLogger(__name__)

CRASH_ENV = "BEIAN_TEST_CRASH_AT"
"""Test hook: `after_claim`, `after_mark`, `after_send`, `before_record` or `after_record`, optionally `:n`."""
CRASH_POINTS = ("after_claim", "after_mark", "after_send", "before_record", "after_record")
CRASH_EXIT = 70
BATCH = 20


def _record(conn: Connection, me: str, outcomes: list[Outcome]) -> None:
    """Write a round's outcomes: the successes in one batched statement, the (rarer) failures one by one."""
    record_sent(conn, me, [(o.job, o.result, o.at) for o in outcomes if o.result is not None])
    for o in outcomes:
        if o.error is not None:
            record_error(o.job, me, o.error, o.retry_at, o.at, conn, unknown=o.unknown, counted=o.counted)


def concurrency_of(settings: Settings) -> int:
    """How many messages are handed to the gateway at once (setting `sms_concurrency`, default 8)."""
    return settings.sms_concurrency


class _CrashPlan:
    """Test hook: `BEIAN_TEST_CRASH_AT=point[:n]` ends the process the n-th time (default first) it reaches `point`."""

    def __init__(self, spec: str | None) -> None:
        point, _, nth = (spec or "").partition(":")
        self.point = point or None
        self.left = int(nth) if nth.isdigit() else 1
        self._lock = threading.Lock()

    def __call__(self, here: str) -> None:
        if self.point != here:
            return
        with self._lock:
            self.left -= 1
            if self.left == 0:
                os._exit(CRASH_EXIT)  # no cleanup, no flush: as abrupt as a kill -9


class _Pass:
    """What the workers of one pass share: the claimed rows, the limit, the counts, and a reason to stop."""

    def __init__(
        self, writer: Writer, settings: Settings, clock: Clock, limit: int | None, rng: Callable[[], float]
    ) -> None:
        self.writer, self.settings, self.clock, self.rng = writer, settings, clock, rng
        self.should_stop: Callable[[], bool] | None = None
        self.me = worker_id()
        self.crash = _CrashPlan(os.environ.get(CRASH_ENV))
        self.counts: Counter[str] = Counter()
        self.stopped: str | None = None
        self.paused_until: datetime | None = None
        self.probing = False
        """One message at a time until one goes through (set when the last attempts had failed)."""
        self._jobs: deque[Job] = deque()
        self._left = limit if limit is not None else -1
        self._exhausted = False
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def next_job(self) -> Job | None:
        """The next claimed row, claiming another batch when none is left; None when done or stopped."""
        with self._lock:
            if self.stopped is not None or self._left == 0:
                return None
            if self.should_stop is not None and self.should_stop():
                return None
            if not self._jobs and not self._exhausted:
                self._refill()
            if not self._jobs:
                return None
            self._left -= 1
            return self._jobs.popleft()

    def _refill(self) -> None:
        for _ in range(4):  # a concurrent dispatcher may win the rows we saw: look again, a few times
            size = BATCH if self._left < 0 else min(BATCH, self._left)
            with self.writer.unit() as conn:
                jobs = claim(conn, self.me, self.clock(), size)
                more = bool(jobs) or any_due(conn, self.clock())
            # Rows handed out earlier in this pass may still be `claimed` (not yet marked): never twice. A row
            # that failed and is due again right away also waits for the next pass, so a pass sends a row once.
            jobs = [j for j in jobs if j.id not in self._seen]
            self._seen.update(j.id for j in jobs)
            if jobs:
                self._jobs.extend(jobs)
                self.crash("after_claim")
                return
            if not more:
                break
        self._exhausted = True

    def stop(self, reason: str) -> None:
        """Hand out no more rows (rows already handed out are finished)."""
        with self._lock:
            self.stopped = self.stopped or reason

    def pause(self, until: datetime, error: SendError) -> None:
        """Hand out no more rows; nothing pending is due before `until` (the latest pause asked wins)."""
        with self._lock:
            if self.paused_until is None or until > self.paused_until:
                self.paused_until = until
            self.stopped = pause_reason(error, self.paused_until)

    def count(self, what: str) -> None:
        """Count one outcome."""
        with self._lock:
            self.counts[what] += 1


def _sender_loop(
    run: _Pass,
    sender: Sender,
    index: int,
    inbox: queue.Queue[Job | None],
    results: queue.Queue[tuple[int, Outcome]],
) -> None:
    """A sender thread: send each row it is given and hand back how to record the outcome."""
    while (job := inbox.get()) is not None:
        outcome = _attempt(run, sender, job)
        run.crash("after_send")
        results.put((index, outcome))


def _drive(run: _Pass, senders: list[Sender]) -> None:
    """Feed rows to the sender threads; commit their outcomes together with the marks of the next rows."""
    results: queue.Queue[tuple[int, Outcome]] = queue.Queue()
    inboxes: list[queue.Queue[Job | None]] = [queue.Queue() for _ in senders]
    threads = [
        threading.Thread(
            target=_sender_loop, args=(run, s, i, inboxes[i], results), name=f"beian-sms-{i}", daemon=True
        )
        for i, s in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    idle = list(range(len(senders)))
    outcomes: list[Outcome] = []
    try:
        while True:
            jobs: list[Job] = []
            room = len(idle) if not run.probing else (1 if len(idle) == len(senders) else 0)
            while len(jobs) < room and (job := run.next_job()) is not None:
                jobs.append(job)
            busy = len(idle) < len(senders)
            if not jobs and not outcomes and not busy:
                break
            if jobs or outcomes:
                with run.writer.unit() as conn:
                    _record(conn, run.me, outcomes)
                    if outcomes:
                        run.crash("before_record")
                    # a row not marked was recovered by another dispatcher meanwhile: it is not ours any more
                    marked = mark(conn, jobs, run.me, run.clock())
                if outcomes:
                    run.crash("after_record")
                outcomes = []
                for job in marked:
                    run.crash("after_mark")
                    inboxes[idle.pop()].put(job)
            if len(idle) < len(senders):  # wait for one result, then take every other one that is ready
                index, outcome = results.get()
                idle.append(index)
                outcomes.append(outcome)
                while not results.empty():
                    index, outcome = results.get_nowait()
                    idle.append(index)
                    outcomes.append(outcome)
                if any(o.result is not None for o in outcomes):
                    run.probing = False  # Twilio answers again: full speed
    finally:
        for inbox in inboxes:
            inbox.put(None)
        for thread in threads:
            thread.join()  # a sender finishes the message it holds
        while not results.empty():
            outcomes.append(results.get_nowait()[1])
        if outcomes:  # results still unrecorded after an error or Ctrl+C: keep them if the database lets us
            with contextlib.suppress(Exception), run.writer.unit() as conn:
                _record(conn, run.me, outcomes)


def _attempt(run: _Pass, sender: Sender, job: Job) -> Outcome:
    """Send one row; return how to record the outcome."""
    try:
        result = sender.send(job.phone, job.body)
    except SendError as error:
        return _on_error(run, job, error)
    except Exception as exc:  # a gateway bug must not strand the row in `sending`
        return _on_error(
            run, job, SendError(f"unexpected {type(exc).__name__} while sending", retryable=True)
        )
    run.count("sent")
    log.info("outbox %s: sent to %s as %s", job.id, mask_phone(job.phone), result.sid)
    return Outcome(job, run.clock(), result=result)


def _on_error(run: _Pass, job: Job, error: SendError) -> Outcome:
    decision = decide(job, error, run.clock(), run.settings, run.rng)
    run.count(decision.kind)
    if decision.pause_until is not None:
        run.pause(decision.pause_until, error)
    if error.credentials:  # every other message would be refused the same way
        run.stop(f"Twilio refused the credentials: {error}")
    attempt = job.attempts + (1 if decision.outcome.counted else 0)
    log.warning(
        "outbox %s to %s, attempt %d: %s; %s", job.id, mask_phone(job.phone), attempt, error, decision.then
    )
    return decision.outcome


def dispatch_pending(
    store: Store,
    settings: Settings,
    *,
    clock: Clock,
    sender: Sender | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    concurrency: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    rng: Callable[[], float] = random.random,
) -> DispatchReport:
    """One pass: recover abandoned claims, then send every due row once; returns without sleeping.

    `should_stop` is asked before each message: when it says yes, messages in flight are finished and
    recorded, and the rest stay pending for the next pass.
    """
    requeued, interrupted = recover(
        store,
        clock(),
        lease_seconds(settings),
        look_after=settings.twilio_timeout + settings.sms_lookup_delay_seconds,
    )
    if dry_run:
        return _report(
            store,
            True,
            dry_run=True,
            previews=_previews(store, clock, limit),
            requeued=requeued,
            interrupted=interrupted,
        )
    if sender is None and not settings.sms_configured:
        return _report(store, False, requeued=requeued, interrupted=interrupted)
    with store.unit() as session:
        checks = repo.lookup_due_count(session, clock())  # `unknown` rows to look for at Twilio first
    workers = min(concurrency or concurrency_of(settings), _due_count(store, clock, limit) + checks)
    if workers == 0:
        return _report(store, True, requeued=requeued, interrupted=interrupted)
    senders = [sender] * workers if sender is not None else _twilio_senders(settings, workers)
    writer = Writer(store)
    run = _Pass(writer, settings, clock, limit, rng)
    run.should_stop = should_stop
    settled = Settled()
    try:
        if checks:
            settled = settle_unknown(store, senders[0], settings, clock=clock, rng=rng)
            _stop_on(run, settled.stop, clock)
        if run.stopped is None:
            # after failed attempts, start with one message: a Twilio still refusing costs one request
            with store.unit() as session:
                run.probing = len(senders) > 1 and repo.any_due_after_failure(session, clock())
            _drive(run, senders)
    finally:
        try:
            with writer.unit() as conn:
                release(conn, run.me, clock())
                if run.paused_until is not None:
                    defer_all(conn, run.paused_until, clock())
        finally:
            writer.close()
        if sender is None:
            for own in senders:
                own.close()
    counts = dict(run.counts)
    counts["failed"] = counts.get("failed", 0) + settled.failed
    return _report(
        store,
        True,
        stopped=run.stopped,
        requeued=requeued,
        interrupted=interrupted,
        found=settled.found,
        resent=settled.requeued,
        paused_until=run.paused_until,
        **counts,
    )


def _stop_on(run: _Pass, error: SendError | None, clock: Clock) -> None:
    """Carry a look-up's refusal over to the pass: credentials stop it, a rate limit or no connection pause it."""
    if error is None:
        return
    if error.credentials:
        run.stop(f"Twilio refused the credentials: {error}")
    elif error.pauses:
        run.pause(clock() + timedelta(seconds=pause_seconds(error, 0.0, run.settings, run.rng)), error)


def _twilio_senders(settings: Settings, count: int) -> list[Sender]:
    """One Twilio client per worker (each with its own HTTP session), built before anything is claimed."""
    from tracker.notify.twilio_sender import TwilioSender

    senders: list[Sender] = []
    try:
        for _ in range(count):
            senders.append(TwilioSender.from_settings(settings))
    except BaseException:
        for built in senders:
            built.close()
        raise
    return senders


def _due_count(store: Store, clock: Clock, limit: int | None) -> int:
    with store.unit() as session:
        n = repo.due_count(session, clock())
    return n if limit is None else min(n, limit)


def _previews(store: Store, clock: Clock, limit: int | None) -> tuple[Any, ...]:
    with store.unit() as session:
        return repo.due_rows(session, clock(), limit)


def _report(store: Store, configured: bool, **fields: Any) -> DispatchReport:
    with store.unit() as session:
        counts = repo.status_counts(session, [S.PENDING.value, S.UNKNOWN.value])
    return DispatchReport(
        configured, pending=counts.get(S.PENDING.value, 0), unknown=counts.get(S.UNKNOWN.value, 0), **fields
    )
