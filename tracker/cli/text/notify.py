"""Text output of `beian notify`: event names, outbox status and notes."""

from __future__ import annotations

from tracker.domain import Notification
from tracker.timeutil import show


def event_text(event: str, lang: str) -> str:
    """An SMS event in the display language (`批准备案 (approve)`, `期限已过 (overdue) D4`)."""
    from tracker.notify.outbox import event_label

    return event_label(event, lang)


def status_text(n: Notification) -> str:
    """The status column: `sent · delivered`, `failed 21211`, or the plain status."""
    if n.status == "sent" and n.delivery_status:
        return f"sent · {n.delivery_status}"
    if n.status == "failed" and n.error_code:
        return f"failed {n.error_code}"
    return n.status


def note_text(n: Notification) -> str:
    """The note column: when a retry is due and why, else the error or the Twilio SID."""
    if n.status == "pending" and n.next_attempt_at is not None:
        return f"retry at {show(n.next_attempt_at, seconds=True)}: {n.error_message or ''}".rstrip(": ")
    return n.error_message or n.sid or ""
