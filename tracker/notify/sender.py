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
    """A refused or failed request, already classified and safe to show (no secrets, phone numbers masked)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool,
        credentials: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.credentials = credentials
        """True when the account or its credentials were refused: every other message would fail the same way."""

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

    def lookup(self, to: str, body: str, since: datetime) -> Delivery | None:
        """A message with this recipient and body created at or after `since` (aware UTC), if the gateway has one."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
