"""`NotifyService`: recipients, the outbox and delivery, for the CLI, the dashboard and `FilingService`.

Every method is one unit of work and returns domain objects. Nothing here imports `twilio` unless a
message is actually sent or polled with Twilio configured.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import col, select

from tracker.config import Settings
from tracker.domain import Notification, Recipient
from tracker.errors import NotFound, UsageError
from tracker.notify import recipients as _recipients
from tracker.notify.claims import update_rows as _update
from tracker.notify.convert import notification_from_row, recipient_from_row
from tracker.notify.dispatch import dispatch_pending
from tracker.notify.outbox import NOTIFIABLE_EVENTS, OVERDUE, parse_events, subscribers
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.reports import DispatchReport, SmsPreview, StatusReport
from tracker.notify.sender import NOT_CONFIGURED_HINT, Sender
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.tables import FilingRow, OutboxRow

Clock = Callable[[], datetime]
NOT_CONFIGURED = "SMS not configured: waiting"
_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_SAMPLE_NUMBERS = {"algorithm": "网信算备110108823483901230031号", "entity": None}
_SAMPLE_GENAI = "Beijing-Example-202404280016"


class NotifyService:
    """SMS recipients, the outbox, and delivery through Twilio."""

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        clock: Clock = repo.now_utc,
        sender: Sender | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        self.sender = sender
        """A gateway to use instead of Twilio (tests); None builds a `TwilioSender` from the settings when needed."""
        self.concurrency = concurrency
        """Messages handed to the gateway at once; None: setting `sms_concurrency`."""

    @property
    def configured(self) -> bool:
        """Whether messages can go out now."""
        return self.sender is not None or self.settings.sms_configured

    # -- recipients ------------------------------------------------------------------------------

    def add_recipient(
        self,
        phone: str,
        *,
        organisation: str | int | None = None,
        filing: str | int | None = None,
        events: Iterable[str] | None = None,
        name: str | None = None,
        language: str | None = None,
    ) -> Recipient:
        """Add a phone for an organisation's filings or one filing; events default to approval only."""
        with self.store.unit() as session:
            row = _recipients.add_recipient(
                session,
                phone,
                organisation=organisation,
                filing=filing,
                events=events,
                name=name,
                language=language or self.settings.sms_language,
                now=self.clock(),
            )
            repo.bump_revision(session)
            return recipient_from_row(row)

    def recipients(
        self, *, organisation: str | int | None = None, filing: str | int | None = None
    ) -> list[Recipient]:
        """Every recipient, or those of one organisation, or those reached for one filing."""
        with self.store.unit() as session:
            rows = _recipients.list_recipients(session, organisation=organisation, filing=filing)
            return [recipient_from_row(r) for r in rows]

    def recipient_scopes(self, recipients: Iterable[Recipient]) -> dict[int, str]:
        """For display: recipient id → the filing's reference or the organisation's name."""
        from tracker.store.tables import RecipientRow

        ids = [r.id for r in recipients]
        with self.store.unit() as session:
            rows = (
                session.exec(select(RecipientRow).where(col(RecipientRow.id).in_(ids))).all() if ids else []
            )
            return _recipients.scope_labels(session, rows)

    def remove_recipient(self, recipient_id: int) -> Recipient:
        """Remove a recipient; messages already in the outbox stay and are still delivered."""
        with self.store.unit() as session:
            row = _recipients.remove_recipient(session, recipient_id)
            repo.bump_revision(session)
            return recipient_from_row(row)

    # -- outbox ----------------------------------------------------------------------------------

    def notifications(
        self, ref: str | int | None = None, *, status: str | None = None, limit: int | None = None
    ) -> list[Notification]:
        """Outbox rows, newest first: all of them, or one filing's; optionally of one status."""
        if status is not None and status not in {s.value for s in S}:
            raise UsageError(f"unknown status {status!r}", hint=", ".join(s.value for s in S))
        with self.store.unit() as session:
            statement = select(OutboxRow, FilingRow.ref).join(
                FilingRow, col(FilingRow.id) == col(OutboxRow.filing_id)
            )
            if ref is not None:
                filing, _ = repo.find_filing(session, ref)
                statement = statement.where(OutboxRow.filing_id == filing.id)
            if status is not None:
                statement = statement.where(OutboxRow.status == status)
            rows = session.exec(statement.order_by(col(OutboxRow.id).desc()).limit(limit)).all()
            found = [notification_from_row(r, fref) for r, fref in rows]
        if self.configured:
            return found
        from dataclasses import replace

        return [
            replace(n, error_message=NOT_CONFIGURED) if n.status == S.PENDING and not n.error_message else n
            for n in found
        ]

    def notification(self, outbox_id: int) -> Notification:
        """One outbox row."""
        with self.store.unit() as session:
            found = session.exec(
                select(OutboxRow, FilingRow.ref)
                .join(FilingRow, col(FilingRow.id) == col(OutboxRow.filing_id))
                .where(OutboxRow.id == outbox_id)
            ).first()
            if found is None:
                raise NotFound(f"no notification {outbox_id}", hint="`beian notify list` shows them")
            return notification_from_row(*found)

    def status_counts(self) -> dict[str, int]:
        """Outbox rows per status."""
        with self.store.unit() as session:
            rows = session.exec(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
            return {status: int(n) for status, n in rows}

    def retry(self, outbox_id: int, *, force: bool = False) -> Notification:
        """Queue a failed message again (or one waiting for a retry, at once); `unknown` ones only with `force`."""
        current = self.notification(outbox_id)
        if current.status == S.UNKNOWN and not force:
            raise UsageError(
                f"notification {outbox_id} may already have been sent (its dispatcher stopped mid-send)",
                hint="run `beian notify status` to look for it at Twilio, or retry with --force to send it anyway",
            )
        if current.status not in (S.FAILED, S.UNKNOWN, S.PENDING):
            raise UsageError(
                f"notification {outbox_id} is {current.status}; only failed or unknown ones are retried"
            )
        values: dict[str, Any] = {
            "status": S.PENDING.value,
            "next_attempt_at": None,
            "claimed_by": None,
            "claimed_at": None,
        }
        if current.status != S.PENDING:
            values.update(attempts=0, error_code=None, error_message=None)
        with self.store.unit() as session:
            where = and_(col(OutboxRow.id) == outbox_id, col(OutboxRow.status) == current.status)
            if not _update(session, where, values, self.clock()):
                raise UsageError(f"notification {outbox_id} changed meanwhile", hint="look again and retry")
            repo.bump_revision(session)
        return self.notification(outbox_id)

    def resolve(self, outbox_id: int, *, sid: str | None = None) -> Notification:
        """Record that an `unknown` message did go out (seen on the phone or in Twilio's console)."""
        current = self.notification(outbox_id)
        if current.status != S.UNKNOWN:
            raise UsageError(f"notification {outbox_id} is {current.status}, not unknown")
        if sid is not None and not _SID.match(sid.strip()):
            raise UsageError(f"{sid!r} is not a Twilio message SID", hint="SM followed by 32 hex digits")
        values = {
            "status": S.SENT.value,
            "sid": sid.strip() if sid else None,
            "sent_at": repo.to_db(self.clock()),
            "error_message": "marked as sent by hand",
        }
        with self.store.unit() as session:
            where = and_(col(OutboxRow.id) == outbox_id, col(OutboxRow.status) == S.UNKNOWN.value)
            if not _update(session, where, values, self.clock()):
                raise UsageError(f"notification {outbox_id} changed meanwhile", hint="look again")
            repo.bump_revision(session)
        return self.notification(outbox_id)

    def preview(
        self,
        ref: str | int,
        *,
        event: str | None = None,
        language: str | None = None,
        reason: str | None = None,
    ) -> SmsPreview:
        """Render the message a filing's event would send now, with its segment count (a sample number if none yet)."""
        from tracker.notify.templates import MAX_SEGMENTS, render

        chosen = parse_events([event])[0] if event else "approve"
        lang = language or self.settings.sms_language
        with self.store.unit() as session:
            filing, org_name = repo.find_filing(session, ref)
            number = filing.filing_number
            if number is None and chosen in NOTIFIABLE_EVENTS:
                number = _SAMPLE_NUMBERS.get(filing.kind, _SAMPLE_GENAI)
            reach = len(subscribers(session, filing, chosen))
        message = render(
            chosen,
            language=lang,
            ref=filing.ref,
            title=filing.title,
            organisation=org_name,
            filing_number=number,
            stage=filing.stage,
            kind=filing.kind,
            reason=reason,
            when=self.clock(),
            deadline="D4" if chosen == OVERDUE else None,
            due=self.clock().date() if chosen == OVERDUE else None,
        )
        return SmsPreview(
            ref=filing.ref,
            event=chosen,
            language=lang,
            body=message.text,
            encoding=message.count.encoding,
            units=message.count.units,
            segments=message.count.segments,
            max_segments=MAX_SEGMENTS,
            shortened=message.shortened,
            recipients=reach,
        )

    # -- delivery --------------------------------------------------------------------------------

    def dispatch_pending(
        self,
        *,
        limit: int | None = None,
        dry_run: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> DispatchReport:
        """Send every due message once; returns at once (without importing Twilio) when SMS is not configured."""
        report = dispatch_pending(
            self.store,
            self.settings,
            clock=self.clock,
            sender=self.sender,
            limit=limit,
            dry_run=dry_run,
            concurrency=self.concurrency,
            should_stop=should_stop,
        )
        if (
            report.sent
            or report.failed
            or report.retrying
            or report.interrupted
            or report.requeued
            or report.unsure
            or report.found
            or report.resent
            or report.paused
        ):
            with self.store.unit() as session:
                repo.bump_revision(session)  # open dashboards refresh their notification lists
        return report

    def refresh_status(self, *, days: float = 7) -> StatusReport:
        """Poll Twilio for the delivery status of recent messages and look up `unknown` ones."""
        from tracker.notify.status import refresh_status

        report = refresh_status(self.store, self.settings, clock=self.clock, sender=self.sender, days=days)
        if report.changed:
            with self.store.unit() as session:
                repo.bump_revision(session)
        return report

    def next_due(self) -> datetime | None:
        """When the next pending message is due, or the next `unknown` one is to be looked for at Twilio
        (aware UTC; the past means now), or None."""
        with self.store.unit() as session:
            due = session.exec(
                select(func.min(func.coalesce(OutboxRow.next_attempt_at, OutboxRow.created_at))).where(
                    col(OutboxRow.status).in_([S.PENDING.value, S.UNKNOWN.value])
                )
            ).one()
        return repo.to_utc(due)

    def run(
        self,
        stop: threading.Event,
        *,
        interval: float = 5.0,
        on_report: Callable[[DispatchReport], None] | None = None,
        before_pass: Callable[[], object] | None = None,
    ) -> None:
        """Dispatch until `stop` is set: after each pass, sleep until the next retry is due or `interval` passes.

        `before_pass` runs first in every round (the CLI queues overdue-deadline alerts there).
        """
        if not self.configured:
            from tracker.errors import NotifyError

            raise NotifyError("SMS not configured", hint=NOT_CONFIGURED_HINT)
        while not stop.is_set():
            if before_pass is not None:
                before_pass()
            report = self.dispatch_pending(should_stop=stop.is_set)
            if on_report is not None:
                on_report(report)
            wait = interval
            due = self.next_due()
            if due is not None:
                wait = min(interval, max(0.0, (due - self.clock()).total_seconds()))
            if report.stopped and report.paused_until is None:
                wait = interval  # credentials refused: do not hammer Twilio
            stop.wait(max(wait, 0.05))
