"""The regulator's clock, recomputed from history: running, stopped, restarted, met, breached.

Art. 25 of 《互联网信息服务算法推荐管理规定》: "材料齐全的，应当在三十个工作日内予以备案" (DOMAIN §7.5, deadline D4
in `data/rules/deadlines.toml`, which gives the 30 and the kinds it binds). The clock

- starts on the submission that sends the filing into review (`submit`: draft → 资质初审), on its Beijing day;
- runs while the filing is in a stage tagged `review` (the regulator is reviewing it; `states.machines`);
- stops on `return_for_revision` (退回修改): the days in `returned` are the filer's, counted separately;
- restarts on `resubmit`, from zero or where it stopped, as the rules setting `regulator_clock_on_resubmit`
  says (`data/rules/settings.toml`, with its source); review days voided by a restart are "lost to returns";
- ends on the decision (`approve`, `reject`: met, or breached past the limit) or when the filer withdraws.

Nothing is stored: every clock is computed from the transitions and the calendar, so a corrected calendar or
rule changes every clock at once. Working days are counted with a prefix sum over the calendar
(`WorkdayCounter`), so a whole portfolio costs one pass over its history.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import states
from states import AlgorithmType, Event, Kind, Stage, has_tag
from tracker.domain.clocks import ClockState, GroupStats, RegulatorClock, StageStat
from tracker.rules.model import ClockPolicy, RuleSet

__all__ = ["ClockRule", "Step", "clock_rule", "compute_clock", "group_stats", "resumed_days", "stage_visits"]

Count = Callable[[date, date], int]
"""Working days after the first date up to and including the second."""

_DECISIONS = frozenset({Event.APPROVE.value, Event.REJECT.value})


@dataclass(frozen=True, slots=True)
class Step:
    """One history row as the clock needs it: the event, the stages, its Beijing day and the reason given."""

    event: str
    from_stage: str
    to_stage: str
    day: date
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ClockRule:
    """The regulator's period for one kind (None when no period binds it) and what a resubmission does."""

    limit: int | None
    policy: ClockPolicy
    basis: str


def clock_rule(rules: RuleSet, kind: Kind) -> ClockRule:
    """The regulator's period for `kind` from the rules' regulator deadline (D4, Art. 25) and the restart setting."""
    source = rules.setting_sources.get("regulator_clock_on_resubmit")
    policy = rules.regulator_clock_on_resubmit
    on_resubmit = f"on resubmission the clock {'restarts from zero' if policy == 'restart' else 'resumes'}"
    if source is not None:
        on_resubmit += f" {source}"
    for rule in rules.deadlines:
        if rule.regulator_sla and kind in rule.kinds:
            return ClockRule(rule.working_days, policy, f"{rule.id}: {rule.basis}; {on_resubmit}")
    return ClockRule(None, policy, f"no regulator period binds this kind; {on_resubmit}")


@cache
def _review(kind: str, stage: str) -> bool:
    try:
        return has_tag(Kind(kind), Stage(stage), "review")
    except ValueError:
        return False


def _stage(kind: str, stage: str) -> str:
    try:
        return states.label(Stage(stage), "both", Kind(kind))
    except ValueError:
        return stage


def _cycle_start(kind: str, steps: Sequence[Step]) -> int | None:
    """Index of the step that opened the latest review cycle (a submission, not a resubmission), or None."""
    start: int | None = None
    for i, step in enumerate(steps):
        if (
            _review(kind, step.to_stage)
            and not _review(kind, step.from_stage)
            and step.from_stage != Stage.RETURNED.value
        ):
            start = i
    return start


def compute_clock(
    filing_id: int,
    ref: str,
    kind: str,
    steps: Sequence[Step],
    *,
    count: Count,
    today: date,
    rule: ClockRule,
) -> RegulatorClock:
    """The clock of one filing from its history (oldest first), counted up to `today` while review goes on.

    The latest review cycle counts: a filing approved, changed and submitted anew is timed from that submission.
    """
    start = _cycle_start(kind, steps)
    if start is None:
        return RegulatorClock(
            filing_id, ref, None, None, None, 0, 0, 0, 0, rule.limit, rule.policy, basis=rule.basis
        )
    end: int | None = None
    for j in range(start + 1, len(steps)):
        if not _review(kind, steps[j].to_stage) and steps[j].to_stage != Stage.RETURNED.value:
            end = j
            break
    end_day = steps[end].day if end is not None else today
    stop = end if end is not None else len(steps)
    regulator = filer = voided = restarts = 0
    for j in range(start, stop):
        step = steps[j]
        if step.from_stage == Stage.RETURNED.value and j > start:
            restarts += 1
            if rule.policy == "restart":
                voided += regulator
                regulator = 0
        until = steps[j + 1].day if j + 1 < len(steps) else end_day
        days = max(count(step.day, until), 0)
        if _review(kind, step.to_stage):
            regulator += days
        else:
            filer += days
    elapsed = max(count(steps[start].day, end_day), 0)
    limit = rule.limit
    over = limit is not None and regulator > limit
    state, why, since = _state(kind, steps, end, regulator, limit, over)
    return RegulatorClock(
        filing_id=filing_id,
        ref=ref,
        state=state,
        started=steps[start].day,
        ended=end_day if end is not None else None,
        elapsed_working_days=elapsed,
        regulator_working_days=regulator,
        filer_working_days=filer,
        returns_working_days=voided,
        limit=limit,
        policy=rule.policy,
        restarts=restarts,
        stopped_since=since,
        why=why,
        basis=rule.basis,
    )


