"""The listing queries of the filing slice: filter, sort and window filings, count them, and render them as
JSON in SQLite for `beian list --json`. Part of the filing repository (`tracker.filings.repo` re-exports these).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import LargeBinary, Select, and_, case, cast, func, or_
from sqlmodel import Session, col, select

import states
from states import AlgorithmType, Kind, Role, Stage
from tracker.domain import WAITING_ON, FilingQuery, inputs
from tracker.domain.json import FILING_KEYS
from tracker.store.fold import fold
from tracker.store.tables import FilingRow, OrganisationRow


def _in_order(column: Any, members: Sequence[Any]) -> Any:
    """An enum column as its position in `members` (process order, not the alphabet of the English keys)."""
    return case({m.value: i for i, m in enumerate(members)}, value=column, else_=len(members))


def _sort_columns() -> dict[str, Any]:
    return {
        # pinyin keys; rows written by older code without a key sort by their lower-cased text
        "organisation": func.coalesce(OrganisationRow.name_key, func.lower(OrganisationRow.name)),
        "title": func.coalesce(FilingRow.title_key, func.lower(FilingRow.title)),
        "kind": _in_order(col(FilingRow.kind), list(Kind)),
        "stage": _in_order(col(FilingRow.stage), list(Stage)),
        "stage_entered_at": col(FilingRow.stage_entered_at),
        "returns": col(FilingRow.returns),
        "filing_number": col(FilingRow.filing_number),
        "updated_at": col(FilingRow.updated_at),
    }


_NULLABLE_SORTS = frozenset({"filing_number"})
"""Sorts whose column can be empty: empty values go last whichever the direction."""


def _filtered(
    statement: Select[Any], query: FilingQuery, due_before: date | None = None, *, with_stages: bool = True
) -> Select[Any]:
    """The query's filters; `due_before` (the deadline filters as a bound on the stored next due date, see
    `tracker.rules.next_due`) keeps only filings with a running deadline due before that Beijing day."""
    if due_before is not None:
        statement = statement.where(col(FilingRow.next_due) < due_before)
    if with_stages and query.stages:
        statement = statement.where(col(FilingRow.stage).in_([s.value for s in query.stages]))
    if query.waiting_on:
        statement = statement.where(col(FilingRow.stage).in_([s.value for s in WAITING_ON[query.waiting_on]]))
    if query.kinds:
        statement = statement.where(col(FilingRow.kind).in_([k.value for k in query.kinds]))
    if query.ids:
        statement = statement.where(col(FilingRow.id).in_(query.ids))
    if query.organisation:
        how, value = inputs.parse_org_key(query.organisation)
        if how == "id":
            statement = statement.where(col(FilingRow.organisation_id) == value)
        else:
            statement = statement.where(_organisation_matches(str(value)))
    if query.text:
        needle = inputs.parse_search(query.text).strip()
        if needle:
            statement = statement.where(
                or_(
                    fold(FilingRow.title).contains(needle, autoescape=True),
                    func.lower(FilingRow.ref).contains(needle, autoescape=True),
                    fold(OrganisationRow.name).contains(needle, autoescape=True),
                    fold(func.coalesce(FilingRow.filing_number, "")).contains(needle, autoescape=True),
                )
            )
    return statement


def _organisation_matches(text: str) -> Any:
    """Organisations whose name contains `text` (compared by `fold`) or whose credit code is `text`."""
    from tracker.filings.identity import normalise_credit_code

    return or_(
        fold(OrganisationRow.name).contains(inputs.fold(text), autoescape=True),
        col(OrganisationRow.credit_code) == normalise_credit_code(text),
    )


def organisation_filter_matches(session: Session, organisation: str) -> bool:
    """Whether `list --org ORGANISATION` names at least one organisation (id, part of a name, credit code).

    Raises `UsageError` (empty), `NotFound` (an id no database can hold).
    """
    how, value = inputs.parse_org_key(organisation)
    statement = select(OrganisationRow.id)
    if how == "id":
        statement = statement.where(OrganisationRow.id == value)
    else:
        statement = statement.where(_organisation_matches(str(value)))
    return session.exec(statement.limit(1)).first() is not None


def _order_keys(query: FilingQuery) -> list[Any]:
    """ORDER BY terms of the query's sort.

    `deadline`: the stored next due date (`tracker.rules.next_due`), the filer's duty before the regulator's on
    the same day, filings without a running deadline last in either direction, ties in reference order.
    """
    if query.sort == "deadline":
        due, regulator = col(FilingRow.next_due), col(FilingRow.next_due_regulator)
        direction = (lambda k: k.desc()) if query.descending else (lambda k: k.asc())
        return [
            case((due.is_(None), 1), else_=0).asc(),
            direction(due),
            direction(regulator),
            col(FilingRow.kind).asc(),
            col(FilingRow.seq).asc(),
        ]
    if query.sort == "ref":
        keys = [col(FilingRow.kind), col(FilingRow.seq)]
    else:
        keys = [_sort_columns()[query.sort], col(FilingRow.id)]
        if (
            query.sort == "organisation"
        ):  # one organisation's filings together, in `ix_organisation_sort` order
            keys.insert(1, col(OrganisationRow.id))
    ordered = [k.desc() if query.descending else k.asc() for k in keys]
    if query.sort in _NULLABLE_SORTS:
        ordered.insert(0, case((keys[0].is_(None), 1), else_=0).asc())
    return ordered


def _ordered(statement: Select[Any], query: FilingQuery) -> Select[Any]:
    """ORDER BY the query's sort (`_order_keys`)."""
    return statement.order_by(*_order_keys(query))


