"""`beian import`, `export`, `report` and `calendar`: filings in and out of spreadsheets, CAC lists and calendars."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO, Any

import click

import states
from states import UnknownName
from tracker.cli.context import CliContext, json_option, pass_cli
from tracker.cli.text.common import echo
from tracker.cli.text.exchange import Progress, clean, show_import
from tracker.errors import ExitCode, TrackerError, UsageError

_FORMATS = ("csv", "xlsx", "jsonl")


def _private(path: Path) -> None:
    """Files the product writes are the owner's only (0600)."""
    with contextlib.suppress(OSError):
        path.chmod(0o600)


def _open_out(path: Path, *, text: bool) -> IO[Any]:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    if text:
        return os.fdopen(
            fd, "w", encoding="utf-8-sig" if path.suffix.lower() == ".csv" else "utf-8", newline=""
        )
    return os.fdopen(fd, "wb")


def _day(value: str | None, option: str) -> Any:
    if value is None:
        return None
    from tracker.exchange.rows import EARLIEST, LATEST, parse_day

    found = parse_day(value)
    if found is None or not EARLIEST <= found <= LATEST:
        raise UsageError(
            f"{option} {clean(value, 40)!r} is not a date between {EARLIEST.year} and {LATEST.year}"
        )
    return found


# -- import ----------------------------------------------------------------------------------------------------


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Validate and show the plan; change nothing.")
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Carry the plan out, also where it changes filings already tracked.",
)
@click.option(
    "--skip-invalid",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Import the good rows; write the rejected ones with a reason column to FILE (CSV).",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read COLUMN as FIELD (or - to ignore it); repeatable.",
)
@click.option(
    "--format", "fmt", type=click.Choice(_FORMATS), help="The file's format, when its extension does not say."
)
@click.option(
    "--list-date",
    metavar="DATE",
    help="Approval date for a CAC list without a date column (e.g. 2025-06-12).",
)
@json_option
@pass_cli
def import_(
    obj: CliContext,
    file: Path,
    check: bool,
    apply_: bool,
    skip_invalid: Path | None,
    maps: tuple[str, ...],
    fmt: str | None,
    list_date: str | None,
    as_json: bool,
) -> None:
    """Import organisations and filings from CSV, XLSX or JSONL: your spreadsheet or a CAC published list.

    Every row is validated first. By default an import is all or nothing; --skip-invalid imports the rest. A plan
    that changes filings this database already tracks (approvals the list reports, updated fields, new history)
    is shown and written only with --apply. Re-importing the same file changes nothing.
    """
    from tracker.exchange.fields import parse_maps
    from tracker.exchange.service import ExchangeService

    if check and (apply_ or skip_invalid):
        raise UsageError("--check changes nothing; it cannot be combined with --apply or --skip-invalid")
    day = _day(list_date, "--list-date")
    parsed = parse_maps(list(maps))
    exchange = ExchangeService(obj.service())
    progress = Progress(not as_json)
    try:
        if not check and not apply_:
            preview = exchange.import_file(
                file, fmt=fmt, maps=parsed, list_date=day, check=True, progress=progress
            )
            touches = any(i.action in ("approve", "update", "append") for i in preview.plan.items)
            if touches:
                progress.done()
                show_import(preview, as_json, written=False)
                echo(
                    "nothing written: the plan changes filings this database already tracks; "
                    "run again with --apply to carry it out",
                    err=not as_json,
                )
                return
        result = exchange.import_file(
            file,
            fmt=fmt,
            maps=parsed,
            list_date=day,
            check=check,
            skip_invalid=skip_invalid,
            progress=progress,
        )
    except TrackerError:
        progress.done()
        raise
    progress.done()
    show_import(result, as_json, written=not check)
    if check and not result.plan.clean:
        code = ExitCode.USAGE if result.plan.problems else ExitCode.CONFLICT
        sys.exit(int(code))


