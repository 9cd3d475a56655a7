"""SQL of the exchange slice: bulk reads for matching, exports and the report; bulk writes for an import.

Core statements on the connection of one `Work`, executed many rows at a time: an import of 100,000 filings runs
a handful of `executemany` calls, not 100,000 round trips.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, bindparam, case, func, insert, select, update

from tracker.filings.collation import sort_key
from tracker.filings.repo import filing_from_mapping, make_ref, transition_from_mapping
from tracker.store.tables import FilingRow, OrganisationRow, TransitionRow
from tracker.timeutil import to_utc

FILING = FilingRow.__table__  # type: ignore[attr-defined]
ORGANISATION = OrganisationRow.__table__  # type: ignore[attr-defined]
TRANSITION = TransitionRow.__table__  # type: ignore[attr-defined]
BATCH = 5000
__all__ = ["filing_from_mapping", "make_ref", "transition_from_mapping"]  # converters the service uses


@dataclass(frozen=True, slots=True)
class OrgState:
    """An organisation as matching needs it."""

    id: int
    name: str
    credit_code: str | None
    region: str | None


def organisations(conn: Connection) -> list[OrgState]:
    """Every organisation."""
    rows = conn.execute(
        select(ORGANISATION.c.id, ORGANISATION.c.name, ORGANISATION.c.credit_code, ORGANISATION.c.region)
    )
    return [OrgState(*row) for row in rows]


def filings(conn: Connection) -> list[dict[str, Any]]:
    """Every filing's columns plus `organisation_name` and `last_effective` (its latest event time, aware UTC)."""
    last = (
        select(TRANSITION.c.filing_id, func.max(TRANSITION.c.effective_at).label("last_effective"))
        .group_by(TRANSITION.c.filing_id)
        .subquery()
    )
    statement = (
        select(*FILING.c, ORGANISATION.c.name.label("organisation_name"), last.c.last_effective)
        .select_from(FILING)
        .join(ORGANISATION, ORGANISATION.c.id == FILING.c.organisation_id)
        .outerjoin(last, last.c.filing_id == FILING.c.id)
    )
    out = []
    for row in conn.execute(statement).mappings():
        item = dict(row)
        item["last_effective"] = to_utc(item["last_effective"])
        out.append(item)
    return out