def resumed_days(kind: str, steps: Sequence[Step], *, count: Count, rule: ClockRule) -> int:
    """Working days with the regulator a resuming clock carries into the filing's latest resubmission (0 when
    the clock restarts, or the review cycle under way has no resubmission).

    Art. 25's period (D4) then runs `limit - resumed_days` working days from that resubmission, so its due date
    is the day the clock of `compute_clock` reaches its limit.
    """
    if rule.policy != "resume":
        return 0
    start = _cycle_start(kind, steps)
    if start is None:
        return 0
    last: int | None = None
    for j in range(start + 1, len(steps)):
        if not _review(kind, steps[j].to_stage) and steps[j].to_stage != Stage.RETURNED.value:
            return 0  # the cycle ended (a decision, a withdrawal): no period is running
        if steps[j].from_stage == Stage.RETURNED.value:
            last = j
    if last is None:
        return 0
    before = compute_clock(0, "", kind, steps[:last], count=count, today=steps[last].day, rule=rule)
    return before.regulator_working_days


def _state(
    kind: str, steps: Sequence[Step], end: int | None, regulator: int, limit: int | None, over: bool
) -> tuple[ClockState, str | None, date | None]:
    """(state, why, stopped since) of a started clock."""
    late = f"{regulator} working days with the regulator, {regulator - (limit or 0)} past the {limit}"
    if end is not None:
        step = steps[end]
        if step.event in _DECISIONS:
            decided = f"{states.label(Event(step.event), 'en')} on {step.day}"
            if over:
                return "breached", f"decided ({decided}) after {late}", None
            return "met", f"decided ({decided}) after {regulator} working days", None
        left = _stage(kind, step.to_stage)
        return "stopped", f"review ended without a decision: {left} on {step.day}", step.day
    last = steps[-1]
    if last.to_stage == Stage.RETURNED.value:
        origin = _stage(kind, last.from_stage)
        because = f": {last.reason}" if last.reason else ""
        return (
            "stopped",
            f"returned for revision (退回修改) by {origin} on {last.day}{because}; with the filer until resubmitted",
            last.day,
        )
    if over:
        return "breached", f"the regulator is overdue: {late}", None
    return "running", None, None


def stage_visits(
    kind: str, steps: Sequence[Step], *, count: Count, today: date
) -> Iterable[tuple[str, int, bool]]:
    """(stage, working days, finished) of every visit of a review stage or `returned`, oldest first."""
    for i, step in enumerate(steps):
        stage = step.to_stage
        if not (_review(kind, stage) or stage == Stage.RETURNED.value):
            continue
        finished = i + 1 < len(steps)
        until = steps[i + 1].day if finished else today
        yield stage, max(count(step.day, until), 0), finished


def group_stats(
    key: str,
    label: str,
    members: Iterable[tuple[str, Sequence[tuple[str, int, bool]], RegulatorClock]],
) -> GroupStats:
    """Median and worst time per stage, time per party and clock states over `(kind, visits, clock)` members."""
    finished: dict[str, list[int]] = {}
    running: dict[str, int] = {}
    filings = elapsed = regulator = filer = voided = 0
    clocks: dict[str, int] = {}
    for _kind, visits, clock in members:
        if clock.state is None and not visits:
            continue
        filings += 1
        for stage, days, done in visits:
            if done:
                finished.setdefault(stage, []).append(days)
            else:
                running[stage] = running.get(stage, 0) + 1
        elapsed += clock.elapsed_working_days
        regulator += clock.regulator_working_days
        filer += clock.filer_working_days
        voided += clock.returns_working_days
        if clock.state is not None:
            clocks[clock.state] = clocks.get(clock.state, 0) + 1
    order = {s.value: i for i, s in enumerate(Stage)}
    stats = tuple(
        StageStat(
            Stage(stage),
            len(finished.get(stage, ())),
            float(statistics.median(finished[stage])) if finished.get(stage) else 0.0,
            max(finished.get(stage) or [0]),
            running.get(stage, 0),
        )
        for stage in sorted(set(finished) | set(running), key=lambda s: order.get(s, 99))
    )
    return GroupStats(key, label, filings, stats, elapsed, regulator, filer, voided, clocks)


def algorithm_type_label(value: str | None) -> str:
    """`生成合成类 (generative)` for a stored algorithm type; `(none)` for filings without one."""
    if not value:
        return "(none)"
    try:
        return states.label(AlgorithmType(value), "both")
    except ValueError:
        return value
