"""Validate raw rows into import records with the CLI's own rules, or report why not (row, column, value, reason).

Rules (the same as `beian org add`, `add`, `advance` and `apply`): the 统一社会信用代码 check character; kind, stage,
role, algorithm type and event names in English or Chinese; filing numbers read as pasted, in the right format for
the kind, with type digits matching the algorithm type; history in time order and along transitions the machine
allows; the database's length limits; no duplicate reference, number or organisation + name within the file.
Pure: no database. Matching against the database is the service's business.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import states
from states import AlgorithmType, Event, GuardContext, Kind, Role, Stage, UnknownName
from tracker.exchange.fields import Layout
from tracker.exchange.readers import Cell, RawRow
from tracker.identity import check_credit_code, normalise_credit_code

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
"""Dates outside this window are typing mistakes, not filing dates."""
LIMITS = {
    "title": 300,
    "organisation": 200,
    "upstream_model": 300,
    "description": 20_000,
    "ref": 20,
    "actor": 120,
}
"""Lengths the database holds (characters), checked before anything is written, the same on SQLite and PostgreSQL."""
BEIJING = timedelta(hours=8)
HISTORY_SOURCE = "import-history"
"""History source of events read from a file without a source of their own: real events, timed by forecasts."""
_LIST_TIME = time(1, 0)  # 09:00 Beijing: a list's date becomes a time of that day in Beijing

# GB/T 2260 province-level codes, for the 属地 column of the generative-AI list (北京, 广东省 …)
PROVINCES = {
    "北京": "110000", "天津": "120000", "河北": "130000", "山西": "140000", "内蒙古": "150000",
    "辽宁": "210000", "吉林": "220000", "黑龙江": "230000", "上海": "310000", "江苏": "320000",
    "浙江": "330000", "安徽": "340000", "福建": "350000", "江西": "360000", "山东": "370000",
    "河南": "410000", "湖北": "420000", "湖南": "430000", "广东": "440000", "广西": "450000",
    "海南": "460000", "重庆": "500000", "四川": "510000", "贵州": "520000", "云南": "530000",
    "西藏": "540000", "陕西": "610000", "甘肃": "620000", "青海": "630000", "宁夏": "640000",
    "新疆": "650000",
}  # fmt: skip
CENTRAL = ("国资委", "中央企业", "央企")
"""属地 of central state-owned enterprises (numbers `ZhongYangQiYe-…`): no region code."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row (or one of its cells) cannot be imported."""

    row: int
    column: str
    value: str
    reason: str
    sheet: str | None = None

    @property
    def where(self) -> str:
        """`row 12, 备案编号` (with the sheet when there are several)."""
        base = f"sheet {self.sheet}, row {self.row}" if self.sheet else f"row {self.row}"
        return f"{base}, {self.column}" if self.column else base


@dataclass(slots=True)
class HistoryEntry:
    """One event of an imported filing's history, as replayed on the machine (times aware UTC)."""

    event: Event
    from_stage: Stage
    to_stage: Stage
    effective_at: datetime
    recorded_at: datetime | None = None
    actor: str | None = None
    source: str = "import"
    """`import` for a fact the import records (never timed); a history row keeps its own source."""
    note: str | None = None
    reason: str | None = None
    filing_number: str | None = None


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One valid row: an organisation and a filing, with either a history or one stage to record as a fact."""

    row: int
    where: str
    layout: Layout
    kind: Kind
    title: str
    organisation: str
    stage: Stage
    ref: str | None = None
    credit_code: str | None = None
    region: str | None = None
    algorithm_type: AlgorithmType | None = None
    role: Role | None = None
    filing_number: str | None = None
    approved_on: date | None = None
    launch_date: date | None = None
    change_date: date | None = None
    termination_date: date | None = None
    public_opinion: bool | None = None
    upstream_model: str | None = None
    upstream_filing_number: str | None = None
    description: str | None = None
    returned_from: Stage | None = None
    returns: int | None = None
    history: tuple[HistoryEntry, ...] = ()
    notes: tuple[str, ...] = ()
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict, compare=False)
    """Field → the column's name as written in the file (for reports)."""

    @property
    def number_key(self) -> str | None:
        """The filing number's uniqueness key (case-insensitive), if it has one."""
        return _number_key(self.filing_number) if self.filing_number else None

    @property
    def name_key(self) -> tuple[str, str, str, str]:
        """(organisation, title, kind, role) as compared: names NFKC, case-folded, spaces collapsed.

        One algorithm filed in both roles (服务提供者 and 服务技术支持者) is two filings with two numbers.
        """
        role = self.role.value if self.role else ""
        return name_key(self.organisation), name_key(self.title), self.kind.value, role


