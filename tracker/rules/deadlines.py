"""Statutory deadlines in working days (DOMAIN §7.5): which are running for a filing, and how long is left."""

from __future__ import annotations

from datetime import date

from states import Kind, Stage
from tracker.domain import Deadline
from tracker.rules.calendar import WorkCalendar
from tracker.rules.model import RuleSet

__all__ = ["Deadline", "running_deadlines"]


def running_deadlines(
    rules: RuleSet,
    calendar: WorkCalendar,
    *,
    kind: Kind,
    stage: Stage,
    launch_date: date | None = None,
    change_date: date | None = None,
    termination_date: date | None = None,
    materials_complete_date: date | None = None,
    submitted: date | None = None,
    today: date,
    public_opinion: bool = True,
    due_soon_days: int | None = None,
    regulator_days_used: int = 0,
) -> list[Deadline]:
    """The deadlines running for a filing of `kind` in `stage` on `today` (Beijing dates), in rules order.

    A deadline runs while the filing is in one of its stages and its trigger date is recorded; duties of
    Art. 24 bind only services with 舆论属性或者社会动员能力, so they are left out when `public_opinion` is False.
    A period is governed by the version of its rule in force on its trigger date (`effective_from` /
    `effective_until` in `data/rules/deadlines.toml`); the due-soon threshold is the one in force `today`.
    Periods are counted in working days (trigger day excluded; Civil Code art. 201, DOMAIN §6); a result
    that counts through a year whose 调休 schedule is not yet published is `provisional`, with a warning.
    `regulator_days_used`: working days the regulator's clock carries into the submission that triggers a
    regulator's period (`tracker.rules.clocks.resumed_days`, when the clock resumes); that period runs the rest.
    """
    dates = {
        "launch_date": launch_date,
        "change_date": change_date,
        "termination_date": termination_date,
        "materials_complete_date": materials_complete_date,
        "submitted": submitted,
    }
    soon = int(rules.setting("due_soon_days", today)) if due_soon_days is None else due_soon_days
    out: list[Deadline] = []
    for rule in rules.deadlines:
        if kind not in rule.kinds or stage not in rule.stages:
            continue
        if rule.public_opinion_only and not public_opinion:
            continue
        trigger = next((name for name in rule.triggers if dates.get(name) is not None), None)
        if trigger is None:
            continue
        start = dates[trigger]
        assert start is not None
        if not rule.effective.covers(start):
            continue  # another version of the rule (or none) governs a period starting that day
        due = calendar.add_workdays(
            start, rule.working_days - (regulator_days_used if rule.regulator_sla else 0)
        )
        left = calendar.workdays_between(today, due.date)
        overdue = today > due.date
        out.append(
            Deadline(
                id=rule.id,
                zh=rule.zh,
                en=rule.en,
                trigger=trigger,
                trigger_date=start,
                due_date=due.date,
                working_days=rule.working_days,
                working_days_left=left.days,
                overdue=overdue,
                due_soon=not overdue and left.days <= soon,
                regulator_sla=rule.regulator_sla,
                basis=rule.basis,
                warnings=tuple(dict.fromkeys((*due.warnings, *left.warnings))),
                provisional=due.provisional or left.provisional,
            )
        )
    return out