def histories(conn: Connection, filing_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The history rows of these filings, oldest first, by filing id."""
    out: dict[int, list[dict[str, Any]]] = {}
    ids = list(filing_ids)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        statement = (
            select(TRANSITION)
            .where(TRANSITION.c.filing_id.in_(chunk))
            .order_by(TRANSITION.c.filing_id, TRANSITION.c.id)
        )
        for row in conn.execute(statement).mappings():
            item = dict(row)
            item["effective_at"] = to_utc(item["effective_at"])
            item["recorded_at"] = to_utc(item["recorded_at"])
            out.setdefault(item["filing_id"], []).append(item)
    return out


def max_seqs(conn: Connection) -> dict[str, int]:
    """The highest reference sequence number per kind."""
    return {
        kind: int(seq or 0)
        for kind, seq in conn.execute(select(FILING.c.kind, func.max(FILING.c.seq)).group_by(FILING.c.kind))
    }


def insert_organisations(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert organisations (with their pinyin sort keys); their ids in the order given."""
    if not rows:
        return []
    rows = [{**row, "name_key": sort_key(row["name"])} for row in rows]
    statement = insert(ORGANISATION).returning(ORGANISATION.c.id, sort_by_parameter_order=True)
    return [int(r[0]) for r in conn.execute(statement, rows)]


def update_organisation(conn: Connection, organisation_id: int, values: dict[str, Any]) -> None:
    """Set columns of one organisation (a credit code or region learnt from an import)."""
    conn.execute(update(ORGANISATION).where(ORGANISATION.c.id == organisation_id).values(**values))


def insert_filings(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert filings in batches, with their pinyin sort keys; their ids in the order given (looked up by
    reference afterwards)."""
    if not rows:
        return []
    before = conn.execute(select(func.max(FILING.c.id))).scalar() or 0
    columns = (*rows[0], "title_key")
    _insert_many(conn, FILING, columns, [(*row.values(), sort_key(row["title"])) for row in rows])
    if conn.dialect.name == "sqlite":  # plain driver rows: no result processing for 100,000 pairs
        found: Any = conn.exec_driver_sql("SELECT ref, id FROM filing WHERE id > ?", (before,))
    else:
        found = conn.execute(select(FILING.c.ref, FILING.c.id).where(FILING.c.id > before))
    ids: dict[str, int] = dict(found.fetchall())
    return [ids[row["ref"]] for row in rows]


TRANSITION_COLUMNS = (
    "filing_id",
    "event",
    "from_stage",
    "to_stage",
    "effective_at",
    "recorded_at",
    "actor",
    "source",
    "note",
    "reason",
    "filing_number",
)
"""The order of the values of a history row given to `insert_transitions`."""


def insert_transitions(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Append history rows (values in `TRANSITION_COLUMNS` order) in batches (executemany); the filings'
    stored next due dates are computed again."""
    from tracker.filings.repo_due import forget_next_due

    _insert_many(conn, TRANSITION, TRANSITION_COLUMNS, rows)
    forget_next_due(conn, (row[0] for row in rows))


def _insert_many(conn: Connection, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """`executemany` in batches of rows given as tuples in `columns` order (every row the same columns).

    On SQLite the values go through the columns' own bind processors and straight to the driver: the same
    stored text as a Core insert, without its per-row bookkeeping; each distinct value is converted once (an
    import's rows share their recorded time and many dates)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), BATCH):
            conn.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in rows[start : start + BATCH]]
            )
        return
    processors = [
        (i, process, {None: None})
        for i, name in enumerate(columns)
        if (process := table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)) is not None
    ]
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        if processors:
            values = list(zip(*batch, strict=True))
            for i, process, memo in processors:
                values[i] = tuple(memo[v] if v in memo else memo.setdefault(v, process(v)) for v in values[i])
            batch = list(zip(*values, strict=True))
        conn.exec_driver_sql(sql, batch)


_UPDATE_CHECKED = update(FILING).where(
    FILING.c.id == bindparam("match_id"), FILING.c.version == bindparam("match_version")
)


def update_filing(conn: Connection, filing_id: int, version: int, values: dict[str, Any]) -> bool:
    """UPDATE … WHERE version matches, bumping it (and the sort key with the title); False when someone changed
    the filing meanwhile."""
    if "title" in values:
        values = {**values, "title_key": sort_key(values["title"])}
    statement = _UPDATE_CHECKED.values(version=version + 1, **{**values, "next_due_stamp": None})
    return conn.execute(statement, {"match_id": filing_id, "match_version": version}).rowcount == 1


def numbers_in_use(conn: Connection) -> dict[str, int]:
    """{lower(filing number): filing id} over every filing with a number."""
    rows = conn.execute(
        select(func.lower(FILING.c.filing_number), FILING.c.id).where(FILING.c.filing_number.is_not(None))
    )
    return {str(key): int(fid) for key, fid in rows}


# -- exports ----------------------------------------------------------------------------------------------------


def approval_dates(conn: Connection, filing_ids: Sequence[int] | None = None) -> dict[int, datetime]:
    """When each approved filing's latest approval took effect (aware UTC)."""
    statement = select(TRANSITION.c.filing_id, func.max(TRANSITION.c.effective_at)).where(
        TRANSITION.c.event == "approve"
    )
    if filing_ids is not None:
        statement = statement.where(TRANSITION.c.filing_id.in_(list(filing_ids)))
    statement = statement.group_by(TRANSITION.c.filing_id)
    return {int(fid): to_utc(at) for fid, at in conn.execute(statement)}  # type: ignore[misc]


def history_stream(conn: Connection, filing_ids: Sequence[int]) -> Iterator[dict[str, Any]]:
    """History rows of these filings ordered by filing id then id (aware UTC times)."""
    ids = sorted(filing_ids)
    for start in range(0, len(ids), 2000):
        low, high = ids[start], ids[min(start + 2000, len(ids)) - 1]
        statement = (
            select(TRANSITION)
            .where(and_(TRANSITION.c.filing_id >= low, TRANSITION.c.filing_id <= high))
            .order_by(TRANSITION.c.filing_id, TRANSITION.c.id)
        )
        wanted = set(ids[start : start + 2000])
        for row in conn.execute(statement).mappings():
            if row["filing_id"] in wanted:
                yield dict(row)


# -- the report -------------------------------------------------------------------------------------------------


def stage_counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(kind, stage, filings) for every kind and stage that has filings."""
    statement = select(FILING.c.kind, FILING.c.stage, func.count()).group_by(FILING.c.kind, FILING.c.stage)
    return [(str(k), str(s), int(n)) for k, s, n in conn.execute(statement)]


def events_between(
    conn: Connection, events: Sequence[str], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Transitions of these events effective in [start, end), with the filing's ref, title and organisation."""
    statement = (
        select(
            TRANSITION,
            FILING.c.ref,
            FILING.c.title,
            FILING.c.kind,
            ORGANISATION.c.name.label("organisation_name"),
        )
        .select_from(TRANSITION)
        .join(FILING, FILING.c.id == TRANSITION.c.filing_id)
        .join(ORGANISATION, ORGANISATION.c.id == FILING.c.organisation_id)
        .where(
            TRANSITION.c.event.in_(list(events)),
            TRANSITION.c.effective_at >= start,
            TRANSITION.c.effective_at < end,
        )
        .order_by(TRANSITION.c.effective_at, TRANSITION.c.id)
    )
    out = []
    for row in conn.execute(statement).mappings():
        item = dict(row)
        item["effective_at"] = to_utc(item["effective_at"])
        out.append(item)
    return out


def next_event_after(conn: Connection, filing_id: int, transition_id: int, event: str) -> datetime | None:
    """When the filing's first `event` after this transition took effect, if it happened."""
    statement = (
        select(TRANSITION.c.effective_at)
        .where(
            TRANSITION.c.filing_id == filing_id, TRANSITION.c.id > transition_id, TRANSITION.c.event == event
        )
        .order_by(TRANSITION.c.id)
        .limit(1)
    )
    return to_utc(conn.execute(statement).scalar())


# -- the SQLite export fast path ----------------------------------------------------------------------------------


def _utc_text(column: Any) -> Any:
    """SQLite's stored `2026-01-05 01:01:00.000000` as the export writes it: `2026-01-05T01:01:00Z`."""
    return func.replace(func.replace(column, ".000000", ""), " ", "T").op("||")("Z")


def _yes_no(column: Any) -> Any:
    return case((column.is_(None), ""), (column == 1, "yes"), else_="no")


def _blank(column: Any) -> Any:
    return func.coalesce(column, "", type_=String)


def export_cells_sqlite(
    conn: Connection, ids: Sequence[int] | None, with_history: bool
) -> Iterator[list[Any]] | None:
    """Export rows computed by SQLite (history as JSON by `json_group_array`), or None on other databases.

    The values equal `tracker.exchange.writers.cells` of the same filings before escaping (the caller escapes
    text cells); a test compares both paths. Filings come in reference order (kind, then sequence).
    """
    if conn.dialect.name != "sqlite":
        return None
    ordered = select(TRANSITION).order_by(TRANSITION.c.filing_id, TRANSITION.c.id).subquery("o")
    aggregates: list[Any] = [
        ordered.c.filing_id,
        func.date(func.max(case((ordered.c.event == "approve", ordered.c.effective_at))), "+8 hours").label(
            "approved"
        ),
    ]
    if with_history:
        pairs: list[Any] = []
        for key in ("event", "from_stage", "to_stage"):
            pairs += [key, ordered.c[key]]
        pairs += [
            "effective_at",
            _utc_text(ordered.c.effective_at),
            "recorded_at",
            _utc_text(ordered.c.recorded_at),
        ]
        for key in ("actor", "source", "note", "reason", "filing_number"):
            pairs += [key, ordered.c[key]]
        aggregates.append(func.json_group_array(func.json_object(*pairs)).label("history"))
    # one pass over the history in (filing, id) order, grouped: SQLite aggregates rows in the order the ordered
    # subquery yields them
    grouped = select(*aggregates).group_by(ordered.c.filing_id).subquery("g")
    approved = grouped.c.approved
    columns: list[Any] = [
        FILING.c.ref,
        FILING.c.kind,
        FILING.c.title,
        ORGANISATION.c.name,
        _blank(ORGANISATION.c.credit_code),
        _blank(ORGANISATION.c.region),
        FILING.c.stage,
        _blank(FILING.c.algorithm_type),
        _blank(FILING.c.role),
        _blank(FILING.c.filing_number),
        func.coalesce(approved, "", type_=String),
        _blank(FILING.c.launch_date),
        _blank(FILING.c.change_date),
        _blank(FILING.c.termination_date),
        _yes_no(FILING.c.public_opinion),
        _blank(FILING.c.upstream_model),
        _blank(FILING.c.upstream_filing_number),
        _blank(FILING.c.description),
        _blank(FILING.c.returned_from),
        FILING.c.returns,
    ]
    if with_history:
        columns.append(func.coalesce(grouped.c.history, "[]", type_=String))
    statement = (
        select(*columns)
        .select_from(FILING)
        .join(ORGANISATION, ORGANISATION.c.id == FILING.c.organisation_id)
        .outerjoin(grouped, grouped.c.filing_id == FILING.c.id)
        .order_by(FILING.c.kind, FILING.c.seq)
    )
    if ids is not None:
        statement = statement.where(FILING.c.id.in_(list(ids)))
    return (list(row) for row in conn.execute(statement))
