"""Rules domain objects: checklist items, running deadlines and forecasts.

Dates are Beijing calendar days; durations are Chinese working days (工作日, 调休 counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from states import Kind, Stage


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
class Forecast:
    """When a filing is expected to leave review: a median and an 80th-percentile date (Beijing days), with the basis.

    Computed by `tracker.rules.forecast.forecast` from the rules' priors (DOMAIN §7.6) and the stage visits
    recorded in this database; `*_days` are Chinese working days from today.
    """

    kind: Kind
    stage: Stage
    """The stage the filing is in now."""
    target: Stage | None
    """The stage the forecast ends in (approved, or cancelled for a cancellation); None when nothing is ahead."""
    median_date: date | None
    p80_date: date | None
    median_days: float | None
    p80_days: float | None
    basis: str
    rules_version: str = ""
    stages: tuple[StageEstimate, ...] = ()
    """One estimate per stage still ahead, in order."""
    per_return: StageEstimate | None = None
    """What each further return for revision would add."""
    warnings: tuple[str, ...] = ()
    filing_id: int = 0
    """0 when computed for no stored filing (a what-if)."""
    ref: str = ""
