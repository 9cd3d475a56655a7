"""`beian notify`: SMS recipients, the outbox, and delivery through Twilio.

Only `send`, `run` and `status` can import `twilio`, and only when Twilio is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tracker.cli.context import (
    CliContext,
    CountType,
    IdType,
    MessageIdType,
    NumberType,
    json_option,
    pass_cli,
)
from tracker.cli.text.common import dump_json, echo, table
from tracker.cli.text.notify import event_text, note_text, status_text
from tracker.domain.json import dispatch_json, notification_json, preview_json, recipient_json, status_json
from tracker.errors import NotifyError, UsageError
from tracker.timeutil import show

if TYPE_CHECKING:
    from tracker.notify.reports import DispatchReport
    from tracker.notify.service import NotifyService

STATUSES = ("pending", "claimed", "sending", "sent", "failed", "unknown", "checking")


def _service(obj: CliContext) -> NotifyService:
    service: NotifyService = obj.service().notify
    return service


def _json(obj: CliContext, flag: bool) -> bool:
    return flag or bool(getattr(obj, "json", False))


@click.group()
def notify() -> None:
    """SMS alerts (短信提醒) through Twilio: recipients, outbox, delivery."""


@notify.group()
def recipients() -> None:
    """Who gets an SMS, for which organisation or filing, and for which events."""


@recipients.command("add")
@click.argument("phone")
@click.option(
    "--org", "organisation", metavar="ORG", help="Organisation (name, credit code or id): all its filings."
)
@click.option("--filing", metavar="REF", help="One filing (ALG-0001 or id).")
@click.option(
    "--events",
    "events",
    multiple=True,
    metavar="EVENTS",
    help="Comma-separated, English or Chinese: approve, return_for_revision, reject, approve_change, "
    "confirm_cancellation, overdue, or all [default: approve].",
)
@click.option("--name", help="Who this is, for your own reference.")
@click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    help="Language of the messages [default: setting sms_language].",
)
@json_option
@pass_cli
def recipients_add(
    obj: CliContext,
    phone: str,
    organisation: str | None,
    filing: str | None,
    events: tuple[str, ...],
    name: str | None,
    language: str | None,
    as_json: bool,
) -> None:
    """Add a phone number (E.164, or a Chinese mobile number such as 13800138000)."""
    service = _service(obj)
    r = service.add_recipient(
        phone, organisation=organisation, filing=filing, events=events or None, name=name, language=language
    )
    scope = service.recipient_scopes([r])[r.id]
    if _json(obj, as_json):
        dump_json(recipient_json(r, scope))
        return
    echo(
        f"recipient {r.id}: {r.phone} for {scope}: {', '.join(event_text(e, obj.settings.language) for e in r.events)}"
    )


@recipients.command("list")
@click.option("--org", "organisation", metavar="ORG", help="Only this organisation's own recipients.")
@click.option(
    "--filing", metavar="REF", help="Everyone a filing's messages reach (its own and its organisation's)."
)
@json_option
@pass_cli
def recipients_list(obj: CliContext, organisation: str | None, filing: str | None, as_json: bool) -> None:
    """List recipients."""
    service = _service(obj)
    rows = service.recipients(organisation=organisation, filing=filing)
    scopes = service.recipient_scopes(rows)
    if _json(obj, as_json):
        dump_json([recipient_json(r, scopes.get(r.id)) for r in rows])
        return
    if not rows:
        echo("no recipients; add one with `beian notify recipients add PHONE --org ORG`")
        return
    table(
        ["id", "phone", "name", "for", "language", "events"],
        [
            [
                str(r.id),
                r.phone,
                r.name or "",
                scopes.get(r.id, ""),
                r.language,
                ", ".join(event_text(e, obj.settings.language) for e in r.events),
            ]
            for r in rows
        ],
    )


@recipients.command("remove")
@click.argument("recipient_id", type=IdType("recipient"))
@json_option
@pass_cli
def recipients_remove(obj: CliContext, recipient_id: int, as_json: bool) -> None:
    """Remove a recipient (messages already queued for it are still delivered)."""
    r = _service(obj).remove_recipient(recipient_id)
    if _json(obj, as_json):
        dump_json(recipient_json(r))
        return
    echo(f"removed recipient {r.id} ({r.phone})")


@notify.command()
@click.argument("ref")
@click.option("--event", help="Event to render [default: approve].")
@click.option(
    "--language", type=click.Choice(["zh", "en"]), help="Template language [default: setting sms_language]."
)
@click.option("--reason", help="A reason to render (return for revision, reject).")
@json_option
@pass_cli
def preview(
    obj: CliContext, ref: str, event: str | None, language: str | None, reason: str | None, as_json: bool
) -> None:
    """Show the SMS a filing's event sends, with its encoding and segment count."""
    p = _service(obj).preview(ref, event=event, language=language, reason=reason)
    if _json(obj, as_json):
        dump_json(preview_json(p))
        return
    echo(p.body, lines=True)
    echo("")
    extra = " (shortened to fit)" if p.shortened else ""
    echo(
        f"{p.segments} segment(s), {p.encoding}, {p.units} units{extra}; reaches {p.recipients} recipient(s)"
    )


