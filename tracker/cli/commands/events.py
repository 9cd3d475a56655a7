"""Event commands: what is possible now (`events`), record one (`advance`), the history, and `apply` a stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

import states
from tracker.cli.context import CliContext, VersionType, json_option, pass_cli
from tracker.cli.text.common import dump_json, echo, json_line, stage_text, table
from tracker.cli.text.events import HISTORY_HEADERS, history_row, move_text, outcome_line
from tracker.domain import inputs
from tracker.domain.json import filing_json, outcome_json, transition_json
from tracker.errors import TrackerError, UsageError

if TYPE_CHECKING:
    from tracker.filings.service import FilingService


@click.command()
@click.argument("ref")
@json_option
@pass_cli
def events(obj: CliContext, ref: str, as_json: bool) -> None:
    """Events possible now, and each refused one with its reason."""
    service = obj.service()
    f = service.filing(ref)
    outcomes = service.events(ref)
    if as_json:
        dump_json(
            {
                "ref": f.ref,
                "stage": f.stage.value,
                "stage_zh": states.zh(f.stage, f.kind),
                "events": [outcome_json(o, f.kind) for o in outcomes],
            }
        )
        return
    lang = obj.settings.language
    echo(f"{f.ref} is in {stage_text(f.stage, f.kind, lang)}")
    if not outcomes:
        echo("no events: this stage is final")
    for o in outcomes:
        echo(outcome_line(o, f.kind, lang))


@click.command()
@click.argument("ref")
@click.argument("event")
@click.option("--note", "-n", help="Free note kept in the history.")
@click.option("--reason", "-r", help="Reason (required to return, reject or revoke).")
@click.option("--filing-number", "-f", help="Filing number (备案编号), required to approve.")
@click.option("--at", "at", help="When it happened (YYYY-MM-DD [HH:MM]); default now.")
@click.option(
    "--by", "actor", help="Who records it [default: $BEIAN_USER, else the PostgreSQL role, else the OS user]."
)
@click.option(
    "--if-version", type=VersionType(), help="Refuse (exit 4) unless the filing is still at this version."
)
@click.option(
    "--reopen", multiple=True, help="With return_for_revision: a material to fix (reopened); repeatable."
)
@click.option("--no-send", is_flag=True, help="Queue notifications but do not send them now.")
@json_option
@pass_cli
def advance(
    obj: CliContext,
    ref: str,
    event: str,
    note: str | None,
    reason: str | None,
    filing_number: str | None,
    at: str | None,
    actor: str | None,
    if_version: int | None,
    reopen: tuple[str, ...],
    no_send: bool,
    as_json: bool,
) -> None:
    """Record EVENT (English or Chinese, e.g. pass_review or 审核通过) for filing REF."""

    service = obj.service()
    result = service.advance(
        ref,
        event,
        note=note,
        reason=reason,
        filing_number=filing_number,
        at=inputs.parse_when(at, what="--at") if at is not None else None,
        actor=actor,
        source="cli",
        if_version=if_version,
        reopen=reopen,
    )
    sent, failed = _send_after_commit(service, result.notifications, no_send)
    f = result.filing
    if as_json:
        data = filing_json(f)
        data["transition"] = transition_json(result.transition, f.kind)
        data["warnings"] = list(result.warnings)
        data["notifications_queued"] = result.notifications
        data["notifications_sent"] = sent
        data["notifications_failed"] = failed
        dump_json(data)
        return
    lang = obj.settings.language
    t = result.transition
    echo(f"{f.ref}: {move_text(t, f.kind, lang)}")
    for warning in result.warnings:
        echo(f"warning: {warning}", err=True)
    if result.notifications:
        echo(f"{result.notifications} SMS queued, {sent} sent")


def _send_after_commit(service: FilingService, queued: int, no_send: bool) -> tuple[int, int]:
    """Deliver the SMS the transition queued: (sent, failed for good). A delivery problem never undoes the
    transition and never changes the exit code (the event is recorded); each one is a warning on stderr, and
    `advance --json` carries `notifications_failed`. `beian notify list --status failed` shows why.
    """
    if not queued or no_send:
        return 0, 0
    try:
        report = service.notify.dispatch_pending()
    except TrackerError as exc:
        echo(f"warning: SMS queued but not sent yet: {exc}", err=True)
        return 0, 0
    if report.stopped:
        echo(f"warning: SMS queued but not sent: {report.stopped}", err=True)
    if report.failed:
        echo(
            f"warning: {report.failed} SMS failed for good; `beian notify list --status failed` shows why",
            err=True,
        )
    return report.sent, report.failed


@click.command()
@click.argument("ref")
@json_option
@pass_cli
def history(obj: CliContext, ref: str, as_json: bool) -> None:
    """A filing's history, oldest first."""
    service = obj.service()
    f = service.filing(ref)
    rows = service.history(ref)
    if as_json:
        dump_json([transition_json(t, f.kind) for t in rows])
        return
    lang = obj.settings.language
    table(HISTORY_HEADERS, [history_row(t, f.kind, lang) for t in rows])


@click.command()
@click.argument("source", metavar="FILE|-")
@click.option("--all-or-nothing", is_flag=True, help="Apply every line or none.")
@json_option
@pass_cli
def apply(obj: CliContext, source: str, all_or_nothing: bool, as_json: bool) -> None:
    """Apply a stream of events from a JSON Lines file (or - for stdin).

    Each line: {"ref": "ALG-0001", "event": "pass_review", "note": …, "reason": …, "filing_number": …,
    "at": …, "by": …, "if_version": …}. Each line's result goes to stdout as soon as it is committed (with
    --json one JSON object per line); errors and the summary go to stderr. Lines are at most 1 MiB, the
    stream at most 64 MiB.
    """
    import sys

    from tracker.filings.apply import LineResult, apply_lines

    service = obj.service()

    def on_line(line: LineResult) -> None:
        if as_json:
            json_line(line.as_json())
        if not line.ok and not line.skipped:
            echo(f"beian: {line.text()}", err=True)
        elif not as_json:
            echo(line.text())
        sys.stdout.flush()

    if source == "-":
        report = apply_lines(
            service, getattr(sys.stdin, "buffer", sys.stdin), all_or_nothing=all_or_nothing, on_line=on_line
        )
    else:
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed below, after the last line
        except OSError as exc:
            raise UsageError(f"cannot read {inputs.echo(source)}: {exc.strerror}") from None
        with stream:
            report = apply_lines(service, stream, all_or_nothing=all_or_nothing, on_line=on_line)
    if report.stopped:
        echo(f"beian: error: {report.stopped}", err=True)
    echo(report.summary(), err=True)
    sent, failed = _send_after_commit(service, report.notifications, False)
    if sent:
        echo(f"{sent} SMS sent", err=True)
    if report.failed or report.stopped:
        raise SystemExit(int(report.exit_code))
