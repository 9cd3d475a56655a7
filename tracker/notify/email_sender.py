"""Digest e-mails over SMTP with the standard library (`smtplib`, `email`), with the failure classified by when
it happened, so the digest outbox knows whether a retry could send a message twice.

- before the message body reached the server (connecting, TLS, login, MAIL, RCPT, the DATA command): nothing
  was delivered, a retry is safe (`retry`), unless the server refused for good (5xx: `refused`), or the set-up
  must change first (`credentials`: a refused login, an untrusted certificate, an unusable `smtp_ca_file`);
- after the body was sent and before the server's reply: it may have been accepted (`ambiguous`): never
  retried automatically.

The password is never part of a message: `mask` removes it (and its base64 forms) from anything shown.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

from tracker.config import Settings

__all__ = ["MailError", "SmtpSender", "mask"]

Failure = Literal["retry", "refused", "credentials", "ambiguous"]


class MailError(Exception):
    """Sending failed: `kind` says whether retrying is safe; the message never holds the password."""

    def __init__(self, kind: Failure, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def mask(text: str, secret: str | None) -> str:
    """`text` with the secret (plain, and base64 as SMTP AUTH sends it) replaced by `***`."""
    if not secret:
        return text
    forms = {secret, base64.b64encode(secret.encode()).decode()}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


class _Tracked(smtplib.SMTP):
    """`smtplib.SMTP` noting when the message body (the chunk ending in CRLF.CRLF) has been handed to the socket."""

    body_sent = False

    def send(self, s: Any) -> None:
        data = s.encode("ascii") if isinstance(s, str) else s
        if data.endswith(b"\r\n.\r\n"):
            self.body_sent = True
        super().send(s)


class _TrackedSSL(_Tracked, smtplib.SMTP_SSL):
    """The same over TLS from the start (`SMTP_SSL` is an `SMTP`, so `_Tracked.send` runs first)."""


@dataclass
class SmtpSender:
    """Sends one e-mail per call with the `smtp_*` settings."""

    settings: Settings

    @property
    def _password(self) -> str | None:
        secret = self.settings.smtp_password
        return secret.get_secret_value() if secret is not None else None

    def _port(self) -> int:
        if self.settings.smtp_port:
            return self.settings.smtp_port
        return {"ssl": 465, "starttls": 587}.get(self.settings.smtp_tls, 25)

    def _tls(self) -> ssl.SSLContext:
        """Certificates and host name checked, against `smtp_ca_file` when set, else the system's CAs."""
        cafile = self.settings.smtp_ca_file
        try:
            return ssl.create_default_context(cafile=cafile or None)
        except (OSError, ssl.SSLError) as exc:
            # a setting to fix, like a refused login: the pass stops and the digest waits
            raise MailError(
                "credentials", f"cannot use smtp_ca_file {cafile}: {exc.strerror or exc}"
            ) from None

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` (its From, To and Message-ID set) to the server. Raises `MailError`."""
        s = self.settings
        assert s.smtp_host is not None
        smtp: _Tracked | _TrackedSSL | None = None
        try:
            if s.smtp_tls == "ssl":
                smtp = _TrackedSSL(s.smtp_host, self._port(), timeout=s.smtp_timeout, context=self._tls())
            else:
                smtp = _Tracked(s.smtp_host, self._port(), timeout=s.smtp_timeout)
            if s.smtp_tls == "starttls":
                smtp.starttls(context=self._tls())
            if s.smtp_username:
                smtp.login(s.smtp_username, self._password or "")
            smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError("credentials", self._describe("the SMTP server refused the login", exc)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError("refused", self._describe("the SMTP server does not support this", exc)) from None
        except smtplib.SMTPResponseException as exc:
            sent = smtp is not None and smtp.body_sent
            kind: Failure = "refused" if exc.smtp_code >= 500 else "retry"
            if sent and exc.smtp_code < 500:
                kind = "retry"  # an explicit 4xx after the body: the server did not take it
            raise MailError(kind, self._describe("the SMTP server answered", exc)) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            kind = "refused" if codes and min(codes) >= 500 else "retry"
            raise MailError(kind, self._describe("the SMTP server refused the recipient", exc)) from None
        except ssl.SSLCertVerificationError as exc:
            what = "the SMTP server's certificate is not trusted (smtp_ca_file names the CA to trust)"
            raise MailError("credentials", self._describe(what, exc)) from None
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None and smtp.body_sent:
                raise MailError(
                    "ambiguous", self._describe("the connection broke after the message was sent", exc)
                ) from None
            raise MailError("retry", self._describe("could not reach the SMTP server", exc)) from None
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()

    def _describe(self, what: str, exc: BaseException) -> str:
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, smtplib.SMTPResponseException):
            raw = exc.smtp_error
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            detail = f"{exc.smtp_code} {text}"
        where = f"{self.settings.smtp_host}:{self._port()}"
        return mask(f"{what} ({where}): {detail}", self._password)
