"""Domain objects, split by domain: the types the CLI, the dashboard and tests receive.

Every type is re-exported here, so `from tracker.domain import Filing` works whatever module defines it.
Storage rows never leave the repositories (`tracker.*.repo`); they are converted into these at that edge.
Times are timezone-aware UTC; regulatory dates are Beijing calendar days.
"""

from __future__ import annotations

from states import AlgorithmType, Event, Kind, Outcome, Role, Stage
from tracker.domain.changes import Change, ChangeItem
from tracker.domain.clocks import GroupStats, PortfolioStats, RegulatorClock, StageStat
from tracker.domain.digest import (
    Digest,
    DigestDeadline,
    DigestDelivery,
    DigestEvent,
    DigestReport,
    DigestSchedule,
    Stalled,
)
from tracker.domain.filings import (
    REF_PREFIX,
    WAITING_ON,
    AdvanceResult,
    Filing,
    FilingDraft,
    FilingQuery,
    Organisation,
    SortKey,
    Transition,
    WaitingOn,
)
from tracker.domain.notify import DispatchReport, Notification, Recipient, SmsPreview, StatusReport
from tracker.domain.rules import (
    Deadline,
    DeadlineView,
    Forecast,
    MaterialStatus,
    RuleChange,
    RulesInForce,
    RuleVersion,
    StageEstimate,
)

__all__ = [
    "REF_PREFIX",
    "WAITING_ON",
    "AdvanceResult",
    "AlgorithmType",
    "Change",
    "ChangeItem",
    "Deadline",
    "DeadlineView",
    "Digest",
    "DigestDeadline",
    "DigestDelivery",
    "DigestEvent",
    "DigestReport",
    "DigestSchedule",
    "DispatchReport",
    "Event",
    "Filing",
    "FilingDraft",
    "FilingQuery",
    "Forecast",
    "GroupStats",
    "Kind",
    "MaterialStatus",
    "Notification",
    "Organisation",
    "Outcome",
    "PortfolioStats",
    "Recipient",
    "RegulatorClock",
    "Role",
    "RuleChange",
    "RuleVersion",
    "RulesInForce",
    "SmsPreview",
    "SortKey",
    "Stage",
    "StageEstimate",
    "StageStat",
    "Stalled",
    "StatusReport",
    "Transition",
    "WaitingOn",
]
