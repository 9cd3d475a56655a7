"""Regulatory rules as data: materials checklists, statutory deadlines, working days and forecasts.

The rules live in versioned TOML files under `data/rules/` and holiday overrides under `data/calendars/`;
nothing is read until `load_rules()` / `load_calendar()` is called.
"""

from __future__ import annotations

from tracker.errors import RulesError
from tracker.rules._toml import SOURCE_TAGS
from tracker.rules.calendar import Counted, DueDate, WorkCalendar, YearOverride, load_calendar
from tracker.rules.deadlines import Deadline, running_deadlines
from tracker.rules.forecast import Forecast, StageSample, forecast
from tracker.rules.materials import find_material, missing, required_materials
from tracker.rules.model import Condition, DeadlineRule, MaterialItem, Prior, RuleSet, Source
from tracker.rules.ruleset import load_rules

__all__ = [
    "SOURCE_TAGS",
    "Condition",
    "Counted",
    "Deadline",
    "DeadlineRule",
    "DueDate",
    "Forecast",
    "MaterialItem",
    "Prior",
    "RuleSet",
    "RulesError",
    "Source",
    "StageSample",
    "WorkCalendar",
    "YearOverride",
    "find_material",
    "forecast",
    "load_calendar",
    "load_rules",
    "missing",
    "required_materials",
    "running_deadlines",
]
