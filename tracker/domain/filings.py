"""Filing domain objects: organisations, filings, their history and the queries over them.

Frozen dataclasses handed to the CLI, the dashboard and tests; rows are converted into these in
`tracker.filings.repo`. Times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from states import AlgorithmType, Event, Kind, Role, Stage

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
    credit_code: str | None
    """None for an organisation imported from a CAC list, which gives only its name."""
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
    "ref",
    "organisation",
    "title",
    "kind",
    "stage",
    "stage_entered_at",
    "returns",
    "filing_number",
    "updated_at",
    "deadline",
]
"""What a listing can be sorted by. Text sorts by pinyin (`tracker.filings.collation`), stages and kinds in
process order, `deadline` by the most urgent running deadline (working days left); empty values come last
in either direction."""

WaitingOn = Literal["regulator", "us"]
"""Whose move it is: the regulator's (a review stage) or the filer's (draft, returned)."""

WAITING_ON: dict[str, tuple[Stage, ...]] = {
    "regulator": (
        Stage.INITIAL_REVIEW,
        Stage.SECOND_REVIEW,
        Stage.OFFLINE_CHECK,
        Stage.FINAL_REVIEW,
        Stage.UNDER_REVIEW,
        Stage.PROVINCIAL_REVIEW,
        Stage.NATIONAL_REVIEW,
        Stage.CHANGE_REVIEW,
        Stage.CANCELLATION_REVIEW,
    ),
    "us": (Stage.DRAFT, Stage.RETURNED),
}
"""The stages in which each side has the next move (DOMAIN §4: the CAC reviews, the filer submits and resubmits)."""


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
    waiting_on: WaitingOn | None = None
    """Only filings in a stage where this side has the next move (`WAITING_ON`)."""
    overdue: bool = False
    """Only filings with an overdue running statutory deadline (the filer's or the regulator's)."""
    due_within: int | None = None
    """Only filings whose most urgent running deadline is at most this many Chinese working days away
    (工作日, 调休 counted; overdue ones included)."""

    @property
    def by_deadline(self) -> bool:
        """Whether the rules layer decides the rows (a deadline filter or the deadline sort)."""
        return self.overdue or self.due_within is not None or self.sort == "deadline"

    @property
    def filtered(self) -> bool:
        """Whether anything but the sort and window narrows the result."""
        return bool(
            self.stages
            or self.organisation
            or self.kinds
            or self.text
            or self.ids
            or self.waiting_on
            or self.overdue
            or self.due_within is not None
        )
