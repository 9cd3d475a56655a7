"""Rules domain objects: checklist items, running deadlines, forecasts, and the rules in force by date.

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
    provisional: bool = False
    """The count runs through a year whose 调休 schedule is not yet published: the due date may still move."""

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


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """One version of one rule of `data/rules/`, as `beian rules` lists it.

    `key` is the material key, the deadline id (D1…) or the setting name; `detail` says in a line what the
    rule asks (a material's conditions, a deadline's working days and trigger, a setting's value). The period
    of effect is inclusive (Beijing dates; None leaves that end open) and has its own source.
    """

    section: Literal["material", "deadline", "setting"]
    key: str
    zh: str
    en: str
    detail: str
    source: str
    """Reliability tag of the rule (official, practitioner, …)."""
    cite: str
    effective_from: date | None = None
    effective_until: date | None = None
    effective_source: str | None = None
    """Reliability tag of the dates of effect; None for a rule that always applies."""
    effective_cite: str | None = None

    @property
    def label(self) -> str:
        """Bilingual label, "zh (en)"; a setting shows its name once."""
        return self.zh if self.zh == self.en else f"{self.zh} ({self.en})"


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule that started, stopped or changed on `day` (the first Beijing day the new state applies)."""

    day: date
    change: Literal["added", "removed", "changed"]
    before: RuleVersion | None
    """The version in force the day before (None for an added rule)."""
    after: RuleVersion | None
    """The version in force from `day` (None for a removed rule)."""

    @property
    def rule(self) -> RuleVersion:
        """The version that describes the change: the new one, or the removed one."""
        found = self.after or self.before
        assert found is not None
        return found


@dataclass(frozen=True, slots=True)
class RulesInForce:
    """The rules in force on `day` (a Beijing date), and the state of that year's holiday calendar."""

    day: date
    version: str
    """The rules set's `version` string."""
    rules: tuple[RuleVersion, ...]
    calendar_coverage: str
    """Where `day`'s holiday schedule comes from: override, package, partial, statutory (provisional) or none."""
    calendar_provisional: bool = False
    """The year's 调休 schedule is not yet published: working days that year may still change."""
    calendar_warning: str | None = None
