"""Domain objects: frozen dataclasses handed to the CLI, the dashboard and tests.

Storage rows never leave `tracker.store`; they are converted into these at the repository edge.
Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass(frozen=True, slots=True)
class MaterialStatus:
    """One item of a filing's materials checklist: what it is, and whether it is provided."""

    key: str
    zh: str
    en: str
    mandatory: bool
    provided: bool
    path: str | None = None
    note: str | None = None
    checked_by: str | None = None
    checked_at: datetime | None = None
    """When the item was last ticked or unticked."""
    reopened: int = 0
    """How many times a return for revision asked for this item again."""
    check: str | None = None
    """The item's value must be a filing number of this format (algo_filing_number, genai_filing_number)."""
    hint: str | None = None
    source: str = ""
    """Where the requirement comes from: "[tag] citation"."""

    @property
    def label(self) -> str:
        """Bilingual label, "zh (en)"."""
        return f"{self.zh} ({self.en})"


@dataclass(frozen=True, slots=True)
class Deadline:
    """One running statutory period and where the filing stands against it."""

    id: str
    zh: str
    en: str
    trigger: str
    """Which recorded date started the period (launch_date, change_date, …)."""
    trigger_date: date
    due_date: date
    working_days: int
    working_days_left: int
    """Working days after today up to the due date; negative once overdue."""
    overdue: bool
    due_soon: bool
    regulator_sla: bool
    """The period binds the regulator: an overrun is the regulator's, not the filer's."""
    basis: str
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Bilingual label, "zh (en)"."""
        return f"{self.zh} ({self.en})"


@dataclass(frozen=True, slots=True)
class DeadlineView(Deadline):
    """A running deadline together with the filing it belongs to."""

    filing_id: int = 0
    ref: str = ""


@dataclass(frozen=True, slots=True)
class StageEstimate:
    """Working days a filing is expected to spend (still) in one stage."""

    stage: Stage
    median_days: float
    p80_days: float
    probability: float
    """1.0, or the chance that a sampled stage (线下核查) happens at all."""
    basis: Literal["history", "prior"]
    samples: int
    """Recorded visits of this stage in this database."""
    elapsed_days: int = 0


@dataclass(frozen=True, slots=True)
class ForecastView:
    """When a filing is expected to leave review: a median and an 80th-percentile date, with the basis."""

    filing_id: int
    ref: str
    kind: Kind
    stage: Stage
    target: Stage | None
    """The stage the forecast ends in (approved, or cancelled for a cancellation); None when nothing is ahead."""
    median_date: date | None
    p80_date: date | None
    median_days: float | None
    p80_days: float | None
    basis: str
    rules_version: str
    stages: tuple[StageEstimate, ...] = ()
    per_return: StageEstimate | None = None
    """What each further return for revision would add."""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one pass of the dispatcher did."""

    configured: bool
    """False: nothing was sent, every pending row is still waiting ("SMS not configured")."""
    sent: int = 0
    retrying: int = 0
    """Retryable failures (429, 5xx, timeouts) scheduled for a later attempt."""
    failed: int = 0
    """Permanent refusals, or rows out of attempts, in this pass."""
    requeued: int = 0
    """Claims abandoned by a dead dispatcher before they reached Twilio, put back to pending."""
    interrupted: int = 0
    """Rows a dead dispatcher was handing to Twilio, now `unknown` (never resent automatically)."""
    pending: int = 0
    """Rows still waiting after this pass (due later, or not configured)."""
    unknown: int = 0
    """Rows in `unknown` altogether, awaiting `beian notify status` or a person."""
    dry_run: bool = False
    previews: tuple[Notification, ...] = ()
    """With `dry_run`: the rows that would be sent now."""
    stopped: str | None = None
    """Why the pass stopped early (Twilio refused the credentials), if it did."""

    @property
    def summary(self) -> str:
        """One line for the CLI and the dashboard."""
        if self.dry_run:
            return f"dry run: {len(self.previews)} message(s) would be sent now, nothing was sent"
        if not self.configured:
            return f"SMS not configured: {self.pending} message(s) wait and go out once Twilio is configured"
        parts = [f"{self.sent} sent"]
        for count, words in (
            (self.retrying, "to retry"),
            (self.failed, "failed"),
            (self.requeued, "re-queued after an interrupted run"),
            (self.interrupted, "interrupted while sending (need a check)"),
            (self.pending, "waiting"),
        ):
            if count:
                parts.append(f"{count} {words}")
        if self.unknown:
            parts.append(f"{self.unknown} unknown: check with `beian notify status`")
        line = ", ".join(parts)
        return f"{line}; stopped: {self.stopped}" if self.stopped else line


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What one poll of Twilio's delivery statuses found."""

    configured: bool
    checked: int = 0
    changed: int = 0
    found: int = 0
    """`unknown` rows that Twilio turned out to have (now `sent`, with their SID)."""
    not_found: int = 0
    """`unknown` rows Twilio has no trace of: resend with `beian notify retry ID --force`."""
    errors: int = 0
    statuses: Mapping[str, int] = field(default_factory=dict)
    """Delivery status → number of messages, over the messages checked."""

    @property
    def summary(self) -> str:
        """One line for the CLI and the dashboard."""
        if not self.configured:
            return "SMS not configured: nothing to poll"
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "nothing to poll"
        line = f"checked {self.checked}: {counts}; {self.changed} changed"
        if self.found or self.not_found:
            line += f"; unknown rows: {self.found} found at Twilio, {self.not_found} not found"
        if self.errors:
            line += f"; {self.errors} could not be checked"
        return line


@dataclass(frozen=True, slots=True)
class SmsPreview:
    """A message rendered for a filing and event, with its cost in segments."""

    ref: str
    event: str
    language: str
    body: str
    encoding: str
    units: int
    segments: int
    max_segments: int
    shortened: bool
    recipients: int
    """How many phones would receive it now."""
