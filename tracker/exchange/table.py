"""Rows of an import file as read: cells keyed by field, the header row found among title lines, repeated headers
and section titles (the two series of the CAC generative-AI list), and the bounds every reader keeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

from tracker.errors import UsageError
from tracker.exchange.fields import IGNORED, Layout, field_for, normalise_header, recognise_layout

MAX_ROWS = 2_000_000

MAX_COLUMNS = 200

MAX_CELL = 100_000

"""Characters in one cell; a description is far shorter, a pasted history in JSON may be longer than a title."""

HEADER_SCAN = 12

"""Rows searched for the header row (the CAC lists have a title line or two above it)."""

_REGISTRATION_HEADERS = {
    normalise_header(h) for h in ("上线编号", "登记编号", "登记号", "登记时间", "登记单位", "登记日期")
}

_SECTION_WORDS = re.compile(r"登记|备案|清单|名单|附件|生成式|服务")

_LIST_DATE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")


class ImportFileError(UsageError):
    """The file cannot be read as a whole: wrong format, damaged, mixed encodings, no header, too large."""


class Cell(NamedTuple):
    """One value as read: text from CSV and JSON, typed values from XLSX; `formula` when the cell holds one.

    A named tuple: a file of 100,000 rows makes over half a million of them."""

    column: str
    """The column's name as written in the file (or the JSON key)."""
    value: Any
    formula: str | None = None


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row: its number as the user sees it (file line, sheet row or JSON line) and its cells by field."""

    number: int
    cells: Mapping[str, Cell]
    layout: Layout
    sheet: str | None = None
    series: str | None = None
    """"registration" for the 登记 series of the CAC generative-AI list, "filing" for the 备案 series."""
    list_date: date | None = None
    """A date read from the list's title line (`2024年1月`), used when a row has no date of its own."""
    original: tuple[tuple[str, Any], ...] = ()
    """Every cell as (column as written, value), ignored columns too: what `--skip-invalid` writes back
    (as text, see `original_text`)."""

    @property
    def where(self) -> str:
        """`row 12` or `sheet 登记, row 12`."""
        return f"sheet {self.sheet}, row {self.number}" if self.sheet else f"row {self.number}"


@dataclass
class Table:
    """A whole file read: its rows and what the reader noticed."""

    path: Path
    format: str
    encoding: str | None = None
    layouts: list[Layout] = field(default_factory=list)
    rows: list[RawRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def layout(self) -> Layout:
        """The layout of the first table in the file."""
        return self.layouts[0] if self.layouts else Layout.SPREADSHEET


Progress = Callable[[int], None]

"""Called with the number of rows read so far (for a progress bar)."""


def no_header(name: str, seen: list[str]) -> str:
    shown = ", ".join(repr(s) for s in seen[:6] if s)
    tail = f" (first row: {shown})" if shown else ""
    return (
        f"{name}: no header row with known columns in the first {HEADER_SCAN} rows{tail}; "
        "use --map COLUMN=FIELD, see the README's import section for the column names"
    )


def _header(texts: list[str], maps: Mapping[str, str]) -> tuple[dict[int, str], list[str]]:
    """Fields by column index, and the columns nobody knows."""
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    used: set[str] = set()
    for index, text in enumerate(texts):
        if not text:
            continue
        norm = normalise_header(text)
        target = maps.get(norm) or field_for(text)
        if target is None:
            unknown.append(text)
            continue
        if target != IGNORED and target in used:
            unknown.append(f"{text} (a second {target} column)")
            continue
        used.add(target)
        mapping[index] = target
    return mapping, unknown


def _known(mapping: dict[int, str]) -> int:
    return sum(1 for f in mapping.values() if f != IGNORED)


def tabulate(
    grid: Iterator[tuple[int, list[Any], list[str | None]]],
    table: Table,
    maps: Mapping[str, str],
    sheet: str | None,
    progress: Progress | None,
    *,
    missing_ok: bool = False,
) -> bool:
    """Find the header row, then turn data rows into RawRows; a repeated header starts a new table (series)."""
    mapping: dict[int, str] | None = None
    headers: list[str] = []
    layout = Layout.SPREADSHEET
    series: str | None = None
    list_date: date | None = None
    first_seen: list[str] = []
    for number, values, formulas in grid:
        if len(values) > MAX_COLUMNS:
            raise ImportFileError(f"{table.path.name}, row {number}: more than {MAX_COLUMNS} columns")
        texts = [_text(v) for v in values]
        if not any(texts) and not any(formulas):
            continue
        if not first_seen:
            first_seen = texts
        candidate, unknown = _header(texts, maps)
        known = _known(candidate)
        is_header = known >= 2 and not any(f for f in formulas) and _looks_like_header(texts, candidate)
        if is_header:
            mapping, headers = candidate, texts
            layout = recognise_layout(texts)
            if layout not in table.layouts:
                table.layouts.append(layout)
            if {normalise_header(t) for t in texts} & _REGISTRATION_HEADERS:
                series = "registration"
            for column in unknown:
                if column not in table.ignored_columns:
                    table.ignored_columns.append(column)
            continue
        if mapping is None:
            list_date = _list_date(texts) or list_date
            series = _series(texts) or series
            if number > HEADER_SCAN:
                if missing_ok:
                    return False
                raise ImportFileError(no_header(table.path.name, first_seen))
            continue
        filled = [t for t in texts if t]
        if len(filled) == 1 and texts[0] and _SECTION_WORDS.search(texts[0]) and not any(formulas):
            # a section title between the two series of the generative-AI list, or a footnote
            series = _series(texts) or series
            list_date = _list_date(texts) or list_date
            continue
        cells: dict[str, Cell] = {}
        for index, name in mapping.items():
            if name == IGNORED or index >= len(values):
                continue
            value = values[index]
            if isinstance(value, str) and len(value) > MAX_CELL:
                value = value[:MAX_CELL]
            cells[name] = Cell(headers[index], value, formulas[index] if index < len(formulas) else None)
        for index, formula in enumerate(formulas):
            if formula and index not in mapping:
                cells.setdefault(
                    f"#{index}", Cell(headers[index] if index < len(headers) else f"#{index}", None, formula)
                )
        if len(table.rows) >= MAX_ROWS:
            raise ImportFileError(f"{table.path.name} has more than {MAX_ROWS:,} rows; split it")
        original = tuple(
            (headers[i], formulas[i] or values[i])
            for i in range(min(len(headers), len(values)))
            if headers[i]
        )
        table.rows.append(RawRow(number, cells, layout, sheet, series, list_date, original))
        if progress is not None and len(table.rows) % 1000 == 0:
            progress(len(table.rows))
    if mapping is None:
        if missing_ok:
            return False
        raise ImportFileError(no_header(table.path.name, first_seen))
    return True


def _looks_like_header(texts: list[str], mapping: dict[int, str]) -> bool:
    """A header names its columns: no cell of it reads like a filing number or a date."""
    for index in mapping:
        text = texts[index]
        if re.search(r"\d{6,}", text) or re.search(r"-20\d{6}", text):
            return False
    return True


def original_text(value: Any) -> str:
    """A cell as read, as text for writing it back (dates as ISO dates, JSON values as JSON)."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _series(texts: list[str]) -> str | None:
    joined = "".join(texts)
    if "登记" in joined:
        return "registration"
    if "备案" in joined:
        return "filing"
    return None


def _list_date(texts: list[str]) -> date | None:
    match = _LIST_DATE.search("".join(texts))
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        return None


# -- JSON Lines ---------------------------------------------------------------------------------------------------
