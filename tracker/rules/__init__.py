"""Regulatory rules as data: materials checklists, statutory deadlines, working days and forecasts.

The rules live in versioned TOML files under `data/rules/` (each rule may carry its period of effect) and
holiday data under `data/calendars/` (year overrides and the statutory holidays for unpublished years);
nothing is read until `load_rules()` / `load_calendar()` is called.
"""

from __future__ import annotations

from tracker.errors import RulesError
from tracker.rules._toml import SOURCE_TAGS
from tracker.rules.calendar import (
    Counted,
    DueDate,
    StatutoryDay,
    StatutoryHoliday,
    StatutoryVersion,
    WorkCalendar,
    YearOverride,
    load_calendar,
)
from tracker.rules.deadlines import Deadline, running_deadlines
from tracker.rules.forecast import Forecast, StageSample, forecast
from tracker.rules.inforce import RuleChange, RulesInForce, RuleVersion, changes_between, versions_on
from tracker.rules.materials import find_material, missing, required_materials
from tracker.rules.model import (
    Condition,
    DeadlineRule,
    Effective,
    MaterialItem,
    Prior,
    RuleSet,
    Setting,
    Source,
)
from tracker.rules.ruleset import load_rules

__all__ = [
    "SOURCE_TAGS",
    "Condition",
    "Counted",
    "Deadline",
    "DeadlineRule",
    "DueDate",
    "Effective",
    "Forecast",
    "MaterialItem",
    "Prior",
    "RuleChange",
    "RuleSet",
    "RuleVersion",
    "RulesError",
    "RulesInForce",
    "Setting",
    "Source",
    "StageSample",
    "StatutoryDay",
    "StatutoryHoliday",
    "StatutoryVersion",
    "WorkCalendar",
    "YearOverride",
    "changes_between",
    "find_material",
    "forecast",
    "load_calendar",
    "load_rules",
    "missing",
    "required_materials",
    "running_deadlines",
    "versions_on",
]