# Invisible format characters (Unicode category Cf: zero-width spaces, joiners, direction marks, BOM, soft hyphen)
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _number_key(number: str) -> str:
    # stored numbers are ASCII apart from 网信算备…号: lower() is the key (states.filing_number_key)
    return number.lower() if " " not in number else states.filing_number_key(number)


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """A name as compared for matching: NFKC, case-folded, invisible characters gone, spaces collapsed."""
    if text.isascii():
        folded = text.lower()
    else:
        folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def clean_name(text: str) -> str:
    """A name as stored: as typed, without invisible characters, spaces collapsed and trimmed."""
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


class _RowCheck:
    """Collects the problems of one row."""

    def __init__(self, row: RawRow) -> None:
        self.row = row
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.failed_fields: set[str] = set()

    def cell(self, name: str) -> Cell | None:
        return self.row.cells.get(name)

    def text(self, name: str, *, limit: int | None = None, multiline: bool = False) -> str | None:
        cell = self.cell(name)
        if cell is None or cell.formula:
            return None
        value = cell.value
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        if isinstance(value, list | dict):
            self.fail(name, json.dumps(value, ensure_ascii=False), "expected text, not a JSON list or object")
            return None
        text = unescape_cell(str(value))
        if _CONTROL.search(text):
            self.fail(name, text, "contains control characters")
            return None
        text = text.strip() if multiline else clean_name(text)
        if limit is not None and len(text) > limit:
            self.fail(name, text, f"is {len(text)} characters long; at most {limit} are kept")
            return None
        return text or None

    def failed(self, name: str) -> bool:
        """Whether a problem was already reported for this field."""
        return name in self.failed_fields

    def fail(self, name: str, value: Any, reason: str) -> None:
        self.failed_fields.add(name)
        cell = self.cell(name)
        column = cell.column if cell is not None else name
        shown = value if isinstance(value, str) else ("" if value is None else str(value))
        if len(shown) > 120:
            shown = shown[:120] + "…"
        self.problems.append(Problem(self.row.number, column, shown, reason, self.row.sheet))

    def named(self, name: str, parse: Any) -> Any:
        text = self.text(name)
        if text is None:
            return None
        if not text.isascii():
            text = re.sub(r"[（(]深度合成[)）]", "", unicodedata.normalize("NFKC", text))
        try:
            return parse(text)
        except UnknownName as exc:
            self.fail(name, text, str(exc))
            return None

    def day(self, name: str) -> date | None:
        cell = self.cell(name)
        if cell is None or cell.formula or cell.value in (None, ""):
            return None
        found = parse_day(cell.value)
        if found is None:
            self.fail(name, cell.value, "is not a date (write 2024-05-13, 2024/5/13 or 2024年5月13日)")
            return None
        if not EARLIEST <= found <= LATEST:
            self.fail(name, cell.value, f"is outside {EARLIEST.year}–{LATEST.year}; a typing mistake?")
            return None
        return found


FORMULA_STARTS = ("=", "+", "-", "@")


