"""`NotifyService`: recipients, the outbox and delivery, for the CLI, the dashboard and `FilingService`.

Every method is one unit of work and returns domain objects. Nothing here imports `twilio` unless a
message is actually sent or polled with Twilio configured.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.config import Settings
from tracker.domain import Notification, Recipient, inputs, limits
from tracker.errors import NotifyError, UsageError
from tracker.filings import repo as filing_repo
from tracker.notify import repo
from tracker.notify.dispatch import dispatch_pending
from tracker.notify.outbox import DEFAULT_EVENTS, NOTIFIABLE_EVENTS, OVERDUE, parse_events
from tracker.notify.outbox import OutboxStatus as S
from tracker.notify.phone import normalise_phone
from tracker.notify.reports import DispatchReport, SmsPreview, StatusReport
from tracker.notify.sender import NOT_CONFIGURED_HINT, Sender
from tracker.store.base import StoreService
from tracker.store.revision import bump_revision
from tracker.timeutil import Clock, now_utc, to_db

if TYPE_CHECKING:
    from tracker.store.db import Store

NOT_CONFIGURED = "SMS not configured: waiting"
_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_SAMPLE_NUMBERS = {"algorithm": "网信算备110108823483901230031号", "entity": None}
_SAMPLE_GENAI = "Beijing-Example-202404280016"


class NotifyService(StoreService):
    """SMS recipients, the outbox, and delivery through Twilio."""

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        clock: Clock = now_utc,
        sender: Sender | None = None,
        concurrency: int | None = None,
    ) -> None:
        """Notifications on `store`; `clock` returns aware UTC; `sender` replaces Twilio (tests)."""
        super().__init__(store, settings, clock=clock)
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
        """Add a phone for an organisation's filings or one filing; events default to approval only.

        Raises `UsageError` (no or both scopes, a bad phone, language or event, a duplicate), `NotFound` (no such organisation or filing), `StorageError`.
        """
        if (organisation is None) == (filing is None):
            raise UsageError(
                "a recipient belongs to an organisation or to a filing",
                hint="give exactly one of --org or --filing",
            )
        language = language or self.settings.sms_language
        if language not in ("zh", "en"):
            raise UsageError(f"SMS language {language!r} is not available", hint="zh or en")
        limits.check_text("recipient name", name, limits.RECIPIENT_NAME)
        number = normalise_phone(phone)
        chosen = parse_events(events) if events is not None else DEFAULT_EVENTS
        with self.store.unit() as session:
            org_id: int | None = None
            filing_id: int | None = None
            if filing is not None:
                filing_row, _ = filing_repo.find_filing(session, filing)
                filing_id, where = filing_row.id, f"filing {filing_row.ref}"
            else:
                assert organisation is not None
                org_row = filing_repo.find_organisation(session, organisation)
                org_id, where = org_row.id, f"organisation {org_row.name}"
            recipient = repo.insert_recipient(
                session,
                phone=number,
                organisation_id=org_id,
                filing_id=filing_id,
                where=where,
                name=(name or "").strip() or None,
                events=chosen,
                language=language,
                now=self.clock(),
            )
            bump_revision(session)
            return recipient

    def recipients(
        self, *, organisation: str | int | None = None, filing: str | int | None = None
    ) -> list[Recipient]:
        """Every recipient, or those of one organisation, or those reached for one filing.

        Raises `NotFound`, `StorageError`.
        """
        with self.store.unit() as session:
            if filing is not None:
                row, _ = filing_repo.find_filing(session, filing)
                return repo.list_recipients(session, filing=row)
            if organisation is not None:
                org = filing_repo.find_organisation(session, organisation)
                return repo.list_recipients(session, organisation_id=org.id)
            return repo.list_recipients(session)

    def recipient_scopes(self, recipients: Iterable[Recipient]) -> dict[int, str]:
        """For display: recipient id → the filing's reference or the organisation's name.

        Raises `StorageError`.
        """
        ids = [r.id for r in recipients]
        with self.store.unit() as session:
            return repo.scope_labels(session, ids)

    def remove_recipient(self, recipient_id: int) -> Recipient:
        """Remove a recipient; messages already in the outbox stay and are still delivered.

        Raises `NotFound`, `StorageError`.
        """
        inputs.check_id(recipient_id, "recipient")
        with self.store.unit() as session:
            removed = repo.delete_recipient(session, recipient_id)
            bump_revision(session)
            return removed

    # -- outbox ----------------------------------------------------------------------------------

    def notifications(
        self, ref: str | int | None = None, *, status: str | None = None, limit: int | None = None
    ) -> list[Notification]:
        """Outbox rows, newest first: all of them, or one filing's; optionally of one status.

        Raises `UsageError` (unknown status), `NotFound` (no such filing), `StorageError`.
        """
        if status is not None and status not in {s.value for s in S}:
            raise UsageError(f"unknown status {status!r}", hint=", ".join(s.value for s in S))
        with self.store.unit() as session:
            filing_id = filing_repo.find_filing(session, ref)[0].id if ref is not None else None
            found = repo.notifications(session, filing_id=filing_id, status=status, limit=limit)
        if self.configured:
            return found
        return [
            replace(n, error_message=NOT_CONFIGURED) if n.status == S.PENDING and not n.error_message else n
            for n in found
        ]

    def notification(self, outbox_id: int) -> Notification:
        """One outbox row.

        Raises `NotFound` (also for an id outside 1..2**31-1), `StorageError`.
        """
        inputs.check_id(outbox_id, "message")
        with self.store.unit() as session:
            return repo.notification(session, outbox_id)

    def status_counts(self) -> dict[str, int]:
        """Outbox rows per status.

        Raises `StorageError`.
        """
        with self.store.unit() as session:
            return repo.status_counts(session)

    def retry(self, outbox_id: int, *, force: bool = False) -> Notification:
        """Queue a failed message again (or one waiting for a retry, at once); `unknown` ones only with `force`.

        Raises `NotFound`, `UsageError` (not failed or unknown, `unknown` without `force`, changed meanwhile), `StorageError`.
        """
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
            if not repo.move(session, outbox_id, current.status, values, self.clock()):
                raise UsageError(f"notification {outbox_id} changed meanwhile", hint="look again and retry")
            bump_revision(session)
        return self.notification(outbox_id)

    def resolve(self, outbox_id: int, *, sid: str | None = None) -> Notification:
        """Record that an `unknown` message did go out (seen on the phone or in Twilio's console).

        Raises `NotFound`, `UsageError` (not `unknown`, a malformed SID, changed meanwhile), `StorageError`.
        """
        current = self.notification(outbox_id)
        if current.status != S.UNKNOWN:
            raise UsageError(f"notification {outbox_id} is {current.status}, not unknown")
        if sid is not None and not _SID.match(sid.strip()):
            raise UsageError(f"{sid!r} is not a Twilio message SID", hint="SM followed by 32 hex digits")
        values = {
            "status": S.SENT.value,
            "sid": sid.strip() if sid else None,
            "sent_at": to_db(self.clock()),
            "error_message": "marked as sent by hand",
        }
        with self.store.unit() as session:
            if not repo.move(session, outbox_id, S.UNKNOWN.value, values, self.clock()):
                raise UsageError(f"notification {outbox_id} changed meanwhile", hint="look again")
            bump_revision(session)
        return self.notification(outbox_id)

    def preview(
        self,
        ref: str | int,
        *,
        event: str | None = None,
        language: str | None = None,
        reason: str | None = None,
    ) -> SmsPreview:
        """Render the message a filing's event would send now, with its segment count (a sample number if none yet).

        Raises `UsageError` (unknown event or language), `NotFound`, `StorageError`.
        """
        from tracker.notify.templates import MAX_SEGMENTS, render

        chosen = parse_events([event])[0] if event else "approve"
        lang = language or self.settings.sms_language
        with self.store.unit() as session:
            filing, org_name = filing_repo.find_filing(session, ref)
            number = filing.filing_number
            if number is None and chosen in NOTIFIABLE_EVENTS:
                number = _SAMPLE_NUMBERS.get(filing.kind, _SAMPLE_GENAI)
            reach = len(repo.subscribers(session, filing, chosen))
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
        """Send every due message once; returns at once (without importing Twilio) when SMS is not configured.

        Raises `NotifyError` (Twilio settings unusable), `StorageError`; a refused message is counted in the report, not raised.
        """
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
                bump_revision(session)  # open dashboards refresh their notification lists
        return report

    def refresh_status(self, *, days: float = 7) -> StatusReport:
        """Poll Twilio for the delivery status of recent messages and settle `unknown` ones by looking them up
        (found: `sent` with their SID; absent: queued again, or `failed` when out of attempts).

        `days` is a finite number of calendar days, more than 0 and at most 365.
        Raises `UsageError` (bad `days`), `NotifyError` (exit 6: Twilio refused the credentials, rate-limits,
        cannot be reached or does not answer; nothing is changed then), `StorageError`.
        """
        from tracker.notify.status import refresh_status

        days = inputs.parse_number(days, "days", low=0, high=365, low_open=True)
        report = refresh_status(self.store, self.settings, clock=self.clock, sender=self.sender, days=days)
        if report.changed:
            with self.store.unit() as session:
                bump_revision(session)
        return report

    def next_due(self) -> datetime | None:
        """When the next pending message is due, or the next `unknown` one is to be looked for at Twilio
        (aware UTC; the past means now), or None.

        Raises `StorageError`.
        """
        with self.store.unit() as session:
            return repo.next_due(session)

    def run(
        self,
        stop: threading.Event,
        *,
        interval: float = 5.0,
        on_report: Callable[[DispatchReport], None] | None = None,
        before_pass: Callable[[], object] | None = None,
    ) -> None:
        """Dispatch until `stop` is set: after each pass, sleep until the next retry is due or `interval` passes.

        `before_pass` runs first in every round (the CLI queues overdue-deadline alerts there). `interval` is
        in seconds, finite, 0.1 to 86,400.

        Raises `UsageError` (bad `interval`), `NotifyError` (SMS not configured, credentials refused), `StorageError`.
        """
        interval = inputs.parse_number(interval, "interval", low=0.1, high=86_400)
        if not self.configured and not self.settings.smtp_configured:
            raise NotifyError("SMS not configured (nor SMTP for digests)", hint=NOT_CONFIGURED_HINT)
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
