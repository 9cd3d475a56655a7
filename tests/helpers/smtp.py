"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can refuse a login or drop the
connection at a chosen point: before the message (at MAIL) or after receiving it (at the end of DATA)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "digest@example.com"
PASSWORD = "s3cret-Pa55"


@dataclass
class Mailbox:
    """What the server received, and the faults it will inject next."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    drop_at_mail: int = 0
    """Close the connection on the next N MAIL commands (nothing was delivered)."""
    drop_after_data: int = 0
    """Keep the next N messages but close the connection before answering (the client cannot know)."""
    logins: list[str] = field(default_factory=list)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.drop_at_mail:
            self.drop_at_mail -= 1
            server.transport.close()
            return "250 OK"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        if self.drop_after_data:
            self.drop_after_data -= 1
            server.transport.close()
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USER.encode()
            and data.password == PASSWORD.encode()
        )
        self.logins.append("ok" if ok else "refused")
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on 127.0.0.1 (plain, AUTH without TLS) for the duration; yields its mailbox and port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=box.authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
