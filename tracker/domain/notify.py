"""Notification domain objects: recipients, outbox messages, SMS previews and delivery reports.

Converted from rows in `tracker.notify.repo`. Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone who gets an SMS for an organisation's or one filing's events."""

    id: int
    phone: str
    name: str | None
    events: tuple[str, ...]
    language: str
    organisation_id: int | None
    filing_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Notification:
    """One outbox row as a user sees it: what, to whom, and how delivery went."""

    id: int
    filing_id: int | None
    """None for a message about no single filing (a digest summary)."""
    filing_ref: str
    """The filing's reference, or `digest` for a digest summary."""
    phone: str
    event: str
    body: str
    segments: int
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sid: str | None = None
    delivery_status: str | None = None
    error_code: int | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one pass of the dispatcher did."""

    configured: bool
    """False: nothing was sent, every pending row is still waiting ("SMS not configured")."""
    sent: int = 0
    retrying: int = 0
    """Failures that surely sent nothing (connection refused before sending…), scheduled for a later attempt."""
    failed: int = 0
    """Permanent refusals, rows out of attempts or out of time, in this pass."""
    requeued: int = 0
    """Claims abandoned by a dead dispatcher before they reached Twilio, put back to pending."""
    interrupted: int = 0
    """Rows a dead dispatcher was handing to Twilio, now `unknown` (looked for at Twilio before any resend)."""
    pending: int = 0
    """Rows still waiting after this pass (due later, or not configured)."""
    unknown: int = 0
    """Rows in `unknown` altogether: they may have been sent, and are looked for at Twilio before any resend."""
    dry_run: bool = False
    previews: tuple[Notification, ...] = ()
    """With `dry_run`: the rows that would be sent now."""
    stopped: str | None = None
    """Why the pass stopped early (credentials refused, rate limit, Twilio unreachable), if it did."""
    unsure: int = 0
    """Attempts of this pass whose outcome is unknown (no answer in time, connection lost, 5xx): now `unknown`."""
    found: int = 0
    """`unknown` rows found among Twilio's messages in this pass: `sent` with their SID, not sent again."""
    resent: int = 0
    """`unknown` rows Twilio turned out not to have: queued to be sent again."""
    paused: int = 0
    """Rows refused by a rate limit (or an unreachable Twilio) in this pass; not counted as attempts."""
    paused_until: datetime | None = None
    """When sending resumes after a rate limit or an unreachable Twilio (aware UTC), if the pass paused."""

    @property
    def summary(self) -> str:
        """One line for the CLI and the dashboard."""
        if self.dry_run:
            return f"dry run: {len(self.previews)} message(s) would be sent now, nothing was sent"
        if not self.configured:
            return f"SMS not configured: {self.pending} message(s) wait and go out once Twilio is configured"
        parts = [f"{self.sent} sent"]
        for count, words in (
            (self.found, "found at Twilio (not sent again)"),
            (self.resent, "not found at Twilio (queued again)"),
            (self.retrying, "to retry"),
            (self.unsure, "without an answer (looked for at Twilio before any resend)"),
            (self.failed, "failed"),
            (self.requeued, "re-queued after an interrupted run"),
            (self.interrupted, "interrupted while sending (looked for at Twilio before any resend)"),
            (self.pending, "waiting"),
        ):
            if count:
                parts.append(f"{count} {words}")
        if self.unknown:
            parts.append(f"{self.unknown} unknown (looked for at Twilio before any resend)")
        line = ", ".join(parts)
        return f"{line}; stopped: {self.stopped}" if self.stopped else line


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What one poll of Twilio's delivery statuses found."""

    configured: bool
    checked: int = 0
    changed: int = 0
    found: int = 0
    """`unknown` rows that Twilio turned out to have (now `sent`, with their SID)."""
    not_found: int = 0
    """`unknown` rows Twilio has no trace of: queued again (or `failed` when out of attempts)."""
    errors: int = 0
    statuses: Mapping[str, int] = field(default_factory=dict)
    """Delivery status → number of messages, over the messages checked."""

    @property
    def summary(self) -> str:
        """One line for the CLI and the dashboard."""
        if not self.configured:
            return "SMS not configured: nothing to poll"
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "nothing to poll"
        line = f"checked {self.checked}: {counts}; {self.changed} changed"
        if self.found or self.not_found:
            line += f"; unknown rows: {self.found} found at Twilio, {self.not_found} not found (queued again)"
        if self.errors:
            line += f"; {self.errors} could not be checked"
        return line


@dataclass(frozen=True, slots=True)
class SmsPreview:
    """A message rendered for a filing and event, with its cost in segments."""

    ref: str
    event: str
    language: str
    body: str
    encoding: str
    units: int
    segments: int
    max_segments: int
    shortened: bool
    recipients: int
    """How many phones would receive it now."""
