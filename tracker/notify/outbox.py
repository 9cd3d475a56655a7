"""Outbox rows written inside the caller's transaction, so a transition and its SMS commit together or not at all.

Cheap to import: no `twilio`, no template rendering until a notifiable event actually happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tracker.errors import UsageError

if TYPE_CHECKING:
    from tracker.store.db import Session
    from tracker.store.tables import FilingRow, RecipientRow, TransitionRow


class OutboxStatus(StrEnum):
    """Where an outbox row is in its delivery."""

    PENDING = "pending"
    """Waiting to be sent (now, or at `next_attempt_at` after a retryable failure)."""
    CLAIMED = "claimed"
    """Reserved by a dispatcher, not yet handed to Twilio; put back to pending if the dispatcher dies."""
    SENDING = "sending"
    """Being handed to Twilio right now."""
    SENT = "sent"
    """Accepted by Twilio: the SID is recorded, `delivery_status` follows the carrier."""
    FAILED = "failed"
    """Refused for good, or out of retries; `beian notify retry` re-queues it."""
    UNKNOWN = "unknown"
    """It may have gone out (no answer, a lost connection or a 5xx after the request was sent, or a dispatcher
    died while sending): never resent before it has been looked for among Twilio's messages and not found."""
    CHECKING = "checking"
    """Being looked for among Twilio's messages right now; back to unknown if the dispatcher dies."""


NOTIFIABLE_EVENTS: frozenset[str] = frozenset(
    {"approve", "return_for_revision", "reject", "approve_change", "confirm_cancellation"}
)
"""Transition events that can produce an SMS."""
OVERDUE = "overdue"
"""The non-transition event: a deadline became overdue (`enqueue_overdue`)."""
EVENT_ORDER: tuple[str, ...] = (
    "approve",
    "return_for_revision",
    "reject",
    "approve_change",
    "confirm_cancellation",
    OVERDUE,
    "digest",
)
DIGEST = "digest"
"""The non-transition event: a digest's SMS summary (`beian digest --sms`)."""
SUBSCRIBABLE_EVENTS: frozenset[str] = frozenset(EVENT_ORDER)
DEFAULT_EVENTS: tuple[str, ...] = ("approve",)
_ALL = {"all", "全部", "所有"}
_DIGEST_SPELLINGS = {"digest", "summary", "摘要", "周报", "日报"}
_OVERDUE_SPELLINGS = {"overdue", "deadline", "deadline_overdue", "逾期", "超期", "期限已过", "到期"}


def event_label(event: str, lang: str = "both") -> str:
    """`批准备案 (approve)`, or one language; `overdue:D4` reads as 期限已过 (overdue) D4."""
    import states

    key, _, detail = event.partition(":")
    if key == OVERDUE:
        text = {"zh": "期限已过", "en": "overdue"}.get(lang, "期限已过 (overdue)")
    elif key == "digest":
        text = {"zh": "摘要", "en": "digest"}.get(lang, "摘要 (digest)")
    else:
        try:
            text = states.label(states.Event(key), lang if lang in ("zh", "en") else "both")  # type: ignore[arg-type]
        except ValueError:
            text = key
    return f"{text} {detail}" if detail else text


def parse_events(values: Iterable[str]) -> tuple[str, ...]:
    """Parse event names (English or Chinese, comma-separated, or `all`) into the subscribable events, in order."""
    import states

    chosen: set[str] = set()
    for value in values:
        for item in value.replace("，", ",").replace("、", ",").split(","):
            text = item.strip()
            if not text:
                continue
            norm = text.lower().replace(" ", "_").replace("-", "_")
            if norm in _ALL:
                chosen |= SUBSCRIBABLE_EVENTS
                continue
            if norm in _OVERDUE_SPELLINGS:
                chosen.add(OVERDUE)
                continue
            if norm in _DIGEST_SPELLINGS:
                chosen.add(DIGEST)
                continue
            try:
                event = states.parse_event(text)
            except states.UnknownName as exc:
                raise UsageError(str(exc), hint=f"SMS events: {choices()}") from None
            if event.value not in NOTIFIABLE_EVENTS:
                raise UsageError(
                    f"{event_label(event.value)} does not send SMS", hint=f"SMS events: {choices()}"
                )
            chosen.add(event.value)
    if not chosen:
        raise UsageError("no events given", hint=f"SMS events: {choices()}")
    return tuple(e for e in EVENT_ORDER if e in chosen)


def choices() -> str:
    """The subscribable events, bilingual, for help texts."""
    return ", ".join(f"{e} ({event_label(e, 'zh')})" for e in EVENT_ORDER) + ", or all"


def split_events(stored: str) -> tuple[str, ...]:
    """The events of a recipient row (stored comma-separated)."""
    return tuple(e for e in (p.strip() for p in stored.split(",")) if e)


def _add_rows(
    session: Session,
    recipients: Sequence[RecipientRow],
    *,
    filing: FilingRow,
    event: str,
    transition_id: int | None,
    now: datetime,
    language_default: str,
    **fields: Any,
) -> int:
    from tracker.notify import repo
    from tracker.notify.templates import LANGUAGES, render

    rendered: dict[str, tuple[str, int]] = {}
    messages = []
    for recipient in recipients:
        language = recipient.language if recipient.language in LANGUAGES else language_default
        if language not in rendered:
            message = render(
                event, language=language, ref=filing.ref, title=filing.title, kind=filing.kind, **fields
            )
            rendered[language] = (message.text, message.count.segments)
        messages.append((recipient, *rendered[language]))
    return repo.add_outbox_rows(
        session, filing=filing, event=event, transition_id=transition_id, messages=messages, now=now
    )


def enqueue_for_transition(
    session: Session,
    *,
    filing: FilingRow,
    organisation_name: str,
    transition: TransitionRow,
    now: datetime,
    language_default: str = "zh",
) -> int:
    """Inside the caller's transaction: one pending outbox row per subscribed phone; returns the rows added."""
    if transition.event not in NOTIFIABLE_EVENTS:
        return 0
    from tracker.notify import repo

    recipients = repo.subscribers(session, filing, transition.event)
    if not recipients:
        return 0
    # The caller may have updated the filing with a Core UPDATE, so its number is read from the transition first.
    return _add_rows(
        session,
        recipients,
        filing=filing,
        event=transition.event,
        transition_id=transition.id,
        now=now,
        language_default=language_default,
        organisation=organisation_name,
        filing_number=transition.filing_number or filing.filing_number,
        stage=transition.to_stage,
        reason=transition.reason,
        when=transition.effective_at,
    )


def enqueue_overdue(
    session: Session,
    *,
    filing: FilingRow,
    organisation_name: str,
    deadline: str,
    due: date,
    now: datetime,
    label: str | None = None,
    language_default: str = "zh",
) -> int:
    """Inside the caller's transaction: tell `overdue` subscribers that deadline `deadline` passed, once per phone."""
    event = f"{OVERDUE}:{deadline}"[:32]
    from tracker.notify import repo

    already = repo.phones_notified(session, filing.id, event)
    recipients = [r for r in repo.subscribers(session, filing, OVERDUE) if r.phone not in already]
    if not recipients:
        return 0
    return _add_rows(
        session,
        recipients,
        filing=filing,
        event=event,
        transition_id=None,
        now=now,
        language_default=language_default,
        organisation=organisation_name,
        filing_number=filing.filing_number,
        stage=filing.stage,
        deadline=label or deadline,
        due=due,
        when=now,
    )
