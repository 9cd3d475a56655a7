"""Domain objects: frozen dataclasses handed to the CLI, the dashboard and tests.

Storage rows never leave `tracker.store`; they are converted into these at the repository edge.
Times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from states import AlgorithmType, Event, Kind, Outcome, Role, Stage

__all__ = [
    "AdvanceResult",
    "AlgorithmType",
    "Event",
    "Filing",
    "FilingDraft",
    "FilingQuery",
    "Kind",
    "Organisation",
    "Outcome",
    "Role",
    "SortKey",
    "Stage",
    "Transition",
]

REF_PREFIX: dict[Kind, str] = {
    Kind.ALGORITHM: "ALG",
    Kind.ENTITY: "ENT",
    Kind.GENAI_FILING: "GAI",
    Kind.GENAI_REGISTRATION: "REG",
}


@dataclass(frozen=True, slots=True)
class Organisation:
    """A company that files: one entity filing, many algorithm filings."""

    id: int
    name: str
    credit_code: str
    region: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Filing:
    """One filing (entity, algorithm, or generative-AI) and where it stands."""

    id: int
    ref: str
    kind: Kind
    title: str
    organisation_id: int
    organisation: str
    role: Role | None
    algorithm_type: AlgorithmType | None
    upstream_model: str | None
    upstream_filing_number: str | None
    stage: Stage
    returned_from: Stage | None
    returns: int
    filing_number: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    public_opinion: bool = True
    launch_date: date | None = None
    change_date: date | None = None
    termination_date: date | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class FilingDraft:
    """What a user gives to create a filing."""

    organisation: str
    title: str
    kind: Kind = Kind.ALGORITHM
    role: Role | None = None
    algorithm_type: AlgorithmType | None = None
    upstream_model: str | None = None
    upstream_filing_number: str | None = None
    public_opinion: bool = True
    launch_date: date | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a filing's append-only history."""

    id: int
    filing_id: int
    event: Event
    from_stage: Stage
    to_stage: Stage
    effective_at: datetime
    recorded_at: datetime
    actor: str | None
    source: str
    note: str | None = None
    reason: str | None = None
    filing_number: str | None = None


@dataclass(frozen=True, slots=True)
class AdvanceResult:
    """What an accepted event did."""

    filing: Filing
    transition: Transition
    warnings: tuple[str, ...] = ()
    notifications: int = 0


SortKey = Literal[
    "ref", "organisation", "title", "kind", "stage", "stage_entered_at", "returns", "filing_number", "updated_at"
]


@dataclass(frozen=True, slots=True)
class FilingQuery:
    """Filters, sort and window for listing filings; every field is optional."""

    stages: tuple[Stage, ...] = ()
    organisation: str | None = None
    kinds: tuple[Kind, ...] = ()
    text: str | None = None
    sort: SortKey = "ref"
    descending: bool = False
    offset: int = 0
    limit: int | None = None
    ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone who gets an SMS for an organisation's or one filing's events."""

    id: int
    phone: str
    name: str | None
    events: tuple[str, ...]
    language: str
    organisation_id: int | None
    filing_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Notification:
    """One outbox row as a user sees it: what, to whom, and how delivery went."""

    id: int
    filing_id: int
    filing_ref: str
    phone: str
    event: str
    body: str
    segments: int
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sid: str | None = None
    delivery_status: str | None = None
    error_code: int | None = None
    error_message: str | None = None
