"""Read an import file (CSV, XLSX or JSON Lines) into raw rows keyed by field, whatever its language or layout.

Nothing here knows the database. A file that cannot be read as a whole (wrong format for its extension, truncated
workbook, mixed encodings, no recognisable header, over the size bounds) raises `ImportFileError` (exit 2) with one
line naming the file and, where it helps, the line; row-level problems are the validator's business.

Sizes are bounded: `MAX_BYTES` per file, `MAX_ROWS` rows, `MAX_COLUMNS` columns, `MAX_CELL` characters per cell
and `MAX_JSON_LINE` bytes per JSON line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from tracker.errors import UsageError
from tracker.exchange.fields import IGNORED, Layout, field_for, normalise_header, recognise_layout

MAX_BYTES = 512 * 1024 * 1024
"""Largest file read (bytes): 100,000 filings with their history fit many times over."""
MAX_ROWS = 2_000_000
MAX_COLUMNS = 200
MAX_CELL = 100_000
"""Characters in one cell; a description is far shorter, a pasted history in JSON may be longer than a title."""
MAX_JSON_LINE = 4 * 1024 * 1024
MAX_UNZIPPED = 2 * 1024 * 1024 * 1024
"""Uncompressed size of an XLSX workbook's parts (bytes); more is a ZIP bomb, not a portfolio."""
HEADER_SCAN = 12
"""Rows searched for the header row (the CAC lists have a title line or two above it)."""
SNIFF = 65536

FORMATS = ("csv", "xlsx", "jsonl")
_REGISTRATION_HEADERS = {
    normalise_header(h) for h in ("上线编号", "登记编号", "登记号", "登记时间", "登记单位", "登记日期")
}
_SECTION_WORDS = re.compile(r"登记|备案|清单|名单|附件|生成式|服务")
_LIST_DATE = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")


class ImportFileError(UsageError):
    """The file cannot be read as a whole: wrong format, damaged, mixed encodings, no header, too large."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One value as read: text from CSV and JSON, typed values from XLSX; `formula` when the cell holds one."""

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


def detect_format(path: Path, declared: str | None = None) -> str:
    """csv, xlsx or jsonl: from `declared`, else from the extension (.csv/.tsv/.txt, .xlsx/.xlsm, .jsonl/.ndjson/.json)."""
    if declared:
        if declared not in FORMATS:
            raise UsageError(f"unknown format {declared!r}", hint="csv, xlsx or jsonl")
        return declared
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".xls":
        raise ImportFileError(
            f"{path.name} is an old Excel 97–2003 workbook (.xls)", hint="save it as .xlsx or .csv in Excel"
        )
    raise ImportFileError(
        f"cannot tell the format of {path.name} from its extension", hint="name it .csv, .xlsx or .jsonl"
    )


def read_table(
    path: Path,
    *,
    fmt: str | None = None,
    maps: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Table:
    """Read `path` into a Table of raw rows keyed by field (see `tracker.exchange.fields`).

    `maps` is `{normalised column: field}` from `--map`. Raises ImportFileError when the file cannot be read as a
    whole (missing, over `MAX_BYTES`, not the format its extension says, damaged, mixed encodings, no header).
    """
    kind = detect_format(path, fmt)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise ImportFileError(f"{path} is not a file")
    if size > MAX_BYTES:
        raise ImportFileError(
            f"{path.name} is {size / 2**20:.0f} MB; the largest file read is {MAX_BYTES // 2**20} MB"
        )
    with path.open("rb") as handle:
        head = handle.read(SNIFF)
    _refuse_other_format(path, kind, head)
    table = Table(path=path, format=kind)
    maps = dict(maps or {})
    if kind == "jsonl":
        _read_jsonl(path, table, maps, progress)
    elif kind == "xlsx":
        _read_xlsx(path, table, maps, progress)
    else:
        _read_csv(path, table, maps, progress)
    return table


def _refuse_other_format(path: Path, kind: str, head: bytes) -> None:
    """A file whose content is not what its extension says: one clear line rather than a parser's traceback."""
    is_zip = head.startswith(b"PK\x03\x04")
    if kind == "xlsx":
        if not head:
            raise ImportFileError(f"{path.name} is empty, not an XLSX workbook")
        if not is_zip:
            what = _describe(head)
            raise ImportFileError(f"{path.name} is not an XLSX workbook (it looks like {what})")
        return
    if is_zip:
        raise ImportFileError(
            f"{path.name} is a ZIP file (an XLSX workbook?), not {kind.upper()}", hint="name it .xlsx"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            f"{path.name} is an old Excel/Office file, not {kind.upper()}", hint="save it as .xlsx"
        )
    if head.startswith(b"%PDF"):
        raise ImportFileError(f"{path.name} is a PDF document, not {kind.upper()}")
    text_start = head.lstrip(codecs.BOM_UTF8)
    if b"\x00" in text_start and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"{path.name} holds binary data, not {kind.upper()} text")


def _describe(head: bytes) -> str:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel 97–2003 file: save it as .xlsx"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if b"\x00" in head:
        return "binary data"
    return "text: name it .csv if it is comma-separated"


