"""The regulatory rules as typed values, loaded from `data/rules/*.toml` by `tracker.rules.ruleset`.

Rules change with time: every materials item, deadline and setting may carry a period of effect
(`effective_from` / `effective_until`, both inclusive Beijing dates, with their own source). A `RuleSet` holds
every version; `RuleSet.at(day)` is the set in force on one day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
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
class Effective:
    """When a rule is in force: from `start` to `until`, both inclusive Beijing dates; None leaves that end open.

    `start` is the file's `effective_from`, `until` its `effective_until` (the last day in force). `source`
    says where the dates come from (a regulation's 施行 article, a standard's 实施日期), apart from the rule's
    own source; it is None for a rule that has always applied.
    """

    start: date | None = None
    until: date | None = None
    source: Source | None = None

    @property
    def always(self) -> bool:
        """True when neither end is set: the rule is in force on every date."""
        return self.start is None and self.until is None

    def covers(self, day: date) -> bool:
        """Whether the rule is in force on `day`."""
        return (self.start is None or day >= self.start) and (self.until is None or day <= self.until)

    def overlaps(self, other: Effective) -> bool:
        """Whether some day is in both periods."""
        return (self.start is None or other.until is None or self.start <= other.until) and (
            other.start is None or self.until is None or other.start <= self.until
        )

    @property
    def ends(self) -> date | None:
        """The first day the rule is no longer in force (the day after `until`), or None."""
        return self.until + timedelta(days=1) if self.until is not None else None

    def __str__(self) -> str:
        if self.start and self.until:
            return f"{self.start} to {self.until}"
        if self.start:
            return f"from {self.start}"
        if self.until:
            return f"until {self.until}"
        return "always"


ALWAYS = Effective()


@dataclass(frozen=True, slots=True)
class Condition:
    """Facts that must all hold for a material to be required; a field left None does not constrain."""

    kinds: frozenset[Kind] | None = None
    roles: frozenset[Role] | None = None
    algorithm_types: frozenset[AlgorithmType] | None = None
    third_party: bool | None = None

    def holds(
        self,
        *,
        kind: Kind,
        role: Role | None,
        algorithm_type: AlgorithmType | None,
        third_party: bool,
    ) -> bool:
        """Whether a filing with these facts meets the condition (dates are the item's `effective`, not this)."""
        return (
            (self.kinds is None or kind in self.kinds)
            and (self.roles is None or role in self.roles)
            and (self.algorithm_types is None or algorithm_type in self.algorithm_types)
            and (self.third_party is None or third_party == self.third_party)
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
    effective: Effective = ALWAYS
    """When this version of the item is in force (judged on the filing's submission date)."""

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
    effective: Effective = ALWAYS
    """When this version of the period is in force (judged on the day the period starts: its trigger date)."""


SettingValue = str | int | float


@dataclass(frozen=True, slots=True)
class Setting:
    """One version of a general setting (`[settings.NAME]`, or one of several `[[settings.NAME]]`)."""

    name: str
    value: SettingValue
    source: Source
    effective: Effective = ALWAYS


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
    """Every rule the regulator could change or that is not confirmed, as loaded from the rules files.

    `materials`, `deadlines` and `settings` hold every version in file order; a key (or deadline id, or
    setting name) has one version at most on any date. The scalar settings (`due_soon_days`, …) and
    `setting_sources` give the latest version: the one in force from the latest `effective_from` on.
    `at(day)` narrows everything to what is in force on one day.
    """

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
    settings: tuple[Setting, ...] = ()
    """Every version of every setting; empty for a set built by hand (the scalars are then all there is)."""
    regulator_clock_on_resubmit: ClockPolicy = "restart"
    """Setting `regulator_clock_on_resubmit` (source in `setting_sources`): see `tracker.rules.clocks`."""

    @property
    def restart_on_resubmit(self) -> bool:
        """Whether a resubmitted filing restarts at the first review instead of the stage that returned it."""
        return self.resubmit_reenters == "initial_review"

    def material(self, key: str, on: date | None = None) -> MaterialItem:
        """The checklist item with this key: the version in force `on`, else the latest; KeyError if none."""
        found = [i for i in self.materials if i.key == key and (on is None or i.effective.covers(on))]
        if not found:
            raise KeyError(key)
        return max(found, key=lambda i: _start_key(i.effective))

    def setting(self, name: str, on: date) -> SettingValue:
        """The value of setting `name` in force on `on`; KeyError for an unknown name."""
        for version in self.settings:
            if version.name == name and version.effective.covers(on):
                return version.value
        if name in _SCALARS:
            return getattr(self, name)  # type: ignore[no-any-return]
        raise KeyError(name)

    def at(self, day: date) -> RuleSet:
        """The rules in force on `day` (a Beijing date): items, deadlines and settings of that day only."""
        settings = tuple(s for s in self.settings if s.effective.covers(day))
        values = {s.name: s.value for s in settings if s.name in _SCALARS}
        return replace(
            self,
            materials=tuple(i for i in self.materials if i.effective.covers(day)),
            deadlines=tuple(d for d in self.deadlines if d.effective.covers(day)),
            settings=settings,
            setting_sources={**self.setting_sources, **{s.name: s.source for s in settings}},
            **values,  # type: ignore[arg-type]
        )

    def change_days(self) -> tuple[date, ...]:
        """Every day on which some rule starts or stops being in force, in order."""
        periods = [
            *(i.effective for i in self.materials),
            *(d.effective for d in self.deadlines),
            *(s.effective for s in self.settings),
        ]
        return tuple(sorted({d for p in periods for d in (p.start, p.ends) if d is not None}))

    def prior(self, kind: Kind, stage: Stage) -> Prior | None:
        """The built-in duration of `stage` for `kind`, if the rules give one."""
        return self.priors.get((kind, stage))


_SCALARS = (
    "resubmit_reenters",
    "due_soon_days",
    "offline_check_rate",
    "history_min_samples",
    "regulator_clock_on_resubmit",
)
"""The settings a RuleSet also carries as plain fields."""


def _start_key(effective: Effective) -> date:
    return effective.start or date.min