@notify.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only rows in this state.")
@click.option("--filing", metavar="REF", help="Only this filing's messages.")
@click.option(
    "--limit", type=CountType("--limit", low=1, high=2**31 - 1), help="At most this many, newest first."
)
@click.option("--email", is_flag=True, help="Digest e-mails (ids D1, D2…) instead of SMS.")
@json_option
@pass_cli
def list_(
    obj: CliContext, status: str | None, filing: str | None, limit: int | None, email: bool, as_json: bool
) -> None:
    """List outbox messages, newest first, with their delivery status."""
    if email:
        if filing is not None:
            raise UsageError("--filing goes with SMS only", hint="a digest e-mail covers many filings")
        from tracker.cli.commands.digest import list_emails

        list_emails(obj, status, limit, _json(obj, as_json))
        return
    rows = _service(obj).notifications(filing, status=status, limit=limit)
    if _json(obj, as_json):
        dump_json([notification_json(n) for n in rows])
        return
    if not rows:
        echo("no messages")
        return
    table(
        ["id", "filing", "event", "phone", "status", "tries", "seg", "when", "note"],
        [
            [
                str(n.id),
                n.filing_ref,
                event_text(n.event, obj.settings.language),
                n.phone,
                status_text(n),
                str(n.attempts),
                str(n.segments),
                show(n.sent_at or n.created_at),
                note_text(n),
            ]
            for n in rows
        ],
    )


@notify.command()
@click.option("--dry-run", is_flag=True, help="Show what would be sent now; send nothing.")
@click.option("--limit", type=CountType("--limit", low=1, high=2**31 - 1), help="Send at most this many.")
@json_option
@pass_cli
def send(obj: CliContext, dry_run: bool, limit: int | None, as_json: bool) -> None:
    """Send every message that is due now, once (retries are scheduled, not waited for)."""
    report = _service(obj).dispatch_pending(limit=limit, dry_run=dry_run)
    if _json(obj, as_json):
        dump_json(dispatch_json(report))
    else:
        for n in report.previews:
            echo(f"#{n.id} {n.filing_ref} → {n.phone} ({n.segments} segment(s)):\n  {n.body}", lines=True)
        echo(report.summary)
    if report.stopped and report.paused_until is not None:
        raise NotifyError(
            report.stopped, hint="the rest go out by themselves with `beian notify run`, or `send` after that"
        )
    if report.stopped:
        raise NotifyError(report.stopped, hint="check BEIAN_TWILIO_*, then `beian notify retry ID`")
    if report.failed:
        raise NotifyError(
            f"{report.failed} message(s) failed", hint="`beian notify list --status failed` shows why"
        )


