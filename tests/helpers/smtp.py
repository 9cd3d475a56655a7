"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can refuse a login, refuse a
recipient for good, or drop the connection at a chosen point: before the message (at MAIL) or after receiving it
(at the end of DATA). Plain, with STARTTLS, or TLS from the start, on a certificate of a CA made for the test."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
    refuse_rcpt: int = 0
    """Refuse the next N recipients with 550 (for good)."""
    logins: list[str] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)
    """Per message received: whether its connection was encrypted."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            self.refuse_rcpt -= 1
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

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
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
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
def smtp_server(tls: str = "none", context: ssl.SSLContext | None = None) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on 127.0.0.1 for the duration; yields its mailbox and port.

    `tls`: `none` (AUTH without TLS), `starttls` (STARTTLS required before MAIL and AUTH) or `ssl` (TLS from
    the start), with the server `context` (see `server_context`).
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; a connection in TLS from the start is encrypted anyway
    options: dict[str, Any] = {"auth_require_tls": tls == "starttls"}
    if tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    elif tls == "ssl":
        options.update(ssl_context=context)
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=box.authenticate, **options)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def server_context(tmp: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context whose certificate (for 127.0.0.1 and localhost) a new CA signed, and that CA's
    certificate as a PEM file under `tmp` (what `smtp_ca_file` names)."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    pem = tmp / "test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return context, pem
