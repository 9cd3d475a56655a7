"""`beian digest` (what moved, what is due, what stalls; to stdout, a file, e-mail or SMS) and
`beian notify schedule` (digests sent by `beian notify run`, daily or weekly)."""

from __future__ import annotations

import os
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from tracker.cli.context import CliContext, CountType, IdType, json_option, pass_cli
from tracker.cli.text.common import dump_json, echo, table
from tracker.domain.json_reports import delivery_json, digest_json, schedule_json
from tracker.errors import NotifyError
from tracker.timeutil import BEIJING, parse_day, show

if TYPE_CHECKING:
    from tracker.domain.digest import Digest
    from tracker.notify.digest_text import Format


def _day_start(text: str) -> datetime:
    """00:00 in Beijing of a `YYYY-MM-DD` day."""
    return datetime.combine(parse_day(text), time(0), BEIJING)


@click.command("digest")
@click.option(
    "--since", default="last", show_default=True, help="last (since the latest digest) or YYYY-MM-DD."
)
@click.option(
    "--until", "until_", metavar="DATE", help="End of the period (YYYY-MM-DD, exclusive); default now."
)
@click.option(
    "--within",
    type=CountType("--within", low=0, high=100_000),
    default=10,
    show_default=True,
    help="Working days ahead.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "md", "html"]), default="text", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (owner-only)."
)
@click.option("--email", "emails", multiple=True, metavar="ADDR", help="E-mail it to ADDR (repeatable).")
@click.option("--sms", is_flag=True, help="Send the SMS summary to recipients subscribed to `digest`.")
@json_option
@pass_cli
def digest(
    obj: CliContext,
    since: str,
    until_: str | None,
    within: int,
    fmt: str,
    out: Path | None,
    emails: tuple[str, ...],
    sms: bool,
    as_json: bool,
) -> None:
    """What moved in the period (approved with numbers, returned with reasons, submitted, new), deadlines due in
    the next working days, overdue ones, and filings not moving for longer than their stage usually takes.

    Each (recipient, period) is sent once: asking again reports it as already sent.
    """
    from tracker.notify.digests import DigestService

    service = obj.service()
    digests = DigestService(service)
    start = digests.since_last() if since.strip().lower() == "last" else _day_start(since)
    end = _day_start(until_) if until_ else None
    view = digests.build(start, end, within=within)
    period = f"adhoc:{view.since.astimezone(BEIJING):%Y-%m-%d}..{view.until.astimezone(BEIJING):%Y-%m-%d}"
    text = None if as_json else _render(view, fmt)
    if out is not None:
        _write_private(out, text if text is not None else _json_text(view))
    elif not emails and not sms:
        if as_json:
            dump_json(digest_json(view))
        else:
            echo(text or "", lines=True, nl=False)
    queued = digests.queue_email(view, list(emails), fmt=cast("Format", fmt), period=period) if emails else []
    report = digests.dispatch() if emails else None
    sms_rows = digests.queue_sms(view, period=period) if sms else 0
    if sms_rows:
        service.notify.dispatch_pending()
    if emails or sms:
        rows = {d.id: d for d in digests.deliveries()}
        if as_json:
            dump_json(
                {
                    "emails": [delivery_json(rows.get(d.id, d), new) for d, new in queued],
                    "sms_queued": sms_rows,
                    "summary": report.summary if report else None,
                }
            )
            return
        for d, new in queued:
            now = rows.get(d.id, d)
            state = now.status if new else f"already {now.status} for {period}"
            echo(
                f"e-mail to {now.recipient}: {state}"
                + (f" ({now.error_message})" if now.error_message else "")
            )
        if report is not None:
            echo(report.summary)
        if sms:
            echo(f"SMS summaries queued: {sms_rows}")
    if report is not None and report.stopped:
        raise NotifyError(
            report.stopped, hint="check BEIAN_SMTP_*; the digest stays queued for `beian notify run`"
        )
    if report is not None and report.failed:
        raise NotifyError(f"{report.failed} digest e-mail(s) failed", hint="the server refused them for good")


