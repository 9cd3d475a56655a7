"""Queries and row↔domain conversion. The only module that builds SELECTs over the tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, or_, update
from sqlmodel import Session, col, select

from states import AlgorithmType, Event, Kind, Role, Stage
from tracker.domain import REF_PREFIX, Filing, FilingQuery, Organisation, Transition
from tracker.errors import Conflict, NotFound
from tracker.store.tables import FilingRow, MetaRow, OrganisationRow, TransitionRow


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


def filing_from_row(row: FilingRow, organisation: str) -> Filing:
    """Convert a filing row; `organisation` is the organisation's name."""
    assert row.id is not None
    return Filing(
        id=row.id,
        ref=row.ref,
        kind=Kind(row.kind),
        title=row.title,
        organisation_id=row.organisation_id,
        organisation=organisation,
        role=Role(row.role) if row.role else None,
        algorithm_type=AlgorithmType(row.algorithm_type) if row.algorithm_type else None,
        upstream_model=row.upstream_model,
        upstream_filing_number=row.upstream_filing_number,
        stage=Stage(row.stage),
        returned_from=Stage(row.returned_from) if row.returned_from else None,
        returns=row.returns,
        filing_number=row.filing_number,
        version=row.version,
        created_at=to_utc(row.created_at),  # type: ignore[arg-type]
        updated_at=to_utc(row.updated_at),  # type: ignore[arg-type]
        stage_entered_at=to_utc(row.stage_entered_at),  # type: ignore[arg-type]
        public_opinion=row.public_opinion,
        launch_date=row.launch_date,
        change_date=row.change_date,
        termination_date=row.termination_date,
        description=row.description,
    )


def transition_from_row(row: TransitionRow) -> Transition:
    """Convert a history row."""
    assert row.id is not None
    return Transition(
        id=row.id,
        filing_id=row.filing_id,
        event=Event(row.event),
        from_stage=Stage(row.from_stage),
        to_stage=Stage(row.to_stage),
        effective_at=to_utc(row.effective_at),  # type: ignore[arg-type]
        recorded_at=to_utc(row.recorded_at),  # type: ignore[arg-type]
        actor=row.actor,
        source=row.source,
        note=row.note,
        reason=row.reason,
        filing_number=row.filing_number,
    )


def parse_ref(ref: str | int) -> tuple[str, Any]:
    """('id', 12) for a numeric reference, ('ref', 'ALG-0001') for a human one."""
    if isinstance(ref, int):
        return "id", ref
    text = ref.strip()
    if text.isdigit():
        return "id", int(text)
    return "ref", text.upper()


def find_filing(session: Session, ref: str | int) -> tuple[FilingRow, str]:
    """The filing row and its organisation's name, or NotFound."""
    how, value = parse_ref(ref)
    column = FilingRow.id if how == "id" else FilingRow.ref
    statement = (
        select(FilingRow, OrganisationRow.name)
        .join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
        .where(column == value)
    )
    found = session.exec(statement).first()
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
        raise NotFound(f"no organisation {text!r}", hint="`beian org list` shows them; `beian org add` adds one")
    return row


def next_seq(session: Session, kind: Kind) -> int:
    """The next sequence number for a kind's references."""
    current = session.exec(select(func.max(FilingRow.seq)).where(FilingRow.kind == kind.value)).one()
    return int(current or 0) + 1


def make_ref(kind: Kind, seq: int) -> str:
    """`ALG-0007`: the human reference of a filing."""
    return f"{REF_PREFIX[kind]}-{seq:04d}"


def bump_revision(session: Session) -> None:
    """Advance the change counter that open dashboards poll."""
    session.execute(update(MetaRow).where(col(MetaRow.key) == "revision").values(value=col(MetaRow.value) + 1))


def read_revision(session: Session) -> int:
    """The change counter."""
    value = session.exec(select(MetaRow.value).where(MetaRow.key == "revision")).first()
    return int(value or 0)


def update_filing_checked(session: Session, filing_id: int, version: int, values: dict[str, Any]) -> None:
    """UPDATE … WHERE version = expected; a concurrent writer makes this a Conflict, never an overwrite."""
    result = session.execute(
        update(FilingRow)
        .where(col(FilingRow.id) == filing_id, col(FilingRow.version) == version)
        .values(version=version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
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
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    statement = _ordered(_filtered(statement, query), query)
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return session.execute(statement).all()


def filing_from_plain(row: Any) -> Filing:
    """Convert a row from `list_rows`."""
    m = row._mapping
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
    statement: Select[Any] = select(FilingRow.stage, func.count()).select_from(FilingRow)
    statement = statement.join(OrganisationRow, col(OrganisationRow.id) == col(FilingRow.organisation_id))
    statement = _filtered(statement, query, with_stages=False).group_by(FilingRow.stage)
    return {Stage(stage): int(n) for stage, n in session.execute(statement).all()}


def history_rows(session: Session, filing_id: int) -> Sequence[TransitionRow]:
    """A filing's history, oldest first."""
    statement = select(TransitionRow).where(TransitionRow.filing_id == filing_id).order_by(col(TransitionRow.id))
    return session.exec(statement).all()


def last_effective(session: Session, filing_id: int) -> datetime | None:
    """When the filing's latest event took effect."""
    value = session.exec(
        select(func.max(TransitionRow.effective_at)).where(TransitionRow.filing_id == filing_id)
    ).one()
    return to_utc(value)


def entity_approved(session: Session, organisation_id: int) -> bool:
    """Whether the organisation's entity filing (主体备案) is approved."""
    statement = select(FilingRow.id).where(
        FilingRow.organisation_id == organisation_id,
        FilingRow.kind == Kind.ENTITY.value,
        FilingRow.stage == Stage.APPROVED.value,
    )
    return session.exec(statement).first() is not None


def number_in_use(session: Session, number: str, filing_id: int) -> str | None:
    """The reference of another filing already holding `number`, if any."""
    statement = select(FilingRow.ref).where(FilingRow.filing_number == number, FilingRow.id != filing_id)
    return session.exec(statement).first()


def now_utc() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)
