"""`beian import`, `export`, `report` and `calendar`: filings in and out of spreadsheets, CAC lists and calendars."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import unicodedata
from pathlib import Path
from typing import IO, Any

import click

import states
from states import UnknownName
from tracker.cli import CliContext, json_option, pass_cli
from tracker.errors import ExitCode, TrackerError, UsageError

_FORMATS = ("csv", "xlsx", "jsonl")


def clean(text: object, limit: int = 200) -> str:
    """Text from a file made safe for a terminal: control characters shown as escapes, long text cut."""
    shown = "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in str(text)
    )
    return shown if len(shown) <= limit else shown[:limit] + "…"


class Progress:
    """Rows per second and, when the total is known, an ETA, on one line of a terminal's stderr; silent when piped."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.2 and (total is None or done < total):
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        line = f"{phase} {done:,}"
        if total:
            left = (total - done) / rate if rate else 0
            width = 24
            filled = int(width * done / total)
            line = f"{phase} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}, ETA {left:.0f} s"
        line += f", {rate:,.0f} rows/s"
        sys.stderr.write("\r" + line[:100].ljust(100))
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        """Clear the progress line."""
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()


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
                _show_import(preview, as_json, written=False)
                click.echo(
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
    _show_import(result, as_json, written=not check)
    if check and not result.plan.clean:
        code = ExitCode.USAGE if result.plan.problems else ExitCode.CONFLICT
        sys.exit(int(code))


def _import_json(result: Any, written: bool) -> dict[str, Any]:
    plan = result.plan
    return {
        "file": str(plan.path),
        "format": plan.format,
        "encoding": plan.encoding,
        "layouts": [layout.value for layout in plan.layouts],
        "rows": plan.rows,
        "ignored_columns": plan.ignored_columns,
        "problems": [
            {"row": p.row, "sheet": p.sheet, "column": p.column, "value": p.value, "reason": p.reason}
            for p in plan.problems
        ],
        "plan": [
            {
                "row": i.record.row,
                "action": i.action,
                "ref": i.ref,
                "title": i.record.title,
                "organisation": i.record.organisation,
                "changes": list(i.changes),
                "reason": i.reason,
                "notes": list(i.record.notes),
            }
            for i in plan.items
        ],
        "new_organisations": plan.new_organisations,
        "written": written and result.applied,
        "created": result.created,
        "approved": result.approved,
        "updated": result.updated,
        "appended": result.appended,
        "organisations_created": result.organisations,
        "rejected": result.rejected,
        "rejected_file": str(result.rejected_file) if result.rejected_file else None,
    }


def _show_import(result: Any, as_json: bool, *, written: bool) -> None:
    from tracker.exchange.service import layout_title
    from tracker.render import dump_json, table

    if as_json:
        dump_json(_import_json(result, written))
        return
    plan = result.plan
    layouts = ", ".join(layout_title(x) for x in plan.layouts) or "no table"
    encoding = f", {plan.encoding}" if plan.encoding else ""
    click.echo(f"{clean(plan.path.name)}: {plan.format}{encoding}; {layouts}; {plan.rows} rows")
    if plan.ignored_columns:
        click.echo(
            "columns ignored (use --map COLUMN=FIELD to read them): "
            + ", ".join(clean(c, 40) for c in plan.ignored_columns)
        )
    if plan.problems:
        click.echo(f"\n{len(plan.problems)} problem(s) in {len({p.row for p in plan.problems})} row(s):")
        table(
            ["row", "column", "value", "reason"],
            [
                [
                    f"{p.sheet}:{p.row}" if p.sheet else str(p.row),
                    clean(p.column, 30),
                    clean(p.value, 40),
                    clean(p.reason, 300),
                ]
                for p in plan.problems
            ],
        )
    counts = {a: plan.count(a) for a in ("new", "approve", "update", "append", "unchanged", "conflict")}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n) or "nothing to do"
    click.echo(f"\nplan: {summary}")
    if plan.new_organisations:
        click.echo(
            f"new organisations: {len(plan.new_organisations)} ("
            + ", ".join(clean(n, 60) for n in plan.new_organisations[:5])
            + (", …)" if len(plan.new_organisations) > 5 else ")")
        )
    shown = [i for i in plan.items if i.action != "unchanged"]
    if shown:
        table(
            ["row", "action", "ref", "title", "details"],
            [
                [
                    str(i.record.row),
                    i.action,
                    i.ref or "",
                    clean(i.record.title, 40),
                    clean(i.reason or "; ".join(i.changes), 200),
                ]
                for i in shown[:200]
            ],
        )
        if len(shown) > 200:
            click.echo(f"… and {len(shown) - 200} more (--json lists them all)")
    if not written:
        click.echo("checked: nothing written")
        return
    parts = [
        f"{result.created} created",
        f"{result.approved} approved",
        f"{result.updated} updated",
        f"{result.appended} with new history",
    ]
    click.echo("imported: " + ", ".join(parts) + f"; {result.organisations} organisation(s) added")
    if result.rejected_file:
        click.echo(
            f"{result.rejected} rejected row(s) written to {clean(result.rejected_file)}: fix them and import that file"
        )


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
        click.echo(f"exported {count} filing(s) to {clean(out)}", err=True)


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
    from tracker.exchange.report import render_html, render_markdown, write_report_xlsx
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
            sys.stdout.write(body)
            return
        with _open_out(out, text=True) as handle:
            handle.write(body)
    click.echo(f"report written to {clean(out)}", err=True)


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
            sys.stdout.write(data.decode("utf-8"))
        return
    with _open_out(out, text=False) as handle:
        handle.write(data)
    click.echo(f"{len(items)} deadline(s) written to {clean(out)}", err=True)


COMMANDS = [import_, export, report, calendar]
