"""`DigestService`: build a digest, queue it for e-mail (the digest outbox) or SMS (the SMS outbox), send the
e-mails, and queue scheduled digests once per period.

Delivery guarantees (the outbox pattern): a digest is a row keyed by (channel, recipient, period) under a
unique constraint, committed before anything is sent, so asking twice (a second `beian digest --email`, two
`beian notify run` processes) never queues it twice. Each send moves the row `pending` → `sending` (committed
first) → `sent`; a failure before the message body reached the server puts it back to `pending` with a retry
time (`sms_max_attempts`, `sms_backoff_seconds`); a connection lost after the body was sent leaves it
`unknown`, never resent automatically; a `sending` row whose dispatcher died becomes `unknown` after
`sms_claim_lease_seconds`. A refused login stops the pass and keeps the row `pending` for a later retry.
The SMTP password is never shown: every stored or printed error is masked.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any, Protocol

from tracker.domain import inputs
from tracker.domain.digest import (
    Digest,
    DigestDelivery,
    DigestReport,
    DigestSchedule,
)
from tracker.errors import NotifyError, UsageError
from tracker.notify import repo_digest as q
from tracker.notify.digest_text import FORMATS, Format, render, sms_summary, subject
from tracker.store.base import StoreService
from tracker.timeutil import BEIJING, to_db

if TYPE_CHECKING:
    from tracker.filings.service import FilingService
    from tracker.rules.service import RulesService

__all__ = ["DigestService", "Mailer", "period_of"]


class Mailer(Protocol):
    """Something that sends an e-mail or raises `MailError` (the SMTP sender; tests may pass another)."""

    def send(self, message: EmailMessage) -> None: ...


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), BEIJING)


def period_of(every: str, today: date) -> tuple[str, datetime, datetime]:
    """The latest complete period before `today` (Beijing): its key, start and end (aware).

    Daily: yesterday (`day:2026-11-29`); weekly: last Monday-to-Sunday week (`week:2026-W48`).
    Raises `UsageError` for another schedule.
    """
    if every == "daily":
        day = today - timedelta(days=1)
        return f"day:{day.isoformat()}", _start_of(day), _start_of(today)
    if every == "weekly":
        monday = today - timedelta(days=today.weekday())
        first = monday - timedelta(days=7)
        year, week, _ = first.isocalendar()
        return f"week:{year}-W{week:02d}", _start_of(first), _start_of(monday)
    raise UsageError(f"unknown schedule {every!r}", hint="daily or weekly")


class DigestService(StoreService):
    """Digests of one store: content, the e-mail outbox, SMS summaries and schedules."""

    def __init__(self, service: FilingService, *, mailer: Mailer | None = None) -> None:
        """Digests on `service`'s store, settings, clock and rules; `mailer` replaces SMTP (tests)."""
        super().__init__(service.store, service.settings, clock=service.clock)
        self.filings = service
        self.mailer = mailer

    @property
    def rules(self) -> RulesService:
        """The rules service deadlines, calendar and stage history come from."""
        return self.filings.rules

    # -- content ---------------------------------------------------------------------------------

    def since_last(self, default_days: int = 7) -> datetime:
        """Where `--since last` starts: the end of the latest digest queued, else `default_days` ago (aware UTC).

        Raises `StorageError`.
        """
        with self.store.unit() as session:
            last = q.last_until(session)
        return last or self.clock() - timedelta(days=default_days)

    def build(self, since: datetime, until: datetime | None = None, *, within: int = 10) -> Digest:
        """What moved in [since, until) (default until now), deadlines due within `within` working days or
        overdue today, and filings in a stage longer than it usually takes (see `tracker.notify.digest_build`).

        Raises `UsageError` (an empty period), `RulesError`, `StorageError`.
        """
        from tracker.notify.digest_build import build

        return build(self.store, self.rules, since, until or self.clock(), within=within)

    # -- queueing --------------------------------------------------------------------------------

    def queue_email(
        self, digest: Digest, recipients: list[str], *, fmt: Format = "text", period: str
    ) -> list[tuple[DigestDelivery, bool]]:
        """Commit one digest e-mail per recipient for `period`, unless that (recipient, period) is queued already.

        Returns each row and whether it is new. Raises `UsageError` (a malformed address or format),
        `StorageError`.
        """
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint="text, md or html")
        now = to_db(self.clock())
        body = render(digest, "md" if fmt == "md" else "text")
        out = []
        for raw in recipients:
            address = raw.strip()
            if "@" not in address or any(c.isspace() for c in address):
                raise UsageError(f"{raw!r} is not an e-mail address")
            values = {
                "channel": "email",
                "recipient": address,
                "period": period,
                "since": to_db(digest.since),
                "until": to_db(digest.until),
                "subject": subject(digest),
                "body": body,
                "html": render(digest, "html") if fmt == "html" else None,
                "status": "pending",
                "message_id": make_msgid(domain="beian-tracker.invalid"),
                "created_at": now,
                "updated_at": now,
            }
            out.append(q.queue_digest(self.store, values))
        return out

    def queue_sms(self, digest: Digest, *, period: str, phones: list[tuple[str, str]] | None = None) -> int:
        """Queue the SMS summary for `period` in the SMS outbox, once per phone (the outbox's `dedupe_key`).

        `phones` are (phone, language) pairs; default every recipient subscribed to `digest`, each told about
        its own organisation's (or filing's) filings. Returns the rows added. Raises `StorageError`.
        """
        from tracker.notify.segments import count_segments

        targets: list[tuple[str, str, Digest, int | None]] = []
        if phones is not None:
            targets = [(p, lang, digest, None) for p, lang in phones]
        else:
            for r in self.filings.notify.recipients():
                if "digest" not in r.events:
                    continue
                targets.append(
                    (r.phone, r.language, self._scoped(digest, r.organisation_id, r.filing_id), r.id)
                )
        now = to_db(self.clock())
        added = 0
        for phone, language, scoped, recipient_id in targets:
            body = sms_summary(scoped, language)
            values = {
                "filing_id": None,
                "recipient_id": recipient_id,
                "channel": "sms",
                "phone": phone,
                "event": "digest",
                "body": body,
                "segments": count_segments(body).segments,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "dedupe_key": f"digest:{period}:{phone}"[:160],
            }
            added += q.queue_sms_summary(self.store, values)
        return added

    def _scoped(self, digest: Digest, organisation_id: int | None, filing_id: int | None) -> Digest:
        with self.store.unit() as session:
            if filing_id is not None:
                found = q.filing_scope(session, filing_id)
                return digest.for_filing(filing_id, found[0]) if found else digest.for_filing(filing_id, "?")
            if organisation_id is not None:
                return digest.for_organisation(organisation_id, q.organisation_name(session, organisation_id))
        return digest

    # -- sending ---------------------------------------------------------------------------------

    def _mailer(self) -> Mailer | None:
        if self.mailer is not None:
            return self.mailer
        if not self.settings.smtp_configured:
            return None
        from tracker.notify.email_sender import SmtpSender

        return SmtpSender(self.settings)

    def dispatch(self, *, limit: int | None = None) -> DigestReport:
        """Send every digest e-mail due now, once. Raises `StorageError`; failures are counted, not raised."""
        from tracker.notify.email_sender import MailError, mask

        now = self.clock()
        lease = timedelta(seconds=self.settings.sms_claim_lease_seconds)
        with self.store.unit() as session:
            unknown = q.abandon_sending(session, now - lease, now)
            due = q.due_digests(session, now, limit)
        mailer = self._mailer()
        if mailer is None:
            return DigestReport(unknown=unknown, waiting=len(due))
        counts = {"sent": 0, "retrying": 0, "failed": 0, "unknown": unknown}
        stopped: str | None = None
        secret = self.settings.smtp_password
        password = secret.get_secret_value() if secret is not None else None
        for digest_id in due:
            with self.store.unit() as session:  # committed before the server hears of it
                row = q.claim_digest(session, digest_id, now)
            if row is None:
                continue
            try:
                mailer.send(self._message(row))
            except MailError as exc:
                error = mask(str(exc), password)
                status, values = self._after_failure(exc.kind, row["attempts"], now)
                counts[status] += 1
                with self.store.unit() as session:
                    q.settle_digest(session, digest_id, {**values, "error_message": error}, now)
                if exc.kind == "credentials":
                    stopped = error
                    break
                continue
            with self.store.unit() as session:
                q.settle_digest(
                    session, digest_id, {"status": "sent", "sent_at": to_db(now), "error_message": None}, now
                )
            counts["sent"] += 1
        return DigestReport(
            counts["sent"], counts["retrying"], counts["failed"], counts["unknown"], 0, stopped
        )

    def _after_failure(self, kind: str, attempts: int, now: datetime) -> tuple[str, dict[str, Any]]:
        s = self.settings
        if kind == "ambiguous":
            return "unknown", {"status": "unknown"}
        if kind == "refused" or (kind == "retry" and attempts >= s.sms_max_attempts):
            return "failed", {"status": "failed"}
        delay = min(s.sms_backoff_seconds * 2 ** max(attempts - 1, 0), s.sms_backoff_max_seconds)
        return "retrying", {"status": "pending", "next_attempt_at": to_db(now + timedelta(seconds=delay))}

    def _message(self, row: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from or "beian-tracker@localhost"
        message["To"] = row["recipient"]
        message["Subject"] = row["subject"]
        message["Date"] = format_datetime(self.clock())
        message["Message-ID"] = row["message_id"]  # the same on a retry: receiving servers can drop a repeat
        message.set_content(row["body"])
        if row["html"]:
            message.add_alternative(row["html"], subtype="html")
        return message

    def deliveries(self, limit: int | None = None, *, status: str | None = None) -> list[DigestDelivery]:
        """Digest e-mails in the outbox (in `status`, when given), newest first. Raises `StorageError`."""
        with self.store.unit() as session:
            return q.deliveries(session, limit, status)

    def retry(self, digest_id: int, *, force: bool = False) -> DigestDelivery:
        """Queue a `failed` digest e-mail again, due at once (a `pending` one too); an `unknown` one only with
        `force`, as it may have arrived (the retry keeps its Message-ID, so a mail server can drop the copy).

        Raises `NotFound`, `UsageError` (another state, `unknown` without `force`, changed meanwhile),
        `StorageError`.
        """
        with self.store.unit() as session:
            current = q.get_digest(session, digest_id)
            if current.status == "unknown" and not force:
                raise UsageError(
                    f"digest e-mail D{digest_id} may already have arrived (the connection broke after sending)",
                    hint=f"ask {current.recipient}; `beian notify resolve D{digest_id}` if it came,"
                    " else retry with --force",
                )
            if current.status not in ("failed", "unknown", "pending"):
                raise UsageError(
                    f"digest e-mail D{digest_id} is {current.status}; only failed or unknown ones are retried"
                )
            values: dict[str, Any] = {"status": "pending", "next_attempt_at": None}
            if current.status != "pending":
                values.update(attempts=0, error_message=None)
            if not q.move_digest(session, digest_id, current.status, values, self.clock()):
                raise UsageError(f"digest e-mail D{digest_id} changed meanwhile", hint="look again and retry")
            return q.get_digest(session, digest_id)

    def resolve(self, digest_id: int) -> DigestDelivery:
        """Record that an `unknown` digest e-mail did arrive, so it is never sent again.

        Raises `NotFound`, `UsageError` (not `unknown`, changed meanwhile), `StorageError`.
        """
        now = self.clock()
        with self.store.unit() as session:
            current = q.get_digest(session, digest_id)
            values = {"status": "sent", "sent_at": to_db(now), "error_message": "marked as sent by hand"}
            if current.status != "unknown" or not q.move_digest(session, digest_id, "unknown", values, now):
                raise UsageError(f"digest e-mail D{digest_id} is {current.status}, not unknown")
            return q.get_digest(session, digest_id)

    # -- schedules -------------------------------------------------------------------------------

    def add_schedule(
        self, address: str, every: str, *, fmt: str = "text", organisation: str | int | None = None
    ) -> DigestSchedule:
        """Send `address` (an e-mail address, or a phone for the SMS summary) a digest daily or weekly.

        Raises `UsageError` (bad schedule, format, address, or a duplicate), `NotFound`, `StorageError`.
        """
        from tracker.filings import repo as filing_repo
        from tracker.notify.phone import normalise_phone

        if every not in ("daily", "weekly"):
            raise UsageError(f"unknown schedule {every!r}", hint="daily or weekly")
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint="text, md or html")
        channel = "email" if "@" in address else "sms"
        target = address.strip() if channel == "email" else normalise_phone(address)
        with self.store.unit() as session:
            org_id = (
                filing_repo.find_organisation(session, organisation).id if organisation is not None else None
            )
            values = {"channel": channel, "address": target, "every": every, "format": fmt}
            return q.add_schedule(
                session, {**values, "organisation_id": org_id, "created_at": to_db(self.clock())}
            )

    def schedules(self) -> list[DigestSchedule]:
        """Every digest schedule. Raises `StorageError`."""
        with self.store.unit() as session:
            return q.schedules(session)

    def remove_schedule(self, schedule_id: int) -> DigestSchedule:
        """Stop a schedule; digests already queued are still sent. Raises `NotFound`, `StorageError`."""
        inputs.check_id(schedule_id, "digest schedule")
        with self.store.unit() as session:
            return q.remove_schedule(session, schedule_id)

    def queue_scheduled(self) -> int:
        """Queue each schedule's digest for its latest complete period, unless queued already (once per period).

        Returns how many e-mails and SMS were queued. Raises `RulesError`, `StorageError`.
        """
        today = self.rules.today()
        built: dict[str, Digest] = {}
        queued = 0
        for sch in self.schedules():
            period, since, until = period_of(sch.every, today)
            if period not in built:
                built[period] = self.build(since, until)
            digest = built[period]
            if sch.organisation_id is not None:
                digest = self._scoped(digest, sch.organisation_id, None)
            if sch.channel == "email":
                fmt: Format = sch.format if sch.format in FORMATS else "text"
                queued += sum(
                    new for _, new in self.queue_email(digest, [sch.address], fmt=fmt, period=period)
                )
            else:
                queued += self.queue_sms(
                    digest, period=period, phones=[(sch.address, self.settings.sms_language)]
                )
        return queued

    def check_configured(self) -> None:
        """Raise `NotifyError` unless SMTP is configured (or a mailer was given)."""
        if self._mailer() is None:
            raise NotifyError("SMTP not configured", hint="set smtp_host and smtp_from (BEIAN_SMTP_HOST, …)")
