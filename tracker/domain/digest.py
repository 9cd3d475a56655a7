"""A digest: what moved in a period, which deadlines come up or passed, and which filings stall.

Times are aware UTC; dates are Beijing days; durations are Chinese working days (工作日, 调休 counted).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

Moved = Literal["approved", "returned", "submitted", "new"]
MOVED: tuple[Moved, ...] = ("approved", "returned", "submitted", "new")


@dataclass(frozen=True, slots=True)
class DigestEvent:
    """A filing that moved in the period: approved (with its number), returned (with the reason), submitted, new."""

    what: Moved
    filing_id: int
    ref: str
    title: str
    organisation_id: int
    organisation: str
    at: datetime
    detail: str | None = None
    """The filing number of an approval, the reason of a return, the stage a submission entered."""
    by: str | None = None


@dataclass(frozen=True, slots=True)
class DigestDeadline:
    """A running statutory deadline due within the digest's horizon, or overdue."""

    filing_id: int
    ref: str
    title: str
    organisation_id: int
    deadline: str
    """`D1 上线后履行备案 (file after service launch)`."""
    due_date: date
    working_days_left: int
    overdue: bool
    regulator: bool
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Stalled:
    """A filing in a stage for longer than that stage usually takes."""

    filing_id: int
    ref: str
    title: str
    organisation_id: int
    stage: str
    """The stage, bilingual."""
    working_days: int
    usual: float
    """The stage's usual duration: the median of this database's visits, or the rules' prior."""
    basis: str


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything a digest says, for one period; `for_organisation` narrows it to one organisation."""

    since: datetime
    until: datetime
    today: date
    within: int
    """The horizon of `due`, in working days."""
    moved: tuple[DigestEvent, ...] = ()
    due: tuple[DigestDeadline, ...] = ()
    overdue: tuple[DigestDeadline, ...] = ()
    stalled: tuple[Stalled, ...] = ()
    scope: str = "all filings"

    def of(self, what: Moved) -> tuple[DigestEvent, ...]:
        """The filings that moved this way, oldest first."""
        return tuple(e for e in self.moved if e.what == what)

    @property
    def empty(self) -> bool:
        """Nothing moved, nothing is due or overdue, nothing stalls."""
        return not (self.moved or self.due or self.overdue or self.stalled)

    def for_organisation(self, organisation_id: int, name: str) -> Digest:
        """Only what concerns one organisation's filings."""
        return replace(
            self,
            moved=tuple(e for e in self.moved if e.organisation_id == organisation_id),
            due=tuple(d for d in self.due if d.organisation_id == organisation_id),
            overdue=tuple(d for d in self.overdue if d.organisation_id == organisation_id),
            stalled=tuple(s for s in self.stalled if s.organisation_id == organisation_id),
            scope=name,
        )

    def for_filing(self, filing_id: int, ref: str) -> Digest:
        """Only what concerns one filing."""
        return replace(
            self,
            moved=tuple(e for e in self.moved if e.filing_id == filing_id),
            due=tuple(d for d in self.due if d.filing_id == filing_id),
            overdue=tuple(d for d in self.overdue if d.filing_id == filing_id),
            stalled=tuple(s for s in self.stalled if s.filing_id == filing_id),
            scope=ref,
        )


@dataclass(frozen=True, slots=True)
class DigestDelivery:
    """One digest e-mail in the outbox, as a user sees it (never any credential)."""

    id: int
    channel: str
    recipient: str
    period: str
    status: str
    attempts: int
    subject: str
    created_at: datetime
    sent_at: datetime | None = None
    message_id: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """Who gets a digest on a schedule: e-mail or SMS, daily or weekly, maybe for one organisation."""

    id: int
    channel: str
    address: str
    every: Literal["daily", "weekly"]
    format: str
    organisation_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DigestReport:
    """One pass of the digest dispatcher: how many e-mails went out, wait for a retry, failed, may have gone out."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    waiting: int = 0
    """Digests waiting because SMTP is not configured."""
    stopped: str | None = None
    """Why the pass stopped early (the server refused the login), masked."""

    @property
    def summary(self) -> str:
        """`digests: 1 sent, 0 waiting for a retry, 0 failed, 0 unknown`."""
        if self.waiting and not (self.sent or self.retrying or self.failed or self.unknown):
            return f"digests: {self.waiting} waiting (SMTP not configured: set smtp_host and smtp_from)"
        text = (
            f"digests: {self.sent} sent, {self.retrying} waiting for a retry, {self.failed} failed, "
            f"{self.unknown} unknown"
        )
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")
