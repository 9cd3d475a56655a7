"""Outbox row states and the conditional updates that move a row between them.

Twilio has no idempotency key, so a row moves through states that are each committed before the next step:

    pending --claim--> claimed --mark--> sending --HTTP--> sent | pending (retry later) | failed
                                                        `--> unknown (the request may have been accepted)
    unknown --claim_unknown--> checking --lookup--> sent (found, with its SID) | pending (not found) | failed

A request whose outcome is unknown (no answer in time, the connection lost after sending, a 5xx) is never
sent again before a dispatcher has looked for it among Twilio's messages and not found it; the look-up waits
`sms_lookup_delay_seconds` after the attempt, so that a message Twilio accepted has time to be listed.
A rate limit (429) is not an attempt: the row waits, without using up `sms_max_attempts`.

A dispatcher that dies leaves `claimed` rows (it never touched Twilio for them: they go back to pending),
`checking` rows (it only read from Twilio: back to unknown) and `sending` rows (they may or may not have
reached Twilio: unknown, looked up once `twilio_timeout` plus the look-up delay have passed since the
attempt began). Stale claims are detected by a lease, or at once when the claiming process on this host is
gone. Every update names the state and claimant it expects, so two dispatchers never both own a row.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, and_, bindparam, not_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.sender import SendError, SendResult
from tracker.store.db import Store, translate
from tracker.store.tables import OutboxRow
from tracker.timeutil import to_db

if TYPE_CHECKING:
    from tracker.config import Settings

log = logging.getLogger(__name__)

Conn = Session | Connection
"""Anything that executes statements: the dispatcher keeps one connection for a pass, others use a unit's session."""
T: Table = OutboxRow.__table__  # type: ignore[attr-defined]
# Core statements on the table, not ORM ones on the class: they skip the ORM's session bookkeeping, which
# cost more than the database itself when thousands of messages go out.
INTERRUPTED = (
    "the dispatcher stopped while handing this message to Twilio, so it may or may not have been sent; "
    "it is looked for at Twilio before it is sent again"
)
LOOK_BEFORE_RESEND = "; it is looked for at Twilio before it is sent again"


def lease_seconds(settings: Settings) -> float:
    """How old a claim must be before another dispatcher treats it as abandoned."""
    return settings.sms_claim_lease_seconds


def worker_id() -> str:
    """`host:pid:token`, unique per dispatch pass; the host and pid let a later pass see that we died."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{secrets.token_hex(4)}"


def _claimant_dead(claimed_by: str | None) -> bool:
    """True only when the claimant ran on this host and its process is gone (POSIX); otherwise wait for the lease."""
    if not claimed_by or os.name != "posix":
        return False
    try:
        host, pid_text, _token = claimed_by.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname()[:48] or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but belongs to someone else
        return False
    return False


def recover(store: Store, now: datetime, lease: float, *, look_after: float = 0.0) -> tuple[int, int]:
    """Release abandoned claims: `claimed` → pending, `sending` and `checking` → unknown.

    `lease` is in seconds; `look_after` is how long after an interrupted attempt began (its `claimed_at`)
    the row may be looked for at Twilio. Returns (requeued, interrupted).
    """
    cutoff = to_db(now) - timedelta(seconds=lease)
    with store.unit() as session:
        rows = session.execute(
            select(T.c.id, T.c.status, T.c.claimed_by, T.c.claimed_at).where(
                T.c.status.in_([S.CLAIMED.value, S.SENDING.value, S.CHECKING.value])
            )
        ).all()
    dead: dict[str | None, bool] = {}
    stale = []
    for row_id, status, claimed_by, claimed_at in rows:
        if claimed_by not in dead:
            dead[claimed_by] = _claimant_dead(claimed_by)
        if dead[claimed_by] or claimed_at is None or to_db(claimed_at) < cutoff:
            stale.append((row_id, status, claimed_by, claimed_at))
    if not stale:
        return 0, 0
    requeued = interrupted = 0
    # Each update re-checks status and claimant, so a dispatcher that moved on meanwhile is left alone.
    with store.unit() as session:
        for row_id, status, claimed_by, claimed_at in stale:
            mine = and_(T.c.id == row_id, T.c.status == status, T.c.claimed_by == claimed_by)
            if status == S.CLAIMED:
                values: dict[str, Any] = {"status": S.PENDING.value, "claimed_by": None, "claimed_at": None}
                requeued += update_rows(session, mine, values, now)
            elif status == S.CHECKING:  # it was only reading from Twilio: look again
                values = {"status": S.UNKNOWN.value, "claimed_by": None, "claimed_at": None}
                update_rows(session, mine, values, now)
            else:  # keep claimed_by: if that dispatcher was only stalled, it may still record the SID
                began = to_db(claimed_at or now)
                values = {
                    "status": S.UNKNOWN.value,
                    "error_code": None,
                    "error_message": INTERRUPTED,
                    "next_attempt_at": began + timedelta(seconds=look_after),
                }
                interrupted += update_rows(session, mine, values, now)
                log.warning("outbox %s: interrupted while sending, marked unknown", row_id)
    return requeued, interrupted


def update_rows(conn: Conn, where: Any, values: dict[str, Any], now: datetime) -> int:
    """UPDATE outbox rows matching `where`, stamping `updated_at`; returns how many matched."""
    result = conn.execute(update(T).where(where).values(updated_at=to_db(now), **values))
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed row: what the dispatcher needs to send it."""

    id: int
    phone: str
    body: str
    attempts: int
    created_at: datetime
    """When the row was queued (aware UTC): every attempt of it came later."""


