"""Queries and row↔domain conversion. The only module that builds SELECTs over the tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, LargeBinary, Select, and_, bindparam, case, cast, func, insert, or_, update
from sqlmodel import Session, col, select

import states
from states import AlgorithmType, Event, Kind, Role, Stage
from tracker.domain import REF_PREFIX, Filing, FilingQuery, Organisation, Transition
from tracker.errors import Conflict, NotFound
from tracker.store.tables import FilingRow, MetaRow, OrganisationRow, TransitionRow


class Unit(Protocol):
    """Anything that runs Core statements in a transaction: an ORM `Session` or a `Work`."""

    def connection(self) -> Connection: ...


def to_utc(value: datetime | None) -> datetime | None:
    """A database time as aware UTC (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_db(value: datetime) -> datetime:
    """Any time → aware UTC, as the tables store it (a naive time is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def organisation_from_row(row: OrganisationRow) -> Organisation:
    """Convert an organisation row."""
    assert row.id is not None
    return Organisation(row.id, row.name, row.credit_code, row.region, to_utc(row.created_at))  # type: ignore[arg-type]


def parse_ref(ref: str | int) -> tuple[str, Any]:
    """('id', 12) for a numeric reference, ('ref', 'ALG-0001') for a human one."""
    if isinstance(ref, int):
        return "id", ref
    text = ref.strip()
    if text.isdigit():
        return "id", int(text)
    return "ref", text.upper()


# Statements on the write path are built once: constructing them costs more than running them.
_FILING_WITH_ORG = select(FilingRow, OrganisationRow.name).join(
    OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id)
)
_FILING_BY_ID = _FILING_WITH_ORG.where(col(FilingRow.id) == bindparam("value"))
_FILING_BY_REF = _FILING_WITH_ORG.where(col(FilingRow.ref) == bindparam("value"))


def find_filing(session: Session, ref: str | int) -> tuple[FilingRow, str]:
    """The filing row and its organisation's name, or NotFound."""
    how, value = parse_ref(ref)
    statement = _FILING_BY_ID if how == "id" else _FILING_BY_REF
    found = session.exec(statement, params={"value": value}).first()
    if found is None:
        raise NotFound(f"no filing {ref!s}", hint="`beian list` shows every reference")
    return found[0], found[1]


def find_organisation(session: Session, key: str | int) -> OrganisationRow:
    """An organisation by id, exact name, or credit code."""
    text = str(key).strip()
    statement = select(OrganisationRow)
    if text.isdigit():
        statement = statement.where(OrganisationRow.id == int(text))
    else:
        statement = statement.where(
            or_(col(OrganisationRow.name) == text, col(OrganisationRow.credit_code) == text.upper())
        )
    row = session.exec(statement).first()
    if row is None:
        raise NotFound(
            f"no organisation {text!r}", hint="`beian org list` shows them; `beian org add` adds one"
        )
    return row


def next_seq(session: Session, kind: Kind) -> int:
    """The next sequence number for a kind's references."""
    current = session.exec(select(func.max(FilingRow.seq)).where(FilingRow.kind == kind.value)).one()
    return int(current or 0) + 1


def make_ref(kind: Kind, seq: int) -> str:
    """`ALG-0007`: the human reference of a filing."""
    return f"{REF_PREFIX[kind]}-{seq:04d}"


_META_TABLE = MetaRow.__table__  # type: ignore[attr-defined]
_BUMP_REVISION = (
    update(_META_TABLE).where(_META_TABLE.c.key == "revision").values(value=_META_TABLE.c.value + 1)
)


def bump_revision(session: Unit) -> None:
    """Advance the change counter that open dashboards poll."""
    session.connection().execute(_BUMP_REVISION)


def read_revision(session: Session) -> int:
    """The change counter."""
    value = session.exec(select(MetaRow.value).where(MetaRow.key == "revision")).first()
    return int(value or 0)


_FILING_TABLE = FilingRow.__table__  # type: ignore[attr-defined]


@cache
def _checked_update(columns: tuple[str, ...]) -> Any:
    """`UPDATE filing SET version, <columns> WHERE id AND version`, built once per set of columns."""
    table = _FILING_TABLE
    values = {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns}
    return (
        update(table)
        .where(table.c.id == bindparam("match_id"), table.c.version == bindparam("match_version"))
        .values(version=bindparam("set_version"), **values)
    )


def update_filing_checked(session: Unit, filing_id: int, version: int, values: dict[str, Any]) -> None:
    """UPDATE … WHERE version = expected; a concurrent writer makes this a Conflict, never an overwrite.

    A Core statement on purpose: the ORM would also rewrite the loaded `FilingRow` in place, so a caller
    building the history row afterwards would read the new stage as the one the filing left. The row
    keeps its loaded values until the caller refreshes it.
    """
    columns = tuple(sorted(values))
    params = {f"set_{name}": values[name] for name in columns}
    params.update(match_id=filing_id, match_version=version, set_version=version + 1)
    result = session.connection().execute(_checked_update(columns), params)
    if result.rowcount != 1:
        raise Conflict("the filing was changed by someone else meanwhile", hint="look at it again and retry")


_SORT_COLUMNS: dict[str, Any] = {
    "organisation": OrganisationRow.name,
    "title": FilingRow.title,
    "kind": FilingRow.kind,
    "stage": FilingRow.stage,
    "stage_entered_at": FilingRow.stage_entered_at,
    "returns": FilingRow.returns,
    "filing_number": FilingRow.filing_number,
    "updated_at": FilingRow.updated_at,
}


def _filtered(statement: Select[Any], query: FilingQuery, *, with_stages: bool = True) -> Select[Any]:
    if with_stages and query.stages:
        statement = statement.where(col(FilingRow.stage).in_([s.value for s in query.stages]))
    if query.kinds:
        statement = statement.where(col(FilingRow.kind).in_([k.value for k in query.kinds]))
    if query.ids:
        statement = statement.where(col(FilingRow.id).in_(query.ids))
    if query.organisation:
        text = query.organisation.strip()
        if text.isdigit():
            statement = statement.where(col(FilingRow.organisation_id) == int(text))
        else:
            statement = statement.where(
                or_(
                    func.lower(OrganisationRow.name).contains(text.lower(), autoescape=True),
                    col(OrganisationRow.credit_code) == text.upper(),
                )
            )
    if query.text:
        needle = query.text.strip().lower()
        statement = statement.where(
            or_(
                func.lower(FilingRow.title).contains(needle, autoescape=True),
                func.lower(FilingRow.ref).contains(needle, autoescape=True),
                func.lower(OrganisationRow.name).contains(needle, autoescape=True),
                func.coalesce(FilingRow.filing_number, "").contains(needle, autoescape=True),
            )
        )
    return statement


def _ordered(statement: Select[Any], query: FilingQuery) -> Select[Any]:
    if query.sort == "ref":
        keys = [col(FilingRow.kind), col(FilingRow.seq)]
    else:
        keys = [_SORT_COLUMNS[query.sort], col(FilingRow.id)]
    return statement.order_by(*(k.desc() if query.descending else k.asc() for k in keys))


FILING_COLUMNS = tuple(FilingRow.__table__.columns)  # type: ignore[attr-defined]


def list_rows(session: Session, query: FilingQuery) -> Sequence[Any]:
    """Plain rows (no ORM identity map) for fast listing: every filing column plus the organisation name."""
    statement: Select[Any] = select(*FILING_COLUMNS, OrganisationRow.name.label("organisation_name"))  # type: ignore[call-overload, attr-defined]
    # Core execution: plain rows without the ORM's per-row loading machinery (a third of the time at 100k rows)
    return session.connection().execute(_window(statement, query)).all()


def _window(statement: Select[Any], query: FilingQuery) -> Select[Any]:
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    statement = _ordered(_filtered(statement, query), query)
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
    """SQLite's stored `2026-01-05 01:01:00.000000` as `render` writes it: `2026-01-05T01:01:00Z`."""
    # a whole second loses its fraction, as in `datetime.isoformat`; the text has no other ".000000"
    return func.replace(func.replace(column, ".000000", ""), " ", "T").op("||")("Z")


def _sqlite_filing_json() -> Any:
    """`json_object(...)` with exactly the keys, order and values of `tracker.render.filing_json`."""
    f = FilingRow
    fields: list[tuple[str, Any]] = [
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
    return func.json_object(*(part for key, value in fields for part in (key, value)))


def list_json(session: Session, query: FilingQuery) -> Iterator[Sequence[bytes]] | None:
    """Matching filings as UTF-8 JSON texts built by the database, in batches; None where Python must render them.

    At 100,000 filings, turning rows into Python objects and encoding them takes seconds; SQLite's
    `json_object` (3.38+) does the same in C, and bytes go to the output without a decode/encode round trip.
    The shape equals `tracker.render.filing_json`'s.
    """
    if session.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info < (3, 38):
        return None
    as_bytes = cast(_sqlite_filing_json(), LargeBinary)
    statement = _window(select(as_bytes).select_from(FilingRow), query)
    return session.connection().execute(statement).scalars().partitions(1000)


def filing_from_plain(row: Any) -> Filing:
    """Convert a row from `list_rows`."""
    return filing_from_mapping(row._mapping)


def filing_from_mapping(m: Mapping[str, Any]) -> Filing:
    """Convert a mapping of filing columns plus `organisation_name`."""
    return Filing(
        id=m["id"],
        ref=m["ref"],
        kind=Kind(m["kind"]),
        title=m["title"],
        organisation_id=m["organisation_id"],
        organisation=m["organisation_name"],
        role=Role(m["role"]) if m["role"] else None,
        algorithm_type=AlgorithmType(m["algorithm_type"]) if m["algorithm_type"] else None,
        upstream_model=m["upstream_model"],
        upstream_filing_number=m["upstream_filing_number"],
        stage=Stage(m["stage"]),
        returned_from=Stage(m["returned_from"]) if m["returned_from"] else None,
        returns=m["returns"],
        filing_number=m["filing_number"],
        version=m["version"],
        created_at=to_utc(m["created_at"]),  # type: ignore[arg-type]
        updated_at=to_utc(m["updated_at"]),  # type: ignore[arg-type]
        stage_entered_at=to_utc(m["stage_entered_at"]),  # type: ignore[arg-type]
        public_opinion=bool(m["public_opinion"]),
        launch_date=m["launch_date"],
        change_date=m["change_date"],
        termination_date=m["termination_date"],
        description=m["description"],
    )


def count_rows(session: Session, query: FilingQuery) -> int:
    """How many filings match."""
    statement: Select[Any] = select(func.count()).select_from(FilingRow)
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    return int(session.execute(_filtered(statement, query)).scalar_one())


def stage_counts(session: Session, query: FilingQuery) -> dict[Stage, int]:
    """Filings per stage under every filter except the stage filter."""
    statement: Select[Any] = select(FilingRow.stage, func.count()).select_from(FilingRow)  # type: ignore[assignment]
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    statement = _filtered(statement, query, with_stages=False).group_by(FilingRow.stage)
    return {Stage(stage): int(n) for stage, n in session.execute(statement).all()}


def history(session: Unit, filing_id: int) -> list[Transition]:
    """A filing's history, oldest first."""
    rows = session.connection().execute(_HISTORY, {"filing_id": filing_id}).mappings()
    return [transition_from_mapping(dict(m)) for m in rows]


def organisations(session: Session) -> Sequence[OrganisationRow]:
    """Every organisation, by name."""
    return session.exec(select(OrganisationRow).order_by(col(OrganisationRow.name))).all()


def live_entity_filing(session: Unit, organisation_id: int) -> str | None:
    """The reference of the organisation's entity filing, unless it was withdrawn."""
    found = session.connection().execute(_LIVE_ENTITY, {"organisation_id": organisation_id}).scalar()
    return str(found) if found is not None else None


# Core statements over the tables: plain values need none of the ORM's per-query machinery.
_TRANSITION_TABLE = TransitionRow.__table__  # type: ignore[attr-defined]
_LAST_EFFECTIVE = select(func.max(_TRANSITION_TABLE.c.effective_at)).where(
    _TRANSITION_TABLE.c.filing_id == bindparam("filing_id")
)
_ENTITY_APPROVED = select(_FILING_TABLE.c.id).where(
    _FILING_TABLE.c.organisation_id == bindparam("organisation_id"),
    _FILING_TABLE.c.kind == Kind.ENTITY.value,
    _FILING_TABLE.c.stage == Stage.APPROVED.value,
)
# case-insensitive, as `states.filing_number_key`: Beijing-DeepseekChat-… and Beijing-DeepSeekChat-… are one number
_NUMBER_HOLDER = select(_FILING_TABLE.c.ref).where(
    func.lower(_FILING_TABLE.c.filing_number) == func.lower(bindparam("number")),
    _FILING_TABLE.c.id != bindparam("filing_id"),
)


_HISTORY = (
    select(_TRANSITION_TABLE)
    .where(_TRANSITION_TABLE.c.filing_id == bindparam("filing_id"))
    .order_by(_TRANSITION_TABLE.c.id)
)
_LIVE_ENTITY = select(_FILING_TABLE.c.ref).where(
    _FILING_TABLE.c.organisation_id == bindparam("organisation_id"),
    _FILING_TABLE.c.kind == Kind.ENTITY.value,
    _FILING_TABLE.c.stage != Stage.WITHDRAWN.value,
)


def last_effective(session: Unit, filing_id: int) -> datetime | None:
    """When the filing's latest event took effect."""
    return to_utc(session.connection().execute(_LAST_EFFECTIVE, {"filing_id": filing_id}).scalar())


def entity_approved(session: Unit, organisation_id: int) -> bool:
    """Whether the organisation's entity filing (主体备案) is approved."""
    found = session.connection().execute(_ENTITY_APPROVED, {"organisation_id": organisation_id}).first()
    return found is not None


def number_in_use(session: Unit, number: str, filing_id: int) -> str | None:
    """The reference of another filing already holding `number`, if any."""
    holder = session.connection().execute(_NUMBER_HOLDER, {"number": number, "filing_id": filing_id}).scalar()
    return str(holder) if holder is not None else None


_FILING_LOADED = (
    select(
        *FILING_COLUMNS,  # type: ignore[call-overload]
        OrganisationRow.name.label("organisation_name"),  # type: ignore[attr-defined]
        select(func.max(_TRANSITION_TABLE.c.effective_at))
        .where(_TRANSITION_TABLE.c.filing_id == _FILING_TABLE.c.id)
        .scalar_subquery()
        .label("last_effective"),
    )
    .select_from(_FILING_TABLE)
    .join(OrganisationRow, col(OrganisationRow.id) == _FILING_TABLE.c.organisation_id)
)
_LOAD_BY_ID = _FILING_LOADED.where(_FILING_TABLE.c.id == bindparam("value"))
_LOAD_BY_REF = _FILING_LOADED.where(_FILING_TABLE.c.ref == bindparam("value"))
_INSERT_TRANSITION = insert(_TRANSITION_TABLE).returning(_TRANSITION_TABLE.c.id)


def load_filing(session: Unit, ref: str | int) -> dict[str, Any]:
    """One round trip: the filing's columns, `organisation_name` and `last_effective` (its latest event time)."""
    how, value = parse_ref(ref)
    statement = _LOAD_BY_ID if how == "id" else _LOAD_BY_REF
    found = session.connection().execute(statement, {"value": value}).mappings().first()
    if found is None:
        raise NotFound(f"no filing {ref!s}", hint="`beian list` shows every reference")
    loaded = dict(found)
    loaded["last_effective"] = to_utc(loaded["last_effective"])
    return loaded


def filing_row(m: Mapping[str, Any]) -> FilingRow:
    """A detached `FilingRow` holding these values, for code that works on rows (rules, outbox)."""
    return FilingRow(**{c.name: m[c.name] for c in FILING_COLUMNS})


def insert_transition(session: Unit, values: dict[str, Any]) -> int:
    """Append one history row; returns its id."""
    return int(session.connection().execute(_INSERT_TRANSITION, values).scalar_one())


def transition_from_mapping(m: Mapping[str, Any]) -> Transition:
    """Convert a mapping of transition columns."""
    return Transition(
        id=m["id"],
        filing_id=m["filing_id"],
        event=Event(m["event"]),
        from_stage=Stage(m["from_stage"]),
        to_stage=Stage(m["to_stage"]),
        effective_at=to_utc(m["effective_at"]),  # type: ignore[arg-type]
        recorded_at=to_utc(m["recorded_at"]),  # type: ignore[arg-type]
        actor=m["actor"],
        source=m["source"],
        note=m["note"],
        reason=m["reason"],
        filing_number=m["filing_number"],
    )


def now_utc() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)