def _render(view: Digest, fmt: str) -> str:
    from tracker.notify.digest_text import render

    return render(view, cast("Format", fmt))


def _json_text(view: Digest) -> str:
    import json

    from tracker.domain.json import json_default

    return json.dumps(digest_json(view), ensure_ascii=False, indent=2, default=json_default) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


@click.group("schedule")
def schedule() -> None:
    """Digests sent by `beian notify run`: daily (yesterday) or weekly (last Monday to Sunday), once per period."""


@schedule.command("add")
@click.argument("address")
@click.option("--every", type=click.Choice(["daily", "weekly"]), required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "md", "html"]), default="text", show_default=True)
@click.option("--org", "organisation", metavar="ORG", help="Only this organisation's filings.")
@json_option
@pass_cli
def schedule_add(
    obj: CliContext, address: str, every: str, fmt: str, organisation: str | None, as_json: bool
) -> None:
    """Send ADDRESS (an e-mail address, or a phone number for the SMS summary) a digest on a schedule."""
    from tracker.notify.digests import DigestService

    s = DigestService(obj.service()).add_schedule(address, every, fmt=fmt, organisation=organisation)
    if as_json:
        dump_json(schedule_json(s))
        return
    echo(f"schedule {s.id}: {s.every} digest to {s.address} ({s.channel})")


@schedule.command("list")
@json_option
@pass_cli
def schedule_list(obj: CliContext, as_json: bool) -> None:
    """List digest schedules."""
    from tracker.notify.digests import DigestService

    rows = DigestService(obj.service()).schedules()
    if as_json:
        dump_json([schedule_json(s) for s in rows])
        return
    if not rows:
        echo("no digest schedules; add one with `beian notify schedule add ADDRESS --every weekly`")
        return
    table(
        ["id", "to", "channel", "every", "format", "organisation", "since"],
        [
            [
                str(s.id),
                s.address,
                s.channel,
                s.every,
                s.format,
                str(s.organisation_id or ""),
                show(s.created_at),
            ]
            for s in rows
        ],
    )


@schedule.command("remove")
@click.argument("schedule_id", type=IdType("digest schedule"))
@json_option
@pass_cli
def schedule_remove(obj: CliContext, schedule_id: int, as_json: bool) -> None:
    """Stop a digest schedule (digests already queued are still sent)."""
    from tracker.notify.digests import DigestService

    s = DigestService(obj.service()).remove_schedule(schedule_id)
    if as_json:
        dump_json(schedule_json(s))
        return
    echo(f"schedule {s.id} to {s.address} removed")


# -- the digest outbox, for `beian notify list --email`, `retry DID` and `resolve DID` ---------------


def list_emails(obj: CliContext, status: str | None, limit: int | None, as_json: bool) -> None:
    """`beian notify list --email`: the digest outbox, newest first, ids as D1, D2…"""
    from tracker.notify.digests import DigestService

    rows = DigestService(obj.service()).deliveries(limit, status=status)
    if as_json:
        dump_json([delivery_json(d) for d in rows])
        return
    if not rows:
        echo("no digest e-mails")
        return
    table(
        ["id", "to", "period", "status", "tries", "when", "note"],
        [
            [
                f"D{d.id}",
                d.recipient,
                d.period,
                d.status,
                str(d.attempts),
                show(d.sent_at or d.created_at),
                d.error_message or "",
            ]
            for d in rows
        ],
    )


def retry_email(obj: CliContext, digest_id: int, force: bool, as_json: bool) -> None:
    """`beian notify retry DID [--force]`."""
    from tracker.notify.digests import DigestService

    d = DigestService(obj.service()).retry(digest_id, force=force)
    if as_json:
        dump_json(delivery_json(d))
        return
    echo(f"digest e-mail D{d.id} to {d.recipient} is queued again; `beian notify run` sends it")


def resolve_email(obj: CliContext, digest_id: int, as_json: bool) -> None:
    """`beian notify resolve DID`."""
    from tracker.notify.digests import DigestService

    d = DigestService(obj.service()).resolve(digest_id)
    if as_json:
        dump_json(delivery_json(d))
        return
    echo(f"digest e-mail D{d.id} is recorded as sent")
