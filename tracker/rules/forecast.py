"""Expected approval date: per-stage durations learned from this database, or built-in priors while thin.

Each stage's duration (working days) comes from the recorded visits of that stage when there are at least
`history_min_samples` of them, else from the rules' prior (log-normal through its median and 80th
percentile). The time already spent in the current stage conditions its remaining time. Stage totals are
added: medians add, and the spreads above the median add in quadrature (a normal approximation), so one
stage alone gives exactly its own median and 80th percentile. 线下核查 is sampled, so it enters with the
offline-check probability unless it is known to happen or not. Returns are not forecast; `per_return` says
what each further return would add.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

from states import Kind, Stage, label
from tracker.domain import Forecast, StageEstimate
from tracker.rules.calendar import WorkCalendar
from tracker.rules.model import Prior, RuleSet

__all__ = ["Forecast", "StageSample", "forecast"]

_Z80 = NormalDist().inv_cdf(0.8)
_SAMPLED = Stage.OFFLINE_CHECK
_SINGLE_STAGE = {Stage.CHANGE_REVIEW: Stage.APPROVED, Stage.CANCELLATION_REVIEW: Stage.CANCELLED}


@dataclass(frozen=True, slots=True)
class StageSample:
    """One recorded visit of a stage: how many working days a filing spent in it."""

    kind: Kind
    stage: Stage
    working_days: float
    filing_id: int | None = None
    """Lets the basis count filings rather than visits."""


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _prior_remaining(prior: Prior, elapsed: float) -> tuple[float, float]:
    if elapsed <= 0:
        return prior.median, prior.p80
    sigma = math.log(prior.p80 / prior.median) / _Z80
    if sigma == 0:
        left = max(prior.median - elapsed, 0.0)
        return left, left
    mu = math.log(prior.median)
    dist = NormalDist()
    done = dist.cdf((math.log(elapsed) - mu) / sigma)

    def at(q: float) -> float:
        p = min(done + q * (1 - done), 1 - 1e-12)
        return max(math.exp(mu + sigma * dist.inv_cdf(p)) - elapsed, 0.0)

    return at(0.5), at(0.8)


class _Estimator:
    def __init__(self, rules: RuleSet, kind: Kind, samples: Sequence[StageSample]) -> None:
        self.rules = rules
        self.kind = kind
        self.by_stage: dict[Stage, list[StageSample]] = {}
        for sample in samples:
            if sample.kind == kind:
                self.by_stage.setdefault(Stage(sample.stage), []).append(sample)
        self.warnings: list[str] = []
        self.used: dict[Stage, list[StageSample]] = {}
        self.prior_stages: list[Stage] = []

    def stage(self, stage: Stage, elapsed: int = 0, probability: float = 1.0) -> StageEstimate | None:
        history = self.by_stage.get(stage, [])
        name = label(stage, "both", self.kind)
        if len(history) >= self.rules.history_min_samples:
            left = [s.working_days - elapsed for s in history if s.working_days > elapsed]
            if left:
                self.used[stage] = history
                median, p80 = _quantile(left, 0.5), _quantile(left, 0.8)
                return StageEstimate(stage, median, p80, probability, "history", len(history), elapsed)
            self.warnings.append(
                f"{name} has lasted {elapsed} working days, longer than every recorded visit"
            )
        prior = self.rules.prior(self.kind, stage)
        if prior is None:
            self.warnings.append(f"no duration known for {name}: counted as 0 working days")
            return None
        self.prior_stages.append(stage)
        median, p80 = _prior_remaining(prior, elapsed)
        return StageEstimate(stage, median, p80, probability, "prior", len(history), elapsed)

    def basis(self) -> str:
        prior = self.rules.prior_basis
        if not self.used:
            return f"from {prior}"
        ids = {s.filing_id for visits in self.used.values() for s in visits}
        count = len(ids) if None not in ids else max(len(v) for v in self.used.values())
        own = f"{count} filing{'s' if count != 1 else ''} in this database"
        if not self.prior_stages:
            return f"from {own}"
        mine = ", ".join(label(s, "en") for s in self.used)
        theirs = ", ".join(label(s, "en") for s in dict.fromkeys(self.prior_stages))
        return f"from {own} ({mine}) and {prior} ({theirs})"


def _route(
    rules: RuleSet, kind: Kind, current: Stage, returned_from: Stage | None
) -> tuple[list[Stage], Stage | None, str | None]:
    """The stages still ahead (current first), the stage they end in, and a caveat."""
    path = list(rules.review_paths.get(kind, ()))
    if current in path:
        return path[path.index(current) :], Stage.APPROVED, None
    if current in _SINGLE_STAGE:
        return [current], _SINGLE_STAGE[current], None
    if current == Stage.DRAFT and path:
        return path, Stage.APPROVED, "not submitted yet: the forecast assumes submission today"
    if current == Stage.RETURNED and path:
        if returned_from in _SINGLE_STAGE:
            return [current, returned_from], _SINGLE_STAGE[returned_from], None
        if rules.restart_on_resubmit:
            return [current, *path], Stage.APPROVED, None
        if returned_from not in path:
            caveat = (
                "the stage that returned the filing is not recorded: assumes it re-enters at the first review"
            )
            return [current, *path], Stage.APPROVED, caveat
        return [current, *path[path.index(returned_from) :]], Stage.APPROVED, None
    return [], None, None


def forecast(
    rules: RuleSet,
    calendar: WorkCalendar,
    *,
    kind: Kind,
    current_stage: Stage,
    entered_current_at: date,
    today: date,
    samples: Sequence[StageSample],
    offline_check: bool | None = None,
    returned_from: Stage | None = None,
    filing_id: int = 0,
    ref: str = "",
) -> Forecast:
    """Forecast when a filing of `kind`, in `current_stage` since `entered_current_at`, leaves review.

    Dates are Beijing days, durations Chinese working days (`calendar`); `filing_id`/`ref` only label the result.
    """
    estimator = _Estimator(rules, kind, samples)
    # a separate estimator, so the cost of a return neither warns nor counts in the basis
    per_return = _Estimator(rules, kind, samples).stage(Stage.RETURNED)
    stages, target, caveat = _route(rules, kind, current_stage, returned_from)
    if not stages:
        what = label(current_stage, "both", kind)
        done = (f"no forecast: the filing is {what}",)
        return Forecast(
            kind=kind,
            stage=current_stage,
            target=None,
            median_date=None,
            p80_date=None,
            median_days=None,
            p80_days=None,
            basis="",
            rules_version=rules.version,
            per_return=per_return,
            warnings=done,
            filing_id=filing_id,
            ref=ref,
        )
    warnings: list[str] = [caveat] if caveat else []
    elapsed = calendar.workdays_between(entered_current_at, today) if current_stage != Stage.DRAFT else None
    # the stage a filing is in, or re-enters after a return, is certain; a later 线下核查 is only sampled
    certain = 2 if current_stage == Stage.RETURNED else 1
    per_stage: list[StageEstimate] = []
    for i, stage in enumerate(stages):
        probability = 1.0
        if stage == _SAMPLED and i >= certain:
            probability = rules.offline_check_rate if offline_check is None else float(offline_check)
            if probability == 0:
                continue
        spent = max(elapsed.days, 0) if (i == 0 and elapsed is not None) else 0
        estimate = estimator.stage(stage, spent, probability)
        if estimate is not None:
            per_stage.append(estimate)
    median = sum(s.probability * s.median_days for s in per_stage)
    spread2 = sum(
        s.probability * (s.p80_days - s.median_days) ** 2
        + s.probability * (1 - s.probability) * (_Z80 * s.median_days) ** 2
        for s in per_stage
    )
    p80 = median + math.sqrt(spread2)
    median_due = calendar.add_workdays(today, math.ceil(median - 1e-9))
    p80_due = calendar.add_workdays(today, math.ceil(p80 - 1e-9))
    warnings += estimator.warnings
    warnings += [*(elapsed.warnings if elapsed else ()), *median_due.warnings, *p80_due.warnings]
    return Forecast(
        kind=kind,
        stage=current_stage,
        target=target,
        median_date=median_due.date,
        p80_date=p80_due.date,
        median_days=median,
        p80_days=p80,
        basis=estimator.basis(),
        rules_version=rules.version,
        stages=tuple(per_stage),
        per_return=per_return,
        warnings=tuple(dict.fromkeys(warnings)),
        filing_id=filing_id,
        ref=ref,
    )
