"""What the dispatcher needs from an SMS gateway, independent of Twilio (the fake in tests implements it too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

FINAL_DELIVERY = frozenset({"delivered", "undelivered", "failed", "read", "canceled", "received"})
"""Twilio message statuses that never change again, so `beian notify status` stops polling them."""
NOT_CONFIGURED_HINT = (
    "set BEIAN_TWILIO_ACCOUNT_SID, BEIAN_TWILIO_AUTH_TOKEN (or BEIAN_TWILIO_API_KEY and BEIAN_TWILIO_API_SECRET) "
    "and BEIAN_TWILIO_FROM (or BEIAN_TWILIO_MESSAGING_SERVICE_SID), or the [twilio] table of the settings file"
)


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the gateway answered to an accepted message."""

    sid: str
    status: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message as the gateway knows it now."""

    sid: str
    status: str
    error_code: int | None = None
    error_message: str | None = None


class SendError(Exception):
    """A refused or failed request, already classified and safe to show (no secrets, phone numbers masked).

    How the dispatcher treats it (`tracker.notify.dispatch`):

    - `credentials`: the account or its credentials were refused; every other message would fail the same way,
      so the pass stops;
    - `rate_limited` (HTTP 429 or Twilio 20429) and `unreachable` (no connection could be made, so nothing was
      sent): the whole pass pauses, for `retry_after` seconds when Twilio said so; the attempt does not count;
    - `outcome_unknown` (a timeout or lost connection after the request was sent, or a 5xx): Twilio may have
      accepted the message, so it is looked for at Twilio before it is ever sent again;
    - otherwise `retryable` decides between a later attempt and failing at once.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool,
        credentials: bool = False,
        outcome_unknown: bool = False,
        rate_limited: bool = False,
        unreachable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.credentials = credentials
        """True when the account or its credentials were refused: every other message would fail the same way."""
        self.outcome_unknown = outcome_unknown
        """True when the request may have reached Twilio and been accepted although no answer says so."""
        self.rate_limited = rate_limited
        """True for HTTP 429 / Twilio 20429: too many requests; nothing was accepted."""
        self.unreachable = unreachable
        """True when no connection to Twilio could be made: nothing was sent."""
        self.retry_after = retry_after
        """Seconds Twilio asked us to wait (its `Retry-After` header), if it said."""

    @property
    def pauses(self) -> bool:
        """Whether the whole gateway is unavailable for now (rate limit, no connection): pause all sending."""
        return self.rate_limited or self.unreachable

    def __str__(self) -> str:
        return f"{self.message} (Twilio {self.code})" if self.code else self.message


class Sender(Protocol):
    """An SMS gateway: send, fetch a message's delivery status, and find a message sent earlier."""

    def send(self, to: str, body: str) -> SendResult:
        """Submit one message; raise `SendError` when it is refused or the request fails."""
        ...

    def fetch(self, sid: str) -> Delivery:
        """The current delivery status of a message; raise `SendError` on failure."""
        ...

    def lookup(
        self, to: str, body: str, since: datetime, exclude: frozenset[str] = frozenset()
    ) -> Delivery | None:
        """A message from our sender with this recipient and body, created at or after `since` (aware UTC),
        whose SID is not in `exclude` (messages already recorded for other outbox rows), if the gateway has one;
        raise `SendError` when the gateway cannot be asked."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
