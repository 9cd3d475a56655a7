"""Queries over organisations, filings and transitions, and row↔domain conversion.

Every SELECT, INSERT and UPDATE of the filing slice lives here, and so does the translation of constraint
errors (a duplicate organisation, a filing number taken by a concurrent writer) into `tracker.errors`.
Times come back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

__all__ = [
    "FILING_COLUMNS",
    "count_rows",
    "list_json",
    "list_mappings",
    "list_rows",
    "organisation_filter_matches",
    "longest_ref",
    "matching_ids",
    "position",
    "stage_counts",
]

from sqlalchemy import bindparam, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from states import AlgorithmType, Event, Kind, Role, Stage
from tracker.domain import REF_PREFIX, Filing, Organisation, Transition, inputs
from tracker.errors import Conflict, NotFound, StorageError, TransitionRefused, UsageError
from tracker.filings.repo_listing import (
    FILING_COLUMNS,
    count_rows,
    list_json,
    list_mappings,
    list_rows,
    longest_ref,
    matching_ids,
    organisation_filter_matches,
    position,
    stage_counts,
)
from tracker.store.db import Unit
from tracker.store.fold import fold
from tracker.store.tables import FilingRow, OrganisationRow, TransitionRow
from tracker.timeutil import to_utc


def organisation_from_row(row: OrganisationRow) -> Organisation:
    """Convert an organisation row."""
    assert row.id is not None
    return Organisation(row.id, row.name, row.credit_code, row.region, to_utc(row.created_at))  # type: ignore[arg-type]


def parse_ref(ref: str | int) -> tuple[str, Any]:
    """('id', 12) for a numeric reference, ('ref', 'ALG-0001') for a human one (see `inputs.parse_ref`).

    Raises `UsageError` (empty), `NotFound` (an id no database can hold).
    """
    return inputs.parse_ref(ref)


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
        raise NotFound(f"no filing {inputs.echo(ref)}", hint="`beian list` shows every reference")
    return found[0], found[1]


def organisation_statement(key: str | int) -> Any:
    """SELECT of the organisation with this id, name (compared by `fold`) or credit code.

    Raises `UsageError` (empty key), `NotFound` (an id no database can hold).
    """
    from tracker.filings.identity import normalise_credit_code

    how, value = inputs.parse_org_key(key)
    statement = select(OrganisationRow)
    if how == "id":
        return statement.where(OrganisationRow.id == value)
    return statement.where(
        or_(
            fold(OrganisationRow.name) == inputs.fold(str(value)),
            col(OrganisationRow.credit_code) == normalise_credit_code(str(value)),
        )
    )


def find_organisation(session: Session, key: str | int) -> OrganisationRow:
    """An organisation by id, name (NFKC, case and invisible characters ignored), or credit code.

    Raises `NotFound`, `UsageError` (empty key).
    """
    row: OrganisationRow | None = session.exec(organisation_statement(key)).first()
    if row is None:
        raise NotFound(
            f"no organisation {inputs.echo(key)}",
            hint="`beian org list` shows them; `beian org add` adds one",
        )
    return row


def organisation_clash(session: Session, name: str, credit_code: str) -> str | None:
    """Why a new organisation named `name` would be confused with an existing one, or None.

    A name equal (by `fold`) to another's name, or equal to another's credit code.
    """
    from tracker.filings.identity import normalise_credit_code

    key = inputs.fold(name)
    for row in session.exec(
        select(OrganisationRow).where(
            or_(
                fold(OrganisationRow.name) == key,
                col(OrganisationRow.credit_code) == normalise_credit_code(name),
                col(OrganisationRow.credit_code) == credit_code,
            )
        )
    ).all():
        if row.credit_code == credit_code:
            return f"organisation {row.id} ({row.name}) already has credit code {credit_code}"
        if inputs.fold(row.name) == key:
            return f"an organisation named {row.name!r} exists already (id {row.id})"
        return f"the name {inputs.echo(name)} is the credit code of organisation {row.id} ({row.name})"
    return None


def next_seq(session: Session, kind: Kind) -> int:
    """The next sequence number for a kind's references."""
    current = session.exec(select(func.max(FilingRow.seq)).where(FilingRow.kind == kind.value)).one()
    return int(current or 0) + 1


def make_ref(kind: Kind, seq: int) -> str:
    """`ALG-0007`: the human reference of a filing."""
    return f"{REF_PREFIX[kind]}-{seq:04d}"


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
    The stored next due date is marked for recomputation in the same statement (`tracker.rules.next_due`).

    A Core statement on purpose: the ORM would also rewrite the loaded `FilingRow` in place, so a caller
    building the history row afterwards would read the new stage as the one the filing left. The row
    keeps its loaded values until the caller refreshes it.
    """
    if "title" in values:
        from tracker.filings.collation import sort_key

        values = {**values, "title_key": sort_key(values["title"])}
    # every change may move a deadline: its stored next due date is computed again by the next reader
    values = {**values, "next_due_stamp": None}
    columns = tuple(sorted(values))
    params = {f"set_{name}": values[name] for name in columns}
    params.update(match_id=filing_id, match_version=version, set_version=version + 1)
    result = session.connection().execute(_checked_update(columns), params)
    if result.rowcount != 1:
        raise Conflict("the filing was changed by someone else meanwhile", hint="look at it again and retry")


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
        raise NotFound(f"no filing {inputs.echo(ref)}", hint="`beian list` shows every reference")
    loaded = dict(found)
    loaded["last_effective"] = to_utc(loaded["last_effective"])
    return loaded


def filing_row(m: Mapping[str, Any]) -> FilingRow:
    """A detached `FilingRow` holding these values, for code that works on rows (rules, outbox)."""
    return FilingRow(**{c.name: m[c.name] for c in FILING_COLUMNS})


def transition_row(m: Mapping[str, Any]) -> TransitionRow:
    """A detached `TransitionRow` holding these values, for code that works on rows (the outbox)."""
    return TransitionRow(**m)


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


def insert_organisation(
    session: Session, *, name: str, credit_code: str, region: str | None, created_at: datetime
) -> Organisation:
    """Add an organisation row (with its pinyin sort key); a name or credit code already taken is a `UsageError`."""
    from tracker.filings.collation import sort_key

    row = OrganisationRow(
        name=name, credit_code=credit_code, region=region, created_at=created_at, name_key=sort_key(name)
    )
    session.add(row)
    try:
        session.flush()  # the caller's transaction rolls back when this raises
    except IntegrityError:
        raise UsageError(
            f"an organisation named {name!r} or with credit code {credit_code} exists already"
        ) from None
    return organisation_from_row(row)


def insert_filing(session: Session, values: Mapping[str, Any], organisation_name: str) -> Filing:
    """Add a filing row holding `values` (every column but `id` and the sort key); returns it as a domain object."""
    from tracker.filings.collation import sort_key

    row = FilingRow(**values, title_key=sort_key(values["title"]))
    session.add(row)
    session.flush()
    return filing_from_mapping({**row.model_dump(), "organisation_name": organisation_name})


@contextmanager
def number_clash(number: str | None) -> Iterator[None]:
    """Around a write transaction: a filing number taken meanwhile (unique constraint) becomes a refusal.

    Raises `TransitionRefused` for the filing number, `StorageError` for any other constraint.
    """
    try:
        yield
    except IntegrityError as exc:
        if "filing_number" in str(exc.orig):
            raise TransitionRefused(
                f"filing number {number or ''} is already used by another filing".replace("  ", " ")
            ) from None
        raise StorageError(f"the database refused the change: {str(exc.orig).splitlines()[0]}") from None
