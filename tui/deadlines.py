"""The table's deadline column: filled only when the regulatory-rules layer can answer for a page of filings.

The rules layer is expected to offer `service.rules.next_deadlines(filing_ids) -> Mapping[int, Deadline]`
(the most urgent running deadline per filing, with `working_days_left` and `overdue`). Until it does,
`fetch_deadlines` returns None and the column stays hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.style import Style

from tracker.domain import Filing
from tracker.errors import TrackerError
from tracker.filings.service import FilingService

OVERDUE_STYLE = Style(color="#ff5f5f", bold=True)
SOON_STYLE = Style(color="#ffaf00")


@dataclass(frozen=True, slots=True)
class DeadlineCell:
    """What the table shows for one filing's most urgent running deadline."""

    working_days_left: int
    overdue: bool
    due_soon: bool = False
    regulator: bool = False
    """The period binds the regulator (Art. 25): its overrun is the regulator's, not the filer's."""

    def render(self) -> tuple[str, Style | None]:
        """`12wd`; `!3wd` in red once the filer is late; `⏱3wd` in amber once the regulator is."""
        if self.overdue:
            mark, style = ("⏱", SOON_STYLE) if self.regulator else ("!", OVERDUE_STYLE)
            return f"{mark}{abs(self.working_days_left)}wd", style
        return f"{self.working_days_left}wd", SOON_STYLE if self.due_soon else None


def fetch_deadlines(service: FilingService, filings: Sequence[Filing]) -> Mapping[int, DeadlineCell] | None:
    """Deadline cells for these filings, or None when no rules layer can compute them (called in a worker)."""
    try:
        lookup = getattr(service.rules, "next_deadlines", None)
    except ImportError:  # the rules layer is not installed
        return None
    if lookup is None:
        return None
    try:
        found: Mapping[int, Any] = lookup([f.id for f in filings])
    except TrackerError:
        return None
    return {
        filing_id: DeadlineCell(
            int(d.working_days_left),
            bool(d.overdue),
            bool(getattr(d, "due_soon", False)),
            bool(getattr(d, "regulator_sla", False)),
        )
        for filing_id, d in found.items()
        if d is not None
    }
