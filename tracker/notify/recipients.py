"""Recipient rows: who gets an SMS, for an organisation or a single filing, and for which events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracker.errors import NotFound, UsageError
from tracker.filings import repo
from tracker.notify.outbox import DEFAULT_EVENTS, parse_events
from tracker.notify.phone import normalise_phone
from tracker.store.tables import FilingRow, OrganisationRow, OutboxRow, RecipientRow
from tracker.timeutil import to_db


def add_recipient(
    session: Session,
    phone: str,
    *,
    organisation: str | int | None = None,
    filing: str | int | None = None,
    events: Iterable[str] | None = None,
    name: str | None = None,
    language: str = "zh",
    now: datetime,
) -> RecipientRow:
    """Add a recipient for an organisation (all its filings) or one filing; refuse a duplicate."""
    if (organisation is None) == (filing is None):
        raise UsageError(
            "a recipient belongs to an organisation or to a filing",
            hint="give exactly one of --org or --filing",
        )
    if language not in ("zh", "en"):
        raise UsageError(f"SMS language {language!r} is not available", hint="zh or en")
    number = normalise_phone(phone)
    chosen = parse_events(events) if events is not None else DEFAULT_EVENTS
    org_id: int | None = None
    filing_id: int | None = None
    if filing is not None:
        filing_row, _ = repo.find_filing(session, filing)
        filing_id = filing_row.id
        where = f"filing {filing_row.ref}"
    else:
        org_row = repo.find_organisation(session, organisation)  # type: ignore[arg-type]
        org_id = org_row.id
        where = f"organisation {org_row.name}"
    existing = session.exec(
        select(RecipientRow).where(
            RecipientRow.phone == number,
            RecipientRow.organisation_id == org_id,
            RecipientRow.filing_id == filing_id,
        )
    ).first()
    if existing is not None:
        raise UsageError(
            f"{number} already receives SMS for {where} (recipient {existing.id})",
            hint=f"remove it first with `beian notify recipients remove {existing.id}`",
        )
    row = RecipientRow(
        organisation_id=org_id,
        filing_id=filing_id,
        phone=number,
        name=(name or "").strip() or None,
        events=",".join(chosen),
        language=language,
        created_at=to_db(now),
    )
    session.add(row)
    session.flush()
    return row


def list_recipients(
    session: Session, *, organisation: str | int | None = None, filing: str | int | None = None
) -> Sequence[RecipientRow]:
    """Recipients, optionally of one organisation (its own, not its filings') or one filing (and its organisation's)."""
    statement = select(RecipientRow).order_by(col(RecipientRow.id))
    if filing is not None:
        filing_row, _ = repo.find_filing(session, filing)
        statement = statement.where(
            (col(RecipientRow.filing_id) == filing_row.id)
            | (col(RecipientRow.organisation_id) == filing_row.organisation_id)
        )
    elif organisation is not None:
        org_row = repo.find_organisation(session, organisation)
        statement = statement.where(col(RecipientRow.organisation_id) == org_row.id)
    return session.exec(statement).all()


def remove_recipient(session: Session, recipient_id: int) -> RecipientRow:
    """Delete a recipient; messages already queued for it stay in the outbox."""
    row = session.get(RecipientRow, recipient_id)
    if row is None:
        raise NotFound(f"no recipient {recipient_id}", hint="`beian notify recipients list` shows them")
    # keep the outbox history: detach its rows from the recipient instead of refusing the delete
    session.execute(
        update(OutboxRow).where(col(OutboxRow.recipient_id) == recipient_id).values(recipient_id=None)
    )
    session.delete(row)
    session.flush()
    return row


def scope_labels(session: Session, rows: Sequence[RecipientRow]) -> dict[int, str]:
    """For each recipient id: `ALG-0001` for a filing, the organisation's name for an organisation."""
    filing_ids = {r.filing_id for r in rows if r.filing_id is not None}
    org_ids = {r.organisation_id for r in rows if r.organisation_id is not None}
    refs = (
        dict(session.exec(select(FilingRow.id, FilingRow.ref).where(col(FilingRow.id).in_(filing_ids))).all())
        if filing_ids
        else {}
    )
    names = (
        dict(
            session.exec(
                select(OrganisationRow.id, OrganisationRow.name).where(col(OrganisationRow.id).in_(org_ids))
            ).all()
        )
        if org_ids
        else {}
    )
    labels: dict[int, str] = {}
    for r in rows:
        assert r.id is not None
        labels[r.id] = (
            refs.get(r.filing_id, "?") if r.filing_id is not None else names.get(r.organisation_id, "?")
        )
    return labels
