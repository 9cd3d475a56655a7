"""Validate raw rows into import records with the CLI's own rules, or report why not (row, column, value, reason).

Rules (the same as `beian org add`, `add`, `advance` and `apply`): the 统一社会信用代码 check character; kind, stage,
role, algorithm type and event names in English or Chinese; filing numbers read as pasted, in the right format for
the kind, with type digits matching the algorithm type; history in time order and along transitions the machine
allows; the database's length limits; no duplicate reference, number or organisation + name within the file.
Pure: no database. Matching against the database is the service's business.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import states
from states import AlgorithmType, Kind, Stage
from tracker.exchange.checks import (
    LIMITS,
    RowCheck,
    cell_text,
    credit_code_of,
    description_of,
    region_cell,
    returns_of,
    type_from_number,
    upstream_number_of,
)
from tracker.exchange.fields import Layout
from tracker.exchange.history import history_end, history_number, read_history
from tracker.exchange.readers import RawRow
from tracker.exchange.records import HistoryEntry, ImportRecord, Problem
from tracker.exchange.values import EARLIEST, LATEST, clean_name, name_key, on_day, parse_day, parse_yes_no

__all__ = [
    "EARLIEST",
    "LATEST",
    "HistoryEntry",
    "ImportRecord",
    "Problem",
    "clean_name",
    "name_key",
    "on_day",
    "parse_day",
    "validate_row",
    "validate_rows",
]
_parse_stage = lru_cache(maxsize=512)(states.parse_stage)
_parse_kind = lru_cache(maxsize=512)(states.parse_kind)
_parse_role = lru_cache(maxsize=512)(states.parse_role)
_parse_type = lru_cache(maxsize=512)(states.parse_algorithm_type)


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
    check = RowCheck(raw)
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
    credit_code = credit_code_of(check)
    region = region_cell(check)
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
        algorithm_type = type_from_number(number)  # None: not given, the default applies on creation only
    if kind is Kind.ENTITY:
        algorithm_type, role = None, None
    history = read_history(check, kind, algorithm_type)
    if history:
        stage = history_end(check, history, stage)
        recorded = history_number(history)
        if number and recorded and states.filing_number_key(number) != states.filing_number_key(recorded):
            check.fail("filing_number", number, f"the history's approval recorded {recorded}")
        number = number or recorded
        if kind is not Kind.ENTITY and algorithm_type is None:
            algorithm_type = type_from_number(number)
    stage = stage or (Stage.APPROVED if number else states.initial_stage(kind))
    _stage_fits(check, kind, stage, number, algorithm_type, history)
    if number and kind is Kind.ALGORITHM and not history:
        problem = states.check_filing_number(kind, number, algorithm_type or type_from_number(number))
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
        opinion = parse_yes_no(opinion_cell.value)
        if opinion is None:
            check.fail("public_opinion", opinion_cell.value, "expected yes/no (是/否)")
    upstream_model = check.text("upstream_model", limit=LIMITS["upstream_model"])
    upstream_number = upstream_number_of(check)
    returns = returns_of(check)
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
        description=description_of(check),
        returned_from=returned_from,
        returns=returns,
        history=history,
        notes=tuple(check.notes),
        sheet=raw.sheet,
        columns={name: c.column for name, c in raw.cells.items()},
    )
    return record, []


def _kind_for_layout(raw: RawRow) -> Kind:
    if raw.layout is Layout.CAC_GENAI:
        return Kind.GENAI_REGISTRATION if raw.series == "registration" else Kind.GENAI_FILING
    return Kind.ALGORITHM


def _number(check: RowCheck, kind: Kind | None, raw: RawRow) -> tuple[str | None, Kind | None]:
    cell = check.cell("filing_number")
    if cell is None or cell.formula or cell.value in (None, ""):
        return None, None
    typed = cell_text(cell)
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


def _stage_fits(
    check: RowCheck,
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