FILING_COLUMNS = tuple(FilingRow.__table__.columns)  # type: ignore[attr-defined]


def list_rows(session: Session, query: FilingQuery, due_before: date | None = None) -> Sequence[Any]:
    """Plain rows (no ORM identity map) for fast listing: every filing column plus the organisation name."""
    statement: Select[Any] = select(*FILING_COLUMNS, OrganisationRow.name.label("organisation_name"))  # type: ignore[call-overload, attr-defined]
    # Core execution: plain rows without the ORM's per-row loading machinery (a third of the time at 100k rows)
    return session.connection().execute(_window(statement, query, due_before)).all()


def list_mappings(session: Session, query: FilingQuery, due_before: date | None = None) -> list[Any]:
    """Like `list_rows`, as read-only mappings (filing columns plus `organisation_name`)."""
    return [r._mapping for r in list_rows(session, query, due_before)]


ORGANISATION_ORDER = "ix_organisation_sort"
"""The index of organisations in sort order (migration 0007)."""


def _window(statement: Select[Any], query: FilingQuery, due_before: date | None = None) -> Select[Any]:
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    if query.sort == "organisation":
        # walk organisations in order and each one's filings by `ix_filing_org`, stopping at the window, rather
        # than sort every filing (SQLite's planner, without statistics, would sort; PostgreSQL chooses alone)
        statement = statement.with_hint(OrganisationRow, f"INDEXED BY {ORGANISATION_ORDER}", "sqlite")
    statement = _ordered(_filtered(statement, query, due_before), query)
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


def _zh_case(column: Any, values: Sequence[Any]) -> Any:
    return case({v.value: states.zh(v) for v in values}, value=column)


def _stage_zh_case() -> Any:
    kind, stage = col(FilingRow.kind), col(FilingRow.stage)
    special = [
        (and_(kind == k.value, stage == s.value), states.zh(s, k))
        for k in Kind
        for s in Stage
        if states.zh(s, k) != states.zh(s)
    ]
    plain = _zh_case(stage, list(Stage))
    return case(*special, else_=plain) if special else plain


def _sqlite_utc(column: Any) -> Any:
    """SQLite's stored `2026-01-05 01:01:00.000000` as `filing_json` writes it: `2026-01-05T01:01:00Z`."""
    # a whole second loses its fraction, as in `datetime.isoformat`; the text has no other ".000000"
    return func.replace(func.replace(column, ".000000", ""), " ", "T").op("||")("Z")