# -- export ----------------------------------------------------------------------------------------------------


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    help="csv (UTF-8 with BOM), xlsx or jsonl; default from --out, else csv.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx needs one).",
)
@click.option(
    "--history", is_flag=True, help="Include each filing's history (a JSON column in CSV and XLSX)."
)
@click.option(
    "--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Column names."
)
@click.option(
    "--stage", "-s", "stages", multiple=True, help="Only this stage (English or Chinese); repeatable."
)
@click.option("--org", "organisation", help="Organisation id, name (part) or credit code.")
@click.option("--kind", "-k", "kinds", multiple=True, help="Only this kind; repeatable.")
@click.option("--search", "text", help="Text in the reference, title, organisation or filing number.")
@pass_cli
def export(
    obj: CliContext,
    fmt: str | None,
    out: Path | None,
    history: bool,
    lang: str,
    stages: tuple[str, ...],
    organisation: str | None,
    kinds: tuple[str, ...],
    text: str | None,
) -> None:
    """Export filings (and with --history their events) for a spreadsheet or another beian; never any secret."""
    from tracker.domain import FilingQuery
    from tracker.exchange.service import ExchangeService
    from tracker.exchange.writers import write_csv, write_jsonl, write_xlsx

    try:
        query = FilingQuery(
            stages=tuple(states.parse_stage(s) for s in stages),
            organisation=organisation,
            kinds=tuple(states.parse_kind(k) for k in kinds),
            text=text,
        )
    except UnknownName as exc:
        raise UsageError(str(exc)) from None
    fmt = fmt or (
        out.suffix.lower().lstrip(".") if out and out.suffix.lower().lstrip(".") in _FORMATS else "csv"
    )
    if fmt == "xlsx" and out is None:
        raise UsageError("an XLSX export needs --out FILE.xlsx")
    progress = Progress(out is not None)
    exchange = ExchangeService(obj.service())
    rows: Any = (
        exchange.export_rows(query, with_history=history)
        if fmt == "jsonl"
        else exchange.export_cells(query, with_history=history)
    )
    tick = (lambda n: progress("exporting", n, None)) if out is not None else None
    if fmt == "xlsx":
        assert out is not None
        count = write_xlsx(out, rows, with_history=history, lang=lang, tick=tick)
        _private(out)
    elif out is not None:
        with _open_out(out, text=True) as handle:
            if fmt == "csv":
                count = write_csv(handle, rows, with_history=history, lang=lang, tick=tick)
            else:
                count = write_jsonl(handle, rows, with_history=history, tick=tick)
    else:
        stream = sys.stdout
        if fmt == "csv":
            stream.write("\ufeff")
            count = write_csv(stream, rows, with_history=history, lang=lang)
        else:
            count = write_jsonl(stream, rows, with_history=history)
    progress.done()
    if out is not None:
        echo(f"exported {count} filing(s) to {clean(out)}", err=True)


# -- report and calendar ---------------------------------------------------------------------------------------


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["html", "xlsx", "md"]), help="Default from --out, else md."
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx needs one).",
)
@click.option(
    "--since", metavar="DATE", help="Start of the period (Beijing date); default 30 days before --until."
)
@click.option("--until", metavar="DATE", help="End of the period (Beijing date); default today.")
@pass_cli
def report(obj: CliContext, fmt: str | None, out: Path | None, since: str | None, until: str | None) -> None:
    """A status report to forward: counts per stage, approvals, returns and their cost, deadlines, time per stage."""
    from tracker.exchange.report import render_html, render_markdown
    from tracker.exchange.report_xlsx import write_report_xlsx
    from tracker.exchange.service import ExchangeService

    suffix = out.suffix.lower().lstrip(".") if out else ""
    fmt = fmt or {"html": "html", "htm": "html", "xlsx": "xlsx", "md": "md"}.get(suffix, "md")
    if fmt == "xlsx" and out is None:
        raise UsageError("an XLSX report needs --out FILE.xlsx")
    data = ExchangeService(obj.service()).report_data(_day(since, "--since"), _day(until, "--until"))
    if fmt == "xlsx":
        assert out is not None
        write_report_xlsx(data, out)
        _private(out)
    else:
        body = render_html(data) if fmt == "html" else render_markdown(data)
        if out is None:
            echo(body, lines=True, nl=False)
            return
        with _open_out(out, text=True) as handle:
            handle.write(body)
    echo(f"report written to {clean(out)}", err=True)


@click.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the .ics file here (default: stdout).",
)
@pass_cli
def calendar(obj: CliContext, out: Path | None) -> None:
    """Every running statutory deadline as an iCalendar (.ics) file; re-importing it updates, never duplicates."""
    from tracker.exchange.ical import calendar_bytes
    from tracker.exchange.service import ExchangeService

    service = obj.service()
    items = ExchangeService(service).calendar_items()
    data = calendar_bytes(items, stamp=service.clock())
    if out is None:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
        else:
            sys.stdout.write(data.decode("utf-8"))  # raw: iCalendar is a machine format (CRLF lines)
        return
    with _open_out(out, text=False) as handle:
        handle.write(data)
    echo(f"{len(items)} deadline(s) written to {clean(out)}", err=True)
