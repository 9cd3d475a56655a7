"""Checking the cells of one row: text (control characters, lengths), names in either language, dates, and the
fields with rules of their own (credit code, region, upstream number, returns, description). Pure.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any

import states
from states import AlgorithmType, Kind, UnknownName
from tracker.exchange.readers import Cell, RawRow
from tracker.exchange.records import Problem
from tracker.exchange.values import EARLIEST, LATEST, clean_name, parse_day, region_of, unescape_cell
from tracker.filings.identity import check_credit_code, normalise_credit_code

LIMITS = {
    "title": 300,
    "organisation": 200,
    "upstream_model": 300,
    "description": 20_000,
    "ref": 20,
    "actor": 120,
}

"""Lengths the database holds (characters), checked before anything is written, the same on SQLite and PostgreSQL."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class RowCheck:
    """Collects the problems of one row."""

    def __init__(self, row: RawRow) -> None:
        self.row = row
        self.cells = row.cells
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.failed_fields: set[str] = set()

    def cell(self, name: str) -> Cell | None:
        return self.cells.get(name)

    def text(self, name: str, *, limit: int | None = None, multiline: bool = False) -> str | None:
        cell = self.cells.get(name)
        if cell is None or cell.formula:
            return None
        value = cell.value
        if value is None:
            return None
        if type(value) is not str:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, datetime | date):
                value = value.isoformat()
            if isinstance(value, list | dict):
                self.fail(
                    name, json.dumps(value, ensure_ascii=False), "expected text, not a JSON list or object"
                )
                return None
            value = str(value)
        text = unescape_cell(value) if value[:1] == "'" else value
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


def cell_text(cell: Cell) -> str:
    if cell.formula:
        return cell.formula
    if cell.value is None:
        return ""
    if isinstance(cell.value, list | dict):
        return json.dumps(cell.value, ensure_ascii=False)
    if isinstance(cell.value, datetime | date):
        return cell.value.isoformat()
    return str(cell.value)


def credit_code_of(check: RowCheck) -> str | None:
    text = check.text("credit_code")
    if text is None:
        return None
    problem = check_credit_code(text)
    if problem:
        check.fail("credit_code", text, problem)
        return None
    return normalise_credit_code(text)


def region_cell(check: RowCheck) -> str | None:
    text = check.text("region")
    if text is None:
        return None
    code, problem = region_of(text)
    if problem:
        check.fail("region", text, problem)
    return code


def type_from_number(number: str | None) -> AlgorithmType | None:
    match = states.ALGO_FILING_NO.match(number or "")
    return AlgorithmType.from_code(match["type"]) if match else None


def upstream_number_of(check: RowCheck) -> str | None:
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


def returns_of(check: RowCheck) -> int | None:
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


def description_of(check: RowCheck) -> str | None:
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