def _sqlite_filing_json() -> Any:
    """`json_object(...)` with exactly the keys, order and values of `tracker.domain.json.filing_json`."""
    f = FilingRow
    fields: dict[str, Any] = dict(
        [
            ("id", f.id),
            ("ref", f.ref),
            ("kind", f.kind),
            ("kind_zh", _zh_case(col(f.kind), list(Kind))),
            ("title", f.title),
            ("organisation", OrganisationRow.name),
            ("organisation_id", f.organisation_id),
            ("algorithm_type", f.algorithm_type),
            ("algorithm_type_zh", _zh_case(col(f.algorithm_type), list(AlgorithmType))),
            ("role", f.role),
            ("role_zh", _zh_case(col(f.role), list(Role))),
            ("stage", f.stage),
            ("stage_zh", _stage_zh_case()),
            ("returned_from", f.returned_from),
            ("returns", f.returns),
            ("filing_number", f.filing_number),
            ("upstream_model", f.upstream_model),
            ("upstream_filing_number", f.upstream_filing_number),
            ("public_opinion", func.json(case((col(f.public_opinion), "true"), else_="false"))),
            ("launch_date", f.launch_date),
            ("change_date", f.change_date),
            ("termination_date", f.termination_date),
            ("version", f.version),
            ("stage_entered_at", _sqlite_utc(f.stage_entered_at)),
            ("created_at", _sqlite_utc(f.created_at)),
            ("updated_at", _sqlite_utc(f.updated_at)),
        ]
    )
    assert set(fields) == set(FILING_KEYS), "the SQL renderer and filing_json disagree"
    return func.json_object(*(part for key in FILING_KEYS for part in (key, fields[key])))


def list_json(
    session: Session, query: FilingQuery, due_before: date | None = None
) -> Iterator[Sequence[bytes]] | None:
    """Matching filings as UTF-8 JSON texts built by the database, in batches; None where Python must render them.

    At 100,000 filings, turning rows into Python objects and encoding them takes seconds; SQLite's
    `json_object` (3.38+) does the same in C, and bytes go to the output without a decode/encode round trip.
    The shape equals `tracker.domain.json.filing_json`'s (both follow `FILING_KEYS`).
    """
    if session.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info < (3, 38):
        return None
    as_bytes = cast(_sqlite_filing_json(), LargeBinary)
    statement = _window(select(as_bytes).select_from(FilingRow), query, due_before)
    return session.connection().execute(statement).scalars().partitions(1000)


def _joined(statement: Select[Any], query: FilingQuery) -> Select[Any]:
    """Join the organisation only when a filter or the sort reads it (a count over 100,000 filings saves the join)."""
    if query.organisation and inputs.parse_org_key(query.organisation)[0] == "id" and not query.text:
        return statement
    if query.organisation or query.text:
        return statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    return statement


def count_rows(session: Session, query: FilingQuery, due_before: date | None = None) -> int:
    """How many filings match."""
    statement: Select[Any] = _joined(select(func.count()).select_from(FilingRow), query)
    return int(session.execute(_filtered(statement, query, due_before)).scalar_one())


def stage_counts(session: Session, query: FilingQuery, due_before: date | None = None) -> dict[Stage, int]:
    """Filings per stage under every filter except the stage filter."""
    statement: Select[Any] = select(FilingRow.stage, func.count()).select_from(FilingRow)  # type: ignore[assignment]
    statement = _joined(statement, query)
    statement = _filtered(statement, query, due_before, with_stages=False).group_by(FilingRow.stage)
    return {Stage(stage): int(n) for stage, n in session.execute(statement).all()}


def matching_ids(
    session: Session, query: FilingQuery, due_before: date | None = None
) -> list[tuple[int, str]]:
    """(id, stage) of every filing matching the query's filters, in its order, ignoring the window."""
    statement: Select[Any] = select(FilingRow.id, FilingRow.stage)  # type: ignore[assignment]
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    statement = _ordered(_filtered(statement, query, due_before), query)
    return [(int(i), str(s)) for i, s in session.connection().execute(statement).all()]


def position(
    session: Session, query: FilingQuery, filing_id: int, due_before: date | None = None
) -> int | None:
    """Where a filing stands (0-based) in the query's order, ignoring the window; None when it does not match.
    One statement (`ROW_NUMBER()`), whatever the number of filings."""
    number = func.row_number().over(order_by=_order_keys(query)).label("n")
    statement: Select[Any] = select(col(FilingRow.id).label("fid"), number)  # type: ignore[assignment]
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    numbered = _filtered(statement, query, due_before).subquery()
    found = session.connection().execute(select(numbered.c.n).where(numbered.c.fid == filing_id)).scalar()
    return None if found is None else int(found) - 1


def longest_ref(session: Session) -> int:
    """Characters in the longest reference (0 with no filings)."""
    value = session.connection().execute(select(func.max(func.length(FilingRow.ref)))).scalar()
    return int(value or 0)
