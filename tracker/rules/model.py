"""The regulatory rules as typed values, loaded from `data/rules/*.toml` by `tracker.rules.ruleset`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from states import AlgorithmType, Kind, Role, Stage

ReentryPolicy = Literal["returned_from", "initial_review"]
ClockPolicy = Literal["restart", "resume"]
"""What the regulator's clock does on a resubmission: start again from zero, or go on where it stopped."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule comes from: a reliability tag and a citation."""

    tag: str
    cite: str

    def __str__(self) -> str:
        return f"[{self.tag}] {self.cite}"


@dataclass(frozen=True, slots=True)
class Condition:
    """Facts that must all hold for a material to be required; a field left None does not constrain."""

    kinds: frozenset[Kind] | None = None
    roles: frozenset[Role] | None = None
    algorithm_types: frozenset[AlgorithmType] | None = None
    third_party: bool | None = None
    from_date: date | None = None
    before: date | None = None

    def holds(
        self,
        *,
        kind: Kind,
        role: Role | None,
        algorithm_type: AlgorithmType | None,
        third_party: bool,
        on: date,
    ) -> bool:
        """Whether a filing with these facts, submitted `on`, meets the condition."""
        return (
            (self.kinds is None or kind in self.kinds)
            and (self.roles is None or role in self.roles)
            and (self.algorithm_types is None or algorithm_type in self.algorithm_types)
            and (self.third_party is None or third_party == self.third_party)
            and (self.from_date is None or on >= self.from_date)
            and (self.before is None or on < self.before)
        )


@dataclass(frozen=True, slots=True)
class MaterialItem:
    """One entry of a materials checklist."""

    key: str
    zh: str
    en: str
    mandatory: bool
    source: Source
    when: tuple[Condition, ...] = ()
    """The item applies when any condition holds; an empty tuple means always."""
    note: str | None = None
    check: Literal["algo_filing_number", "genai_filing_number"] | None = None
    """The note or value given for this item must be a filing number of this format."""

    @property
    def label(self) -> str:
        """Bilingual label, "zh (en)"."""
        return f"{self.zh} ({self.en})"


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """A statutory period in working days, and when it runs."""

    id: str
    zh: str
    en: str
    working_days: int
    triggers: tuple[str, ...]
    """Names of the trigger dates, first one set wins (e.g. materials_complete_date, then submitted)."""
    kinds: frozenset[Kind]
    stages: frozenset[Stage]
    regulator_sla: bool
    public_opinion_only: bool
    basis: str
    source: Source


@dataclass(frozen=True, slots=True)
class Prior:
    """Built-in duration of one stage in working days, used while the database's own history is thin."""

    kind: Kind
    stage: Stage
    median: float
    p80: float
    source: Source


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every rule the regulator could change or that is not confirmed, as loaded from the rules files."""

    version: str
    files: tuple[Path, ...]
    resubmit_reenters: ReentryPolicy
    due_soon_days: int
    offline_check_rate: float
    history_min_samples: int
    materials: tuple[MaterialItem, ...]
    deadlines: tuple[DeadlineRule, ...]
    priors: Mapping[tuple[Kind, Stage], Prior]
    review_paths: Mapping[Kind, tuple[Stage, ...]]
    prior_basis: str
    setting_sources: Mapping[str, Source] = field(default_factory=dict)
    regulator_clock_on_resubmit: ClockPolicy = "restart"
    """Setting `regulator_clock_on_resubmit` (source in `setting_sources`): see `tracker.rules.clocks`."""

    @property
    def restart_on_resubmit(self) -> bool:
        """Whether a resubmitted filing restarts at the first review instead of the stage that returned it."""
        return self.resubmit_reenters == "initial_review"

    def material(self, key: str) -> MaterialItem:
        """The checklist item with this key; KeyError if there is none."""
        for item in self.materials:
            if item.key == key:
                return item
        raise KeyError(key)

    def prior(self, kind: Kind, stage: Stage) -> Prior | None:
        """The built-in duration of `stage` for `kind`, if the rules give one."""
        return self.priors.get((kind, stage))
