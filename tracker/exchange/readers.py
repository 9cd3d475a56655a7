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
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tracker.errors import UsageError
from tracker.exchange.fields import IGNORED, Layout, field_for, normalise_header
from tracker.exchange.table import (
    HEADER_SCAN,
    MAX_CELL,
    MAX_COLUMNS,
    MAX_ROWS,
    Cell,
    ImportFileError,
    Progress,
    RawRow,
    Table,
    no_header,
    original_text,
    tabulate,
)

__all__ = [
    "HEADER_SCAN",
    "MAX_CELL",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Cell",
    "ImportFileError",
    "Progress",
    "RawRow",
    "Table",
    "original_text",
    "read_table",
]

MAX_BYTES = 512 * 1024 * 1024
"""Largest file read (bytes): 100,000 filings with their history fit many times over."""
MAX_JSON_LINE = 4 * 1024 * 1024
MAX_UNZIPPED = 2 * 1024 * 1024 * 1024
"""Uncompressed size of an XLSX workbook's parts (bytes); more is a ZIP bomb, not a portfolio."""
SNIFF = 65536

FORMATS = ("csv", "xlsx", "jsonl")


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

        tabulate(grid(), table, maps, None, progress)
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
            if tabulate(_sheet_grid(path, sheet), table, maps, sheet.title, progress, missing_ok=True):
                found = True
        if not found:
            raise ImportFileError(no_header(path.name, []))
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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"key {twice!r} appears twice")
    return found


_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def _read_jsonl(path: Path, table: Table, maps: dict[str, str], progress: Progress | None) -> None:
    table.encoding = "utf-8"
    targets: dict[str, str | None] = {}  # key → field, worked out once per distinct key
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
                data = _JSON.decode(text)
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
                if key in targets:
                    target = targets[key]
                else:
                    target = targets[key] = maps.get(normalise_header(key)) or field_for(key)
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