def _job(row: Any) -> Job:
    row_id, phone, body, attempts, created_at = row
    return Job(row_id, phone, body, attempts, to_db(created_at))


def due(now: datetime) -> Any:
    """The condition of a row that should be sent now."""
    return and_(
        T.c.status == S.PENDING.value,
        or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= to_db(now)),
    )


def claim(conn: Conn, me: str, now: datetime, size: int) -> list[Job]:
    """Claim up to `size` due rows in one statement (it takes the write lock at once, even on SQLite)."""
    return _claim(conn, me, now, size, due(now), S.PENDING, S.CLAIMED)


def _claim(conn: Conn, me: str, now: datetime, size: int, ready: Any, source: S, target: S) -> list[Job]:
    """`source` → `target` for up to `size` rows meeting `ready`, oldest first, in one statement; returns them
    as jobs claimed by `me`."""
    ids = select(T.c.id).where(ready).order_by(T.c.id).limit(size).scalar_subquery()
    values = {"status": target.value, "claimed_by": me, "claimed_at": to_db(now)}
    if not update_rows(conn, and_(T.c.id.in_(ids), T.c.status == source.value), values, now):
        return []
    rows = conn.execute(
        select(T.c.id, T.c.phone, T.c.body, T.c.attempts, T.c.created_at)
        .where(T.c.claimed_by == me, T.c.status == target.value)
        .order_by(T.c.id)
    ).all()
    return [_job(r) for r in rows]


def lookup_due(now: datetime) -> Any:
    """The condition of an `unknown` row that may be looked for at Twilio at `now` (aware UTC): its
    `next_attempt_at` (the earliest look-up) has passed, or it has none."""
    return and_(
        T.c.status == S.UNKNOWN.value,
        or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= to_db(now)),
    )


def claim_unknown(conn: Conn, me: str, now: datetime, size: int) -> list[Job]:
    """unknown → checking for up to `size` rows whose look-up is due at `now`, oldest first, in one statement;
    returns them as jobs claimed by `me`. Database errors propagate to the caller's unit."""
    return _claim(conn, me, now, size, lookup_due(now), S.UNKNOWN, S.CHECKING)


def record_checked(
    conn: Conn, job: Job, me: str, now: datetime, *, status: S, message: str | None, retry_at: datetime | None
) -> int:
    """checking → `status` for a row `me` is looking up: pending (send again), failed, or unknown (look again
    at `retry_at`, aware UTC); `message`, when given, replaces the row's error message. Returns rows changed."""
    values: dict[str, Any] = {
        "status": status.value,
        "claimed_by": None,
        "claimed_at": None,
        "next_attempt_at": to_db(retry_at) if retry_at else None,
    }
    if message is not None:
        values["error_message"] = message
    mine = and_(T.c.id == job.id, T.c.claimed_by == me, T.c.status == S.CHECKING.value)
    return update_rows(conn, mine, values, now)


def release_checks(conn: Conn, me: str, now: datetime) -> int:
    """Rows `me` was about to look up but did not: back to unknown, their next look-up time untouched.
    Returns how many."""
    where = and_(T.c.claimed_by == me, T.c.status == S.CHECKING.value)
    return update_rows(conn, where, {"status": S.UNKNOWN.value, "claimed_by": None, "claimed_at": None}, now)


def defer_all(conn: Conn, until: datetime, now: datetime) -> int:
    """Pause all sending: no pending row is due, and no unknown row looked up, before `until` (aware UTC);
    later times are kept. Returns how many rows were pushed back."""
    at = to_db(until)
    where = and_(
        T.c.status.in_([S.PENDING.value, S.UNKNOWN.value]),
        or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at < at),
    )
    return update_rows(conn, where, {"next_attempt_at": at}, now)


def any_due(conn: Conn, now: datetime) -> bool:
    """Whether any row is due now."""
    return conn.execute(select(T.c.id).where(due(now)).limit(1)).first() is not None