# -- CSV ---------------------------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK.

    Excel on Chinese Windows saves "CSV" in GBK (a subset of GB18030). A file whose lines are partly UTF-8 and
    partly another encoding is refused (ImportFileError naming a line of each), never decoded into mojibake.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{name}: not valid UTF-16 at byte {exc.start}") from None
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    utf8_line = other_line = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_line = utf8_line or number
        except UnicodeDecodeError:
            other_line = other_line or number
        if utf8_line and other_line:
            raise ImportFileError(
                f"{name} mixes encodings: line {utf8_line} is UTF-8, line {other_line} is not (GBK?)",
                hint="save the whole file once more in one encoding, e.g. CSV UTF-8 in Excel",
            )
    if bom:
        raise ImportFileError(f"{name} starts with a UTF-8 mark but line {other_line} is not UTF-8")
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        bad_line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"{name}: line {bad_line} is neither UTF-8 nor GBK/GB18030 text", hint="save it as CSV UTF-8"
        ) from None


def _read_csv(path: Path, table: Table, maps: dict[str, str], progress: Progress | None) -> None:
    data = path.read_bytes()
    text, table.encoding = decode_text(data, path.name)
    del data
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

        def grid() -> Iterator[tuple[int, list[Any], list[str | None]]]:
            start = 1
            try:
                for values in reader:
                    yield start, values, [None] * len(values)
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise ImportFileError(f"{path.name}, line {reader.line_num}: {exc}") from None

        _tabulate(grid(), table, maps, None, progress)
    finally:
        csv.field_size_limit(previous)


# -- XLSX --------------------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, table: Table, maps: dict[str, str], progress: Progress | None) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ImportFileError(
            f"{path.name} is not a readable XLSX workbook (truncated or damaged: {exc})"
        ) from None
    if damaged is not None:
        raise ImportFileError(f"{path.name} is a damaged XLSX workbook (part {damaged} fails its checksum)")
    if unzipped > MAX_UNZIPPED:
        raise ImportFileError(f"{path.name} unpacks to {unzipped / 2**30:.1f} GB; refusing to read it")
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        raise ImportFileError(
            f"{path.name} is not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        found = False
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            if _tabulate(_sheet_grid(path, sheet), table, maps, sheet.title, progress, missing_ok=True):
                found = True
        if not found:
            raise ImportFileError(_no_header(path.name, []))
    finally:
        book.close()


def _sheet_grid(path: Path, sheet: Any) -> Iterator[tuple[int, list[Any], list[str | None]]]:
    rows = sheet.iter_rows(max_col=MAX_COLUMNS)
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a truncated sheet fails while streaming
            raise ImportFileError(
                f"{path.name}, sheet {sheet.title}: damaged after row {number} ({type(exc).__name__})"
            ) from None
        values: list[Any] = []
        formulas: list[str | None] = []
        for cell in row:
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                formulas.append(str(getattr(value, "text", value)))
                values.append(None)
            else:
                formulas.append(None)
                values.append(value)
        number = getattr(row[0], "row", None) or number + 1 if row else number + 1
        yield number, values, formulas


# -- the header row, repeated headers, section titles -------------------------------------------------------------


def _no_header(name: str, seen: list[str]) -> str:
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


def _tabulate(
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
                raise ImportFileError(_no_header(table.path.name, first_seen))
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
        raise ImportFileError(_no_header(table.path.name, first_seen))
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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"key {twice!r} appears twice")
    return found


def _read_jsonl(path: Path, table: Table, maps: dict[str, str], progress: Progress | None) -> None:
    table.encoding = "utf-8"
    table.layouts.append(Layout.SPREADSHEET)
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(MAX_JSON_LINE + 1)
            if not raw:
                break
            number += 1
            if len(raw) > MAX_JSON_LINE and not raw.endswith(b"\n"):
                raise ImportFileError(f"{path.name}, line {number}: longer than {MAX_JSON_LINE // 2**20} MB")
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"{path.name}, line {number}: not UTF-8 (byte {exc.start + 1})"
                ) from None
            if not text.strip():
                continue
            try:
                data = json.loads(text, object_pairs_hook=_no_duplicates)
            except RecursionError:
                raise ImportFileError(f"{path.name}, line {number}: nested too deeply") from None
            except ValueError as exc:
                raise ImportFileError(f"{path.name}, line {number}: not JSON ({exc})") from None
            if not isinstance(data, dict):
                raise ImportFileError(
                    f"{path.name}, line {number}: expected a JSON object, got {type(data).__name__}"
                )
            cells: dict[str, Cell] = {}
            for key, value in data.items():
                target = maps.get(normalise_header(key)) or field_for(key)
                if target is None:
                    if key not in table.ignored_columns:
                        table.ignored_columns.append(key)
                    continue
                if target != IGNORED:
                    cells[target] = Cell(key, value)
            if len(table.rows) >= MAX_ROWS:
                raise ImportFileError(f"{path.name} has more than {MAX_ROWS:,} lines; split it")
            table.rows.append(RawRow(number, cells, Layout.SPREADSHEET, original=tuple(data.items())))
            if progress is not None and len(table.rows) % 1000 == 0:
                progress(len(table.rows))