def unescape_cell(text: str) -> str:
    """Undo `tracker.exchange.writers.escape_cell`: a text cell that began with =, +, - or @ got a leading '."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


_parse_event = lru_cache(maxsize=512)(states.parse_event)
_parse_stage = lru_cache(maxsize=512)(states.parse_stage)
_parse_kind = lru_cache(maxsize=512)(states.parse_kind)
_parse_role = lru_cache(maxsize=512)(states.parse_role)
_parse_type = lru_cache(maxsize=512)(states.parse_algorithm_type)


def parse_day(value: Any) -> date | None:
    """A calendar date from an XLSX date, ISO text, 2024/5/13, 2024.05.13, 20240513 or 2024年5月13日; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text)
    if match is None:
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_moment(value: Any) -> datetime | None:
    """An aware UTC time from ISO text (a time without zone is Beijing time; a bare date is 09:00 Beijing)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            day = parse_day(text)
            if day is None:
                return None
            return on_day(day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC) - BEIJING
    return moment.astimezone(UTC)


def on_day(day: date) -> datetime:
    """A Beijing calendar date as the UTC time the import records for it (09:00 Beijing)."""
    return datetime.combine(day, _LIST_TIME, tzinfo=UTC)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if text in ("true", "yes", "y", "1", "是", "有", "具有"):
        return True
    if text in ("false", "no", "n", "0", "否", "无", "不具有"):
        return False
    return None


def region_of(text: str) -> tuple[str | None, str | None]:
    """(6-digit region code or None, a problem or None) for a 属地/region cell."""
    value = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d{6}", value):
        if value == "000000":
            return None, "000000 is not an administrative code"
        return value, None
    if any(value.startswith(c) for c in CENTRAL):
        return None, None
    for name, code in PROVINCES.items():
        if value.startswith(name):
            return code, None
    return None, "is neither a 6-digit administrative code (e.g. 110108) nor a province (北京, 广东省 …)"


def validate_rows(
    rows: Iterable[RawRow], *, list_date: date | None = None
) -> tuple[list[ImportRecord], list[Problem]]:
    """Every raw row as a record, or its problems; duplicates within the file are problems of the later row.

    `list_date` is the date to record for approved rows of a CAC list without a date column (`--list-date`).
    """
    records: list[ImportRecord] = []
    problems: list[Problem] = []
    by_ref: dict[str, int] = {}
    by_number: dict[str, int] = {}
    by_name: dict[tuple[str, str, str, str], int] = {}
    for raw in rows:
        record, found = validate_row(raw, list_date=list_date)
        if record is not None:
            duplicate = _duplicate(record, by_ref, by_number, by_name)
            if duplicate:
                found.append(duplicate)
        if found:
            problems.extend(found)
            continue
        assert record is not None
        if record.ref:
            by_ref[record.ref.upper()] = record.row
        if record.number_key:
            by_number[record.number_key] = record.row
        by_name[record.name_key] = record.row
        records.append(record)
    return records, problems


def _duplicate(
    record: ImportRecord,
    by_ref: dict[str, int],
    by_number: dict[str, int],
    by_name: dict[tuple[str, str, str, str], int],
) -> Problem | None:
    if record.ref and record.ref.upper() in by_ref:
        first = by_ref[record.ref.upper()]
        return Problem(
            record.row,
            record.columns.get("ref", "ref"),
            record.ref,
            f"duplicate reference: row {first} has it too",
            record.sheet,
        )
    if record.number_key and record.number_key in by_number:
        first = by_number[record.number_key]
        return Problem(
            record.row,
            "filing_number",
            record.filing_number or "",
            f"duplicate filing number: row {first} has it too",
            record.sheet,
        )
    if record.name_key in by_name:
        first = by_name[record.name_key]
        return Problem(
            record.row,
            "title",
            record.title,
            f"row {first} has the same organisation and name (a duplicate row?)",
            record.sheet,
        )
    return None


def validate_row(raw: RawRow, *, list_date: date | None = None) -> tuple[ImportRecord | None, list[Problem]]:
    """One raw row as a record, or the problems found in it (every problem, not only the first)."""
    check = _RowCheck(raw)
    for cell in raw.cells.values():
        if cell.formula:
            reason = (
                "is a formula; formulas are not evaluated: paste the value instead (Paste Special → Values)"
            )
            check.problems.append(Problem(raw.number, cell.column, cell.formula, reason, raw.sheet))
    ref = check.text("ref", limit=LIMITS["ref"])
    if ref is not None:
        ref = unicodedata.normalize("NFKC", ref).upper()
    title = check.text("title", limit=LIMITS["title"])
    organisation = check.text("organisation", limit=LIMITS["organisation"])
    title_cell = check.cell("title")
    if title is None and not (title_cell and title_cell.formula) and not check.failed("title"):
        check.fail("title", "", "a filing needs a name (算法名称/模型名称)")
    if organisation is None:
        check.fail("organisation", "", "a filing needs its organisation (主体名称/备案单位)")
    credit_code = _credit_code(check)
    region = _region(check)
    kind = check.named("kind", _parse_kind)
    stage = check.named("stage", _parse_stage)
    algorithm_type = check.named("algorithm_type", _parse_type)
    role = check.named("role", _parse_role)
    returned_from = check.named("returned_from", _parse_stage)
    layout = raw.layout
    number, number_kind = _number(check, kind, raw)
    kind = kind or number_kind or _kind_for_layout(raw)
    if layout is Layout.CAC_DEEP_SYNTHESIS:
        algorithm_type = algorithm_type or AlgorithmType.GENERATIVE
    if layout is not Layout.SPREADSHEET:
        stage = stage or Stage.APPROVED
    if kind is not Kind.ENTITY and algorithm_type is None:
        algorithm_type = _type_from_number(number)  # None: not given, the default applies on creation only
    if kind is Kind.ENTITY:
        algorithm_type, role = None, None
    history = _history(check, kind, algorithm_type)
    if history:
        stage = _history_end(check, history, stage)
        recorded = history_number(history)
        if number and recorded and states.filing_number_key(number) != states.filing_number_key(recorded):
            check.fail("filing_number", number, f"the history's approval recorded {recorded}")
        number = number or recorded
        if kind is not Kind.ENTITY and algorithm_type is None:
            algorithm_type = _type_from_number(number)
    stage = stage or (Stage.APPROVED if number else states.initial_stage(kind))
    _stage_fits(check, kind, stage, number, algorithm_type, history)
    if number and kind is Kind.ALGORITHM and not history:
        problem = states.check_filing_number(kind, number, algorithm_type or _type_from_number(number))
        if problem:
            check.fail("filing_number", number, problem)
    approved_on = check.day("approved_on")
    if approved_on is None and stage is Stage.APPROVED and not history and layout is not Layout.SPREADSHEET:
        approved_on = list_date or raw.list_date
        if approved_on is None:
            check.notes.append("no date in the list: the import date is recorded (give --list-date)")
    launch_date, change_date = check.day("launch_date"), check.day("change_date")
    termination_date = check.day("termination_date")
    if launch_date and termination_date and termination_date < launch_date:
        check.fail("termination_date", termination_date.isoformat(), "is before the launch date")
    opinion = None
    opinion_cell = check.cell("public_opinion")
    if opinion_cell is not None and opinion_cell.value not in (None, "") and not opinion_cell.formula:
        opinion = _bool(opinion_cell.value)
        if opinion is None:
            check.fail("public_opinion", opinion_cell.value, "expected yes/no (是/否)")
    upstream_model = check.text("upstream_model", limit=LIMITS["upstream_model"])
    upstream_number = _upstream(check)
    returns = _returns(check)
    if check.problems or title is None or organisation is None or kind is None:
        return None, check.problems
    if region is None and number:
        match = states.ALGO_FILING_NO.match(number)
        region = match["region"] if match else None
    record = ImportRecord(
        row=raw.number,
        where=raw.where,
        layout=layout,
        kind=kind,
        title=title,
        organisation=organisation,
        stage=stage,
        ref=ref,
        credit_code=credit_code,
        region=region,
        algorithm_type=algorithm_type,
        role=role,
        filing_number=number,
        approved_on=approved_on,
        launch_date=launch_date,
        change_date=change_date,
        termination_date=termination_date,
        public_opinion=opinion,
        upstream_model=upstream_model,
        upstream_filing_number=upstream_number,
        description=_description(check),
        returned_from=returned_from,
        returns=returns,
        history=history,
        notes=tuple(check.notes),
        sheet=raw.sheet,
        columns={name: c.column for name, c in raw.cells.items()},
    )
    return record, []


def _plain(cell: Cell) -> str:
    if cell.formula:
        return cell.formula
    if cell.value is None:
        return ""
    if isinstance(cell.value, list | dict):
        return json.dumps(cell.value, ensure_ascii=False)
    if isinstance(cell.value, datetime | date):
        return cell.value.isoformat()
    return str(cell.value)


def _credit_code(check: _RowCheck) -> str | None:
    text = check.text("credit_code")
    if text is None:
        return None
    problem = check_credit_code(text)
    if problem:
        check.fail("credit_code", text, problem)
        return None
    return normalise_credit_code(text)


def _region(check: _RowCheck) -> str | None:
    text = check.text("region")
    if text is None:
        return None
    code, problem = region_of(text)
    if problem:
        check.fail("region", text, problem)
    return code


def _kind_for_layout(raw: RawRow) -> Kind:
    if raw.layout is Layout.CAC_GENAI:
        return Kind.GENAI_REGISTRATION if raw.series == "registration" else Kind.GENAI_FILING
    return Kind.ALGORITHM


def _number(check: _RowCheck, kind: Kind | None, raw: RawRow) -> tuple[str | None, Kind | None]:
    cell = check.cell("filing_number")
    if cell is None or cell.formula or cell.value in (None, ""):
        return None, None
    typed = _plain(cell)
    expected = kind
    if expected is None and raw.layout is Layout.CAC_GENAI and raw.series == "registration":
        expected = Kind.GENAI_REGISTRATION
    if expected is None and raw.layout in (Layout.CAC_ALGORITHM, Layout.CAC_DEEP_SYNTHESIS):
        expected = Kind.ALGORITHM
    if expected is Kind.ENTITY:
        check.fail("filing_number", typed, "an entity filing (主体备案) has no number of its own")
        return None, None
    try:
        found = states.extract_filing_number(typed, expected)
    except states.FilingNumberError as exc:
        check.fail("filing_number", typed, str(exc))
        return None, None
    check.notes.extend(f"filing number: {note}" for note in (*found.notes, *found.warnings))
    return found.number, found.kind


def _type_from_number(number: str | None) -> AlgorithmType | None:
    match = states.ALGO_FILING_NO.match(number or "")
    return AlgorithmType.from_code(match["type"]) if match else None


def _upstream(check: _RowCheck) -> str | None:
    text = check.text("upstream_filing_number")
    if text is None:
        return None
    try:
        number = states.extract_filing_number(text, Kind.ALGORITHM).number
    except states.FilingNumberError as exc:
        check.fail("upstream_filing_number", text, str(exc))
        return None
    if not states.ALGO_FILING_NO.match(number):
        check.fail(
            "upstream_filing_number", text, states.check_filing_number(Kind.ALGORITHM, number, None) or ""
        )
        return None
    return number


def _returns(check: _RowCheck) -> int | None:
    cell = check.cell("returns")
    if cell is None or cell.value in (None, "") or cell.formula:
        return None
    try:
        value = int(str(cell.value).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 1000:
        check.fail("returns", cell.value, "expected a count of returns (0 or more)")
        return None
    return value


def _description(check: _RowCheck) -> str | None:
    parts = []
    base = check.text("description", limit=LIMITS["description"], multiline=True)
    if base:
        parts.append(base)
    for name, label in (("product", "应用产品"), ("purpose", "主要用途"), ("note", "备注")):
        text = check.text(name, limit=2000, multiline=True)
        if text and text not in ("/", "-", "—", "无"):
            parts.append(f"{label}：{text}")
    joined = "\n".join(parts)
    return joined[: LIMITS["description"]] or None


def _stage_fits(
    check: _RowCheck,
    kind: Kind,
    stage: Stage,
    number: str | None,
    algorithm_type: AlgorithmType | None,
    history: tuple[HistoryEntry, ...],
) -> None:
    if stage not in states.stages_of(kind):
        check.fail(
            "stage", stage.value, f"{states.label(stage)} is not a stage of a {states.label(kind)} filing"
        )
        return
    live = stage in (
        Stage.APPROVED,
        Stage.CHANGE_REVIEW,
        Stage.CANCELLATION_REVIEW,
        Stage.CANCELLED,
        Stage.REVOKED,
    )
    if number and not live and not history:
        check.fail(
            "filing_number",
            number,
            f"the stage is {states.label(stage)}, but numbers are issued only on approval",
        )
    if live and not number and kind is not Kind.ENTITY and not history and not check.failed("filing_number"):
        check.fail("filing_number", "", f"an approved {states.label(kind)} filing needs its number")


def _history(check: _RowCheck, kind: Kind, algorithm_type: AlgorithmType | None) -> tuple[HistoryEntry, ...]:
    cell = check.cell("history")
    if cell is None or cell.value in (None, "", []) or cell.formula:
        return ()
    value = cell.value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            check.fail("history", value, f"is not a JSON list of events ({exc})")
            return ()
    if not isinstance(value, list):
        check.fail("history", cell.value, "expected a list of events")
        return ()
    if len(value) > 500:
        check.fail("history", f"{len(value)} events", "more than 500 events on one filing")
        return ()
    stage = states.initial_stage(kind)
    returned_from: Stage | None = None
    previous: datetime | None = None
    entries: list[HistoryEntry] = []
    for index, item in enumerate(value, start=1):
        where = f"event {index}"
        if not isinstance(item, dict) or "event" not in item:
            check.fail(
                "history", json.dumps(item, ensure_ascii=False), f"{where}: expected an object with an event"
            )
            return ()
        try:
            event = _parse_event(str(item["event"]))
        except UnknownName as exc:
            check.fail("history", str(item["event"]), f"{where}: {exc}")
            return ()
        at = parse_moment(item.get("effective_at") or item.get("at") or "")
        if at is None:
            check.fail("history", str(item.get("effective_at", "")), f"{where}: no valid effective_at time")
            return ()
        if not EARLIEST <= at.date() <= LATEST:
            check.fail("history", at.isoformat(), f"{where}: outside {EARLIEST.year}–{LATEST.year}")
            return ()
        if previous is not None and at < previous:
            check.fail(
                "history",
                at.isoformat(),
                f"{where} ({event.value}) is before the previous event ({previous.isoformat()}): history goes backwards",
            )
            return ()
        reason = _opt(item.get("reason"))
        typed_number = _opt(item.get("filing_number"))
        number = typed_number
        if event is Event.APPROVE and typed_number and kind is not Kind.ENTITY:
            try:
                number = states.extract_filing_number(typed_number, kind).number
            except states.FilingNumberError as exc:
                check.fail("history", typed_number, f"{where}: {exc}")
                return ()
        algo = algorithm_type or _type_from_number(number) or AlgorithmType.GENERATIVE
        dest, refusals = _replay(
            kind, stage, returned_from, algo, event, bool(reason and reason.strip()), number
        )
        if dest is None:
            check.fail("history", event.value, f"{where}: {'; '.join(refusals)}")
            return ()
        recorded = parse_moment(item["recorded_at"]) if item.get("recorded_at") else None
        entries.append(
            HistoryEntry(
                event=event,
                from_stage=stage,
                to_stage=dest,
                effective_at=at,
                recorded_at=recorded,
                actor=(_opt(item.get("actor") or item.get("by")) or None),
                source=(_opt(item.get("source")) or HISTORY_SOURCE)[:16],
                note=_opt(item.get("note")),
                reason=reason,
                filing_number=number if event is Event.APPROVE else None,
            )
        )
        if event is Event.RETURN_FOR_REVISION:
            returned_from = stage
        stage, previous = dest, at
    return tuple(entries)


def _replay(
    kind: Kind,
    stage: Stage,
    returned_from: Stage | None,
    algorithm_type: AlgorithmType,
    event: Event,
    reason_given: bool,
    number: str | None,
) -> tuple[Stage | None, tuple[str, ...]]:
    """Where the machine takes `event` from `stage` (with the CLI's guards), or None and the refusals.

    Outcomes are cached by everything the guards look at, so replaying 100,000 histories evaluates each
    distinct step once; an approval's number is checked on its own (its format and type digits).
    """
    if event is Event.APPROVE and kind is not Kind.ENTITY:
        problem = states.check_filing_number(kind, number, algorithm_type)
        if problem:
            return None, (problem,)
        number = "valid"
    return _replay_cached(kind, stage, returned_from, algorithm_type, event, reason_given, number is not None)


@lru_cache(maxsize=4096)
def _replay_cached(
    kind: Kind,
    stage: Stage,
    returned_from: Stage | None,
    algorithm_type: AlgorithmType,
    event: Event,
    reason_given: bool,
    has_number: bool,
) -> tuple[Stage | None, tuple[str, ...]]:
    numbers = {
        Kind.ALGORITHM: "网信算备110108823483901230031号",
        Kind.GENAI_FILING: "Beijing-YunQue-20230821",
    }
    sample = None
    if has_number:
        sample = numbers.get(kind, "Guangdong-Plaud-20251229S0027")
        if kind is Kind.ALGORITHM:
            sample = f"网信算备1101088234839{algorithm_type.code}230031号"
    context = GuardContext(
        kind=kind,
        stage=stage,
        returned_from=returned_from,
        algorithm_type=algorithm_type,
        entity_approved=True,
        filing_number=sample,
        reason="given" if reason_given else None,
    )
    outcome = states.evaluate(context, event)
    return (outcome.dest if outcome.allowed else None), tuple(outcome.refusals)


def _opt(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:20_000] or None


def _history_end(check: _RowCheck, history: tuple[HistoryEntry, ...], stage: Stage | None) -> Stage:
    end = history[-1].to_stage
    if stage is not None and stage is not end:
        check.fail(
            "stage", stage.value, f"the history ends in {states.label(end)}, not {states.label(stage)}"
        )
    return end


def history_number(history: tuple[HistoryEntry, ...]) -> str | None:
    """The filing number the history's latest approval recorded."""
    for entry in reversed(history):
        if entry.filing_number:
            return entry.filing_number
    return None