@cache
def _mark_statement() -> Any:
    # built once: constructing a statement costs more than running it on SQLite, and this runs per round
    return (
        update(T)
        .where(
            T.c.id.in_(bindparam("ids", expanding=True)),
            T.c.status == S.CLAIMED.value,
            T.c.claimed_by == bindparam("me"),
        )
        .values(
            status=S.SENDING.value,
            attempts=T.c.attempts + 1,
            claimed_at=bindparam("at"),
            updated_at=bindparam("at"),
        )
    )


def mark(conn: Conn, jobs: list[Job], me: str, now: datetime) -> list[Job]:
    """claimed → sending, counting the attempt; returns the jobs still ours (another pass may have taken some back)."""
    if not jobs:
        return []
    ids = [j.id for j in jobs]
    result = conn.execute(_mark_statement(), {"ids": ids, "me": me, "at": to_db(now)})
    if result.rowcount == len(jobs):  # type: ignore[attr-defined]
        return jobs
    ours = set(
        conn.execute(
            select(T.c.id).where(T.c.id.in_(ids), T.c.status == S.SENDING.value, T.c.claimed_by == me)
        ).scalars()
    )
    return [j for j in jobs if j.id in ours]


@cache
def _sent_statement() -> Any:
    # The SID is the truth: record it over any state except one another dispatcher is sending right now.
    return (
        update(T)
        .where(
            T.c.id == bindparam("row_id"),
            T.c.status != S.SENT.value,
            not_(and_(T.c.status == S.SENDING.value, T.c.claimed_by != bindparam("me"))),
        )
        .values(
            status=S.SENT.value,
            sid=bindparam("row_sid"),
            delivery_status=bindparam("row_status"),
            sent_at=bindparam("row_at"),
            updated_at=bindparam("row_at"),
            error_code=None,
            error_message=None,
            next_attempt_at=None,
            claimed_at=None,
            claimed_by=bindparam("me"),
        )
    )


def record_sent(conn: Conn, me: str, sent: list[tuple[Job, SendResult, datetime]]) -> None:
    """Store the SIDs and statuses Twilio gave messages, in one batched statement."""
    if not sent:
        return
    rows = [
        {
            "row_id": job.id,
            "row_sid": result.sid,
            "row_status": result.status,
            "row_at": to_db(at),
            "me": me,
        }
        for job, result, at in sent
    ]
    matched = conn.execute(_sent_statement(), rows).rowcount  # type: ignore[attr-defined]
    if matched != len(rows):
        ids = ", ".join(str(job.id) for job, _, _ in sent)
        log.warning("outbox %s: sent, but %d row(s) were taken over meanwhile", ids, len(rows) - matched)


def record_error(
    job: Job,
    me: str,
    error: SendError,
    retry_at: datetime | None,
    now: datetime,
    conn: Conn,
    *,
    unknown: bool = False,
    counted: bool = True,
) -> None:
    """Store a failed attempt: pending again until `retry_at`, or failed for good when it is None.

    `unknown`: the request may have been accepted, so the row becomes `unknown`, to be looked up at
    `retry_at`. `counted=False` (a rate limit): the attempt is taken back from `attempts`.
    """
    values: dict[str, Any] = {"error_code": error.code, "error_message": error.message, "claimed_at": None}
    if unknown:
        values.update(
            status=S.UNKNOWN.value,
            next_attempt_at=to_db(retry_at or now),
            claimed_by=None,
            error_message=error.message + LOOK_BEFORE_RESEND,
        )
    elif retry_at is None:
        values.update(status=S.FAILED.value, next_attempt_at=None)
    else:
        values.update(status=S.PENDING.value, next_attempt_at=to_db(retry_at), claimed_by=None)
    if not counted:
        values["attempts"] = T.c.attempts - 1
    mine = and_(T.c.id == job.id, T.c.claimed_by == me, T.c.status.in_([S.SENDING.value, S.UNKNOWN.value]))
    update_rows(conn, mine, values, now)


def release(conn: Conn, me: str, now: datetime) -> int:
    """Put rows this dispatcher claimed but never marked back to pending (it stopped early or hit its limit)."""
    where = and_(T.c.claimed_by == me, T.c.status == S.CLAIMED.value)
    return update_rows(conn, where, {"status": S.PENDING.value, "claimed_by": None, "claimed_at": None}, now)


class Writer:
    """The pass's one database connection, a transaction per round, errors translated as `Store.unit` does.

    Holding one connection for the pass also keeps SQLite's WAL file: closing the last connection checkpoints
    and removes it, which would make every short transaction pay for a checkpoint and a new WAL.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        try:
            self.conn = store.engine.connect()
        except SQLAlchemyError as exc:
            raise translate(exc, store.url) from None

    @contextmanager
    def unit(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error; refused (`StorageError`) when
        the SQLite file was moved or replaced meanwhile (`Store.check_file`)."""
        self.store.check_file()
        try:
            with self.conn.begin():
                yield self.conn
        except SQLAlchemyError as exc:
            raise translate(exc, self.store.url) from None

    def close(self) -> None:
        """Give the connection back."""
        self.conn.close()
