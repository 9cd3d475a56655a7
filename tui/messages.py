"""Messages posted by workers with their one result, and by the poller when the database changes.

Workers run the service in a thread and post exactly one of these; the `@on` handlers set widget
attributes. Names are past tense: each says what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from textual.message import Message

from states import Outcome, Stage
from tracker.domain import (
    AdvanceResult,
    Filing,
    FilingQuery,
    MaterialStatus,
    Notification,
    Organisation,
    Transition,
)
from tui.view.bars import StageBar
from tui.view.cells import DeadlineCell

Page = tuple[Filing, ...]
"""One page of a query result, as the service returned it."""


@dataclass
class StoreChanged(Message, bubble=False):
    """The poller saw a revision it had not seen before (a write here, in a terminal, or by a colleague)."""

    revision: int

    def can_replace(self, message: Message) -> bool:
        """A burst of changes needs only the latest revision."""
        return isinstance(message, StoreChanged)


@dataclass
class SmsQueued(Message):
    """An action put SMS in the outbox (an event that notifies, a retry); the app hands them to the dispatcher.

    Posted by the screen that acted and bubbled up to the app, so no screen needs to know the app.
    """


@dataclass
class SmsDispatched(Message, bubble=False):
    """The SMS queued by an event were handed to the dispatcher (sent, retrying, or waiting for settings)."""

    summary: str
    failed: bool


@dataclass
class RefreshFailed(Message, bubble=False):
    """Polling the database failed (locked, unreachable); the poller keeps trying."""

    error: str

    def can_replace(self, message: Message) -> bool:
        """Only the latest failure matters."""
        return isinstance(message, RefreshFailed)


@dataclass
class ChangeFeedLost(Message, bubble=False):
    """The database's change notifications are unavailable or were lost; the app polls instead."""

    error: str


@dataclass
class FilingsLoaded(Message, bubble=False):
    """The total and the pages around the viewport, for one query (the first thing a user sees)."""

    generation: int
    query: FilingQuery
    revision: int
    total: int
    pages: Mapping[int, Page]
    now: datetime
    """The service clock when loaded; "days in stage" counts from it."""
    position: int | None = None
    """Where the filing to keep or select now stands in the result (None: start at the top or stay)."""
    ref_width: int = 8
    """Characters in the longest reference in the database."""


@dataclass
class StageCountsLoaded(Message, bubble=False):
    """Filings per stage under the query's other filters, for the funnel."""

    generation: int
    counts: Mapping[Stage, int]


@dataclass
class DeadlinesLoaded(Message, bubble=False):
    """The most urgent running deadline of some filings on screen (None: no rules layer to ask), and which of
    them changed since the person last looked."""

    generation: int
    filing_ids: tuple[int, ...]
    cells: Mapping[int, DeadlineCell] | None
    changed: frozenset[int] = frozenset()
    """Those of the filings that moved since the person last looked."""


@dataclass
class PageLoaded(Message, bubble=False):
    """One page of rows the table asked for."""

    generation: int
    page: int
    rows: Page


@dataclass
class LoadFailed(Message, bubble=False):
    """Reading from the service failed; what was shown stays, and the next change retries."""

    error: str


@dataclass
class FilingDetailLoaded(Message, bubble=False):
    """One filing, its history and the events leaving its stage (allowed and refused)."""

    revision: int
    filing: Filing
    history: tuple[Transition, ...]
    outcomes: tuple[Outcome, ...]
    now: datetime
    extras: Mapping[str, object] = field(default_factory=dict)
    """What each extension panel fetched, by panel id."""


@dataclass
class FilingAdvanced(Message):
    """An event was accepted: the filing moved and a history row was written."""

    result: AdvanceResult


@dataclass
class ActionFailed(Message, bubble=False):
    """The service refused an action (a refused event, a bad value, a conflict); nothing changed."""

    error: str
    reasons: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class FilingSaved(Message):
    """A filing was added or its descriptive fields were edited."""

    filing: Filing
    created: bool


@dataclass
class OrganisationAdded(Message):
    """An organisation was registered."""

    organisation: Organisation


@dataclass
class OrganisationsLoaded(Message, bubble=False):
    """The organisations to choose from when adding a filing."""

    organisations: tuple[Organisation, ...]


@dataclass
class OutcomesLoaded(Message, bubble=False):
    """A filing as it is now and the events leaving its stage, for the advance dialog."""

    filing: Filing
    outcomes: tuple[Outcome, ...]


@dataclass
class MaterialsLoaded(Message, bubble=False):
    """A filing's materials checklist as it is now, for the materials dialog."""

    items: tuple[MaterialStatus, ...]


@dataclass
class MaterialMarked(Message, bubble=False):
    """One checklist item was ticked or unticked."""

    status: MaterialStatus


@dataclass
class SmsRetried(Message, bubble=False):
    """A failed or unknown SMS was queued again (None: the filing had none to retry)."""

    notification: Notification | None


@dataclass
class ViewExported(Message, bubble=False):
    """The current view was written to a CSV file."""

    path: Path
    rows: int


@dataclass
class StageTimesLoaded(Message, bubble=False):
    """Working days per stage over the whole history (the status report's figures), one bar per stage."""

    bars: tuple[StageBar, ...]
