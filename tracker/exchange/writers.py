"""Export filings (and optionally their history) as CSV, XLSX or JSON Lines that `beian import` reads back.

Columns are the import fields (`tracker.exchange.fields`), in English (default) or Chinese. Secrets never appear:
an export holds organisations, filings and their history only, never settings, phone numbers or the outbox.
CSV is UTF-8 with a BOM so that Excel shows Chinese text; a text cell beginning with =, +, - or @ gets a leading `'`
so that a spreadsheet never runs it as a formula (the import removes it again). Times are ISO 8601 in UTC;
dates are Beijing calendar dates.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from tracker.domain import Filing, Organisation, Transition
from tracker.exchange.fields import FIELDS

EXPORT_FIELDS = (
    "ref",
    "kind",
    "title",
    "organisation",
    "credit_code",
    "region",
    "stage",
    "algorithm_type",
    "role",
    "filing_number",
    "approved_on",
    "launch_date",
    "change_date",
    "termination_date",
    "public_opinion",
    "upstream_model",
    "upstream_filing_number",
    "description",
    "returned_from",
    "returns",
)
"""Columns of an export, in order; `history` follows with `--history`."""
_ZH = {f.name: f.zh for f in FIELDS}
EXPORT_FORMATS = ("csv", "xlsx", "jsonl")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One filing with its organisation, approval date (Beijing) and, when asked for, its history."""

    filing: Filing
    organisation: Organisation
    approved_on: date | None = None
    history: tuple[Transition, ...] = field(default=())


def escape_cell(text: str) -> str:
    """A text a spreadsheet would take for a formula (=, +, - or @ first) gets a leading `'` (CSV/formula injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def headers(with_history: bool, lang: str = "en") -> list[str]:
    """The header row: field names in English, or the Chinese column names (`lang="zh"`)."""
    names = [*EXPORT_FIELDS, *(("history",) if with_history else ())]
    return [_ZH[n] if lang == "zh" else n for n in names]


def history_json(history: Iterable[Transition]) -> list[dict[str, Any]]:
    """A filing's history as the import reads it back (times ISO UTC)."""
    return [
        {
            "event": t.event.value,
            "from_stage": t.from_stage.value,
            "to_stage": t.to_stage.value,
            "effective_at": _iso(t.effective_at),
            "recorded_at": _iso(t.recorded_at),
            "actor": t.actor,
            "source": t.source,
            "note": t.note,
            "reason": t.reason,
            "filing_number": t.filing_number,
        }
        for t in history
    ]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def record(row: ExportRow, with_history: bool) -> dict[str, Any]:
    """One filing as a mapping of export fields to JSON values."""
    f, org = row.filing, row.organisation
    out: dict[str, Any] = {
        "ref": f.ref,
        "kind": f.kind.value,
        "title": f.title,
        "organisation": org.name,
        "credit_code": org.credit_code,
        "region": org.region,
        "stage": f.stage.value,
        "algorithm_type": f.algorithm_type.value if f.algorithm_type else None,
        "role": f.role.value if f.role else None,
        "filing_number": f.filing_number,
        "approved_on": row.approved_on.isoformat() if row.approved_on else None,
        "launch_date": f.launch_date.isoformat() if f.launch_date else None,
        "change_date": f.change_date.isoformat() if f.change_date else None,
        "termination_date": f.termination_date.isoformat() if f.termination_date else None,
        "public_opinion": f.public_opinion,
        "upstream_model": f.upstream_model,
        "upstream_filing_number": f.upstream_filing_number,
        "description": f.description,
        "returned_from": f.returned_from.value if f.returned_from else None,
        "returns": f.returns,
    }
    if with_history:
        out["history"] = history_json(row.history)
    return out


def cells(row: ExportRow | list[Any], with_history: bool) -> list[Any]:
    """One row of a CSV or XLSX export: values in `headers()` order, text escaped (see `escape_cell`).

    A list is taken as already made (the SQLite fast path of `ExchangeService.export_cells`).
    """
    if isinstance(row, list):
        return row
    data = record(row, with_history)
    cells: list[Any] = []
    for name in (*EXPORT_FIELDS, *(("history",) if with_history else ())):
        value = data[name]
        if name == "history":
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif value is None:
            value = ""
        elif isinstance(value, str):
            value = escape_cell(value)
        cells.append(value)
    return cells


Tick = Callable[[int], None]


def write_csv(
    out: IO[str],
    rows: Iterable[ExportRow | list[Any]],
    *,
    with_history: bool,
    lang: str = "en",
    tick: Tick | None = None,
) -> int:
    """Write CSV (the caller opens `out` with encoding utf-8-sig and newline=""); returns the rows written."""
    writer = csv.writer(out)
    writer.writerow(headers(with_history, lang))
    count = 0
    for row in rows:
        writer.writerow(cells(row, with_history))
        count += 1
        if tick is not None and count % 1000 == 0:
            tick(count)
    return count


def write_jsonl(
    out: IO[str], rows: Iterable[ExportRow], *, with_history: bool, tick: Tick | None = None
) -> int:
    """One JSON object per line (UTF-8, not ASCII-escaped); returns the rows written."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    count = 0
    for row in rows:
        out.write(encode(record(row, with_history)))
        out.write("\n")
        count += 1
        if tick is not None and count % 1000 == 0:
            tick(count)
    return count


def write_xlsx(
    path: Path,
    rows: Iterable[ExportRow | list[Any]],
    *,
    with_history: bool,
    lang: str = "en",
    tick: Tick | None = None,
) -> int:
    """An XLSX workbook with one sheet of filings (write-only mode: memory stays flat); returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("备案 filings")
    sheet.append(headers(with_history, lang))
    count = 0
    for row in rows:
        made = []
        for value in cells(row, with_history):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # never a formula
            made.append(cell)
        sheet.append(made)
        count += 1
        if tick is not None and count % 1000 == 0:
            tick(count)
    book.save(path)
    return count


def chunks(rows: Iterable[ExportRow], size: int = 1000) -> Iterator[list[ExportRow]]:
    """Rows in lists of `size` (for progress and batching)."""
    batch: list[ExportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