@notify.command()
@click.option(
    "--interval",
    type=NumberType("--interval", low=0.1, high=86_400),
    default=5.0,
    show_default=True,
    help="Seconds between looks at the outbox.",
)
@pass_cli
def run(obj: CliContext, interval: float) -> None:
    """Keep sending: deliver due messages and retries, queue and send scheduled digests (`notify schedule`), until
    Ctrl+C or SIGTERM (a message in flight is finished)."""
    import signal
    import threading

    from tracker.timeutil import show as show_time

    service = _service(obj)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)

    def on_report(report: DispatchReport) -> None:
        if (
            report.sent
            or report.failed
            or report.retrying
            or report.requeued
            or report.interrupted
            or report.stopped
            or report.unsure
            or report.found
            or report.resent
        ):
            echo(f"{show_time(service.clock(), seconds=True)}  {report.summary}")

    from tracker.notify.digests import DigestService

    digests = DigestService(obj.service())
    rules = obj.service().rules

    def before_pass() -> None:
        rules.notify_overdue()
        queued = digests.queue_scheduled()
        report = digests.dispatch()
        if queued or report.sent or report.failed or report.unknown or report.stopped:
            echo(f"{show_time(service.clock(), seconds=True)}  {report.summary}")

    echo(f"sending due SMS and digests every {interval:g} s; Ctrl+C stops")
    try:
        service.run(stop, interval=interval, on_report=on_report, before_pass=before_pass)
    except KeyboardInterrupt:
        stop.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
    echo("stopped")


@notify.command()
@click.argument("outbox_id", metavar="ID", type=MessageIdType())
@click.option(
    "--force", is_flag=True, help="Also resend an `unknown` message, accepting that it may arrive twice."
)
@json_option
@pass_cli
def retry(obj: CliContext, outbox_id: tuple[str, int], force: bool, as_json: bool) -> None:
    """Queue a failed message again: an SMS (ID) goes out with the next `send`, `run` or transition, a digest
    e-mail (DID, e.g. D3) with the next `run`."""
    channel, number = outbox_id
    if channel == "email":
        from tracker.cli.commands.digest import retry_email

        retry_email(obj, number, force, _json(obj, as_json))
        return
    n = _service(obj).retry(number, force=force)
    if _json(obj, as_json):
        dump_json(notification_json(n))
        return
    echo(f"message {n.id} to {n.phone} is queued again")


@notify.command()
@click.argument("outbox_id", metavar="ID", type=MessageIdType())
@click.option("--sid", help="Its Twilio message SID (SM…), if you found it in the Twilio console.")
@json_option
@pass_cli
def resolve(obj: CliContext, outbox_id: tuple[str, int], sid: str | None, as_json: bool) -> None:
    """Record that an `unknown` message (an SMS ID, or a digest e-mail DID) did arrive, so it is never resent."""
    channel, number = outbox_id
    if channel == "email":
        if sid is not None:
            raise UsageError("--sid goes with an SMS only", hint="a digest e-mail has no Twilio SID")
        from tracker.cli.commands.digest import resolve_email

        resolve_email(obj, number, _json(obj, as_json))
        return
    n = _service(obj).resolve(number, sid=sid)
    if _json(obj, as_json):
        dump_json(notification_json(n))
        return
    echo(f"message {n.id} is recorded as sent")


@notify.command()
@click.option(
    "--days",
    type=NumberType("--days", low=0, high=365, low_open=True),
    default=7.0,
    show_default=True,
    help="How far back to poll.",
)
@json_option
@pass_cli
def status(obj: CliContext, days: float, as_json: bool) -> None:
    """Poll Twilio for the delivery status of recent messages, and look for `unknown` ones."""
    report = _service(obj).refresh_status(days=days)
    if _json(obj, as_json):
        dump_json(status_json(report))
        return
    echo(report.summary)


def _register_schedule() -> None:
    from tracker.cli.commands.digest import schedule

    notify.add_command(schedule)


_register_schedule()
