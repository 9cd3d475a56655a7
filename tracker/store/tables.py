"""SQLModel tables. Only `tracker.store` sees these rows; everything else gets `tracker.domain` objects.

Times are aware UTC (timestamptz on PostgreSQL, UTC text on SQLite); enums are stored as their string values.
The schema itself is owned by the Alembic migrations in `tracker/store/migrations/`; a test checks
that these tables and the migrated schema agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class OrganisationRow(SQLModel, table=True):
    """An organisation that files (主体)."""

    __tablename__ = "organisation"
    __table_args__ = (
        # the organisation sort's order (`tracker.filings.repo_listing`): walked instead of sorting filings
        Index("ix_organisation_sort", text("coalesce(name_key, lower(name))"), "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    credit_code: str | None = Field(default=None, max_length=18, unique=True)
    """None until someone records it: the CAC's published lists give only the organisation's name."""
    region: str | None = Field(default=None, max_length=12)
    created_at: datetime
    name_key: str | None = Field(default=None, max_length=600)
    """The name's pinyin sort key (`tracker.filings.collation.sort_key`); None sorts by the name itself."""


class FilingRow(SQLModel, table=True):
    """A filing and its current stage. `version` guards against lost updates."""

    __tablename__ = "filing"
    __table_args__ = (
        UniqueConstraint("kind", "seq", name="uq_filing_kind_seq"),
        Index("ix_filing_stage", "stage"),
        Index("ix_filing_org", "organisation_id"),
        Index("ix_filing_kind_seq", "kind", "seq"),
        Index("ix_filing_next_due", "next_due", "next_due_regulator"),
        Index("ix_filing_next_due_stamp", "next_due_stamp"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=20, unique=True)
    seq: int
    kind: str = Field(max_length=24)
    title: str = Field(max_length=300)
    organisation_id: int = Field(foreign_key="organisation.id")
    role: str | None = Field(default=None, max_length=24)
    algorithm_type: str | None = Field(default=None, max_length=24)
    upstream_model: str | None = Field(default=None, max_length=300)
    upstream_filing_number: str | None = Field(default=None, max_length=64)
    stage: str = Field(max_length=32)
    returned_from: str | None = Field(default=None, max_length=32)
    returns: int = 0
    filing_number: str | None = Field(default=None, max_length=64, unique=True)
    version: int = 1
    public_opinion: bool = True
    launch_date: date | None = None
    change_date: date | None = None
    termination_date: date | None = None
    description: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    title_key: str | None = Field(default=None, max_length=600)
    """The title's pinyin sort key (`tracker.filings.collation.sort_key`); None sorts by the title itself."""
    next_due: date | None = None
    """Due date (Beijing day) of the most urgent running statutory deadline; None: none runs (`tracker.rules.next_due`)."""
    next_due_regulator: bool | None = None
    """Whether that deadline binds the regulator (D4)."""
    next_due_stamp: str | None = Field(default=None, max_length=40)
    """The rules-and-calendar fingerprint `next_due` was computed with; None: to be computed."""


class TransitionRow(SQLModel, table=True):
    """Append-only history: one row per accepted event."""

    __tablename__ = "transition"
    __table_args__ = (Index("ix_transition_filing", "filing_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id")
    event: str = Field(max_length=32)
    from_stage: str = Field(max_length=32)
    to_stage: str = Field(max_length=32)
    effective_at: datetime
    recorded_at: datetime
    actor: str | None = Field(default=None, max_length=120)
    source: str = Field(max_length=16)
    note: str | None = Field(default=None, sa_type=Text)
    reason: str | None = Field(default=None, sa_type=Text)
    filing_number: str | None = Field(default=None, max_length=64)


class MetaRow(SQLModel, table=True):
    """Small counters; `revision` grows with every write so open dashboards know to refresh."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=40)
    value: int = 0


class MaterialRow(SQLModel, table=True):
    """One checklist item of a filing: provided or not, with evidence and who checked it."""

    __tablename__ = "material"
    __table_args__ = (UniqueConstraint("filing_id", "key", name="uq_material_filing_key"),)

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    key: str = Field(max_length=80)
    provided: bool = False
    path: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    checked_by: str | None = Field(default=None, max_length=120)
    checked_at: datetime | None = None
    reopened: int = 0


class RecipientRow(SQLModel, table=True):
    """Who gets an SMS, for an organisation or one filing, and for which events."""

    __tablename__ = "recipient"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    phone: str = Field(max_length=20)
    name: str | None = Field(default=None, max_length=120)
    events: str = Field(default="approve", max_length=300)
    language: str = Field(default="zh", max_length=4)
    created_at: datetime


class OutboxRow(SQLModel, table=True):
    """A notification written in the same transaction as its transition, delivered afterwards."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("transition_id", "phone", name="uq_outbox_transition_phone"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    """None for a message about no single filing (a digest's SMS summary)."""
    transition_id: int | None = Field(default=None, foreign_key="transition.id")
    recipient_id: int | None = Field(default=None, foreign_key="recipient.id")
    channel: str = Field(default="sms", max_length=12)
    phone: str = Field(max_length=20)
    event: str = Field(max_length=32)
    body: str = Field(sa_type=Text)
    segments: int = 1
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=80)
    sid: str | None = Field(default=None, max_length=64)
    delivery_status: str | None = Field(default=None, max_length=24)
    error_code: int | None = None
    error_message: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    """Set for messages that must exist once at most (a digest's SMS: `digest:PERIOD:PHONE`)."""


class SeenRow(SQLModel, table=True):
    """What one person last saw of one filing: its latest history row and edit, and its deadline state."""

    __tablename__ = "seen"
    __table_args__ = (UniqueConstraint("person", "filing_id", name="uq_seen_person_filing"),)

    id: int | None = Field(default=None, primary_key=True)
    person: str = Field(max_length=120)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    transition_id: int = 0
    edit_id: int = 0
    deadline: str = Field(default="", max_length=12)
    seen_at: datetime


class FilingEditRow(SQLModel, table=True):
    """Who created a filing or edited its descriptive fields, when, and which fields (append-only)."""

    __tablename__ = "filing_edit"
    __table_args__ = (Index("ix_filing_edit_filing", "filing_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id")
    actor: str | None = Field(default=None, max_length=120)
    at: datetime
    fields: str = Field(sa_type=Text)
    """Comma-separated names of the fields changed; `created` for the creation."""


class DigestRow(SQLModel, table=True):
    """A digest e-mail in the outbox: one per (channel, recipient, period), committed before it is sent."""

    __tablename__ = "digest"
    __table_args__ = (
        UniqueConstraint("channel", "recipient", "period", name="uq_digest_recipient_period"),
        Index("ix_digest_status_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="email", max_length=12)
    recipient: str = Field(max_length=254)
    period: str = Field(max_length=40)
    since: datetime
    until: datetime
    subject: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    html: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    message_id: str | None = Field(default=None, max_length=200)
    error_message: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None


class DigestScheduleRow(SQLModel, table=True):
    """Who gets a digest on a schedule (daily or weekly), by e-mail or SMS, optionally for one organisation."""

    __tablename__ = "digest_schedule"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_digest_schedule_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=12)
    address: str = Field(max_length=254)
    every: str = Field(max_length=8)
    format: str = Field(default="text", max_length=8)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime
