"""Twilio through its official SDK. The only module that imports `twilio`, and only inside functions.

The SDK neither retries nor offers an idempotency key for sending a message, so this module only sends once
and classifies what went wrong; retrying is the outbox's job (`tracker.notify.dispatch`).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tracker.domain.safe import UNSAFE, mask_credentials
from tracker.errors import ConfigError
from tracker.notify.phone import mask_phones_in
from tracker.notify.sender import NOT_CONFIGURED_HINT, Delivery, SendError, SendResult

if TYPE_CHECKING:
    from tracker.config import Settings

PERMANENT_CODES = frozenset({20003, 20005, 21211, 21408, 21602, 21604, 21606, 21612, 21614, 21610, 21617})
"""Refusals that a resend cannot cure: bad credentials, invalid or unsubscribed number, region not enabled, …"""
CREDENTIAL_CODES = frozenset({20003, 20005})
RATE_LIMIT_CODE = 20429
"""Twilio's "Too Many Requests" (https://www.twilio.com/docs/errors/20429), sent with HTTP 429."""
MAX_RETRY_AFTER = 86400.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SDK_PREFIX = re.compile(r"^Unable to (create|fetch|read) record:\s*", re.IGNORECASE)
_LOOKUP_SLACK = timedelta(minutes=2)


def _clean(text: str, secrets: tuple[str, ...]) -> str:
    """One line, no colour codes or other control characters, no secrets (ours, or credentials the endpoint
    echoed back), phone numbers masked."""
    line = " ".join(UNSAFE.sub(" ", _ANSI.sub("", text or "")).split())
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    line = _SDK_PREFIX.sub("", mask_phones_in(mask_credentials(line)))
    return line[:300]


def translate(
    exc: BaseException, *, timeout: float, secrets: tuple[str, ...] = (), retry_after: float | None = None
) -> SendError:
    """Classify an exception raised by the SDK or `requests` into a `SendError` (see its flags).

    `retry_after` is the `Retry-After` of the answer that raised, in seconds, if there was one.
    """
    import requests
    from twilio.base.exceptions import TwilioException, TwilioRestException

    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        code = exc.code if isinstance(exc.code, int) else None
        text = _clean(str(exc.msg or ""), secrets) or f"HTTP {status}"
        return _http_error(text, status, code, retry_after)
    if isinstance(exc, TwilioException) and len(exc.args) > 1 and hasattr(exc.args[1], "status_code"):
        answer = exc.args[1]  # a page of a list the SDK could not fetch: (message, Response)
        status = int(answer.status_code or 0)
        code, text = _error_body(str(getattr(answer, "text", "") or ""))
        return _http_error(_clean(text, secrets) or f"HTTP {status}", status, code, retry_after)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc)
    ):
        return SendError(
            f"could not connect to Twilio within {timeout:g} s"
            if isinstance(exc, requests.exceptions.ConnectTimeout)
            else "could not connect to Twilio",
            retryable=True,
            unreachable=True,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return SendError(
            f"Twilio did not answer within {timeout:g} s (the message may have been accepted)",
            retryable=True,
            outcome_unknown=True,
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        return SendError(
            "the connection to Twilio was lost before it answered (the message may have been accepted)",
            retryable=True,
            outcome_unknown=True,
        )
    if isinstance(exc, TwilioException):  # raised for unusable client configuration
        return SendError(
            _clean(str(exc), secrets) or "Twilio client error", retryable=False, credentials=True
        )
    return SendError(
        f"unexpected {type(exc).__name__} while talking to Twilio", retryable=True, outcome_unknown=True
    )


def _http_error(text: str, status: int, code: int | None, retry_after: float | None) -> SendError:
    """An HTTP error answer: 429/20429 rate limit, 5xx outcome unknown, 401/20003 credentials, other 4xx final."""
    rate_limited = status == 429 or code == RATE_LIMIT_CODE
    return SendError(
        text,
        code=code,
        http_status=status,
        retryable=(rate_limited or status >= 500) and code not in PERMANENT_CODES,
        credentials=status == 401 or code in CREDENTIAL_CODES,
        rate_limited=rate_limited,
        outcome_unknown=status >= 500 and not rate_limited,
        retry_after=retry_after if rate_limited or status == 503 else None,
    )


def _error_body(text: str) -> tuple[int | None, str]:
    """Twilio's error body `{"code": …, "message": …}` → (code, message); anything else → (None, "")."""
    try:
        data = json.loads(text)
    except ValueError:
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    code = data.get("code")
    return (code if isinstance(code, int) else None), str(data.get("message") or "")


def _never_connected(exc: BaseException) -> bool:
    """True when a `requests` connection error happened before any byte of the request left: the address
    could not be resolved, the connection was refused or timed out, or TLS could not be set up."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.exceptions.SSLError):
        return True
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(
            err, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError | socket.gaierror
        ):
            return True
        stack.extend(e for e in (*err.args, getattr(err, "reason", None)) if isinstance(e, BaseException))
        stack.extend(e for e in (err.__cause__, err.__context__) if e is not None)
    return False


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header (seconds, or an HTTP date) as seconds from `now` (wall clock by default),
    between 0 and one day; None when absent or unreadable (RFC 9110 §10.2.3)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def check_api_url(api_url: str) -> str:
    """Refuse anything but an http(s) base URL with a host."""
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"twilio_api_url {mask_credentials(api_url)!r} is not an http(s) base URL",
            hint="e.g. http://127.0.0.1:4010",
        )
    return api_url.strip()


def _http_client(api_url: str | None, timeout: float, headers: dict[str, str]) -> Any:
    """A `TwilioHttpClient` that sends every request to `api_url` (scheme and host replaced, path kept)."""
    from twilio.http.http_client import TwilioHttpClient

    base = urlsplit(api_url) if api_url else None

    class RoutedHttpClient(TwilioHttpClient):
        """Rewrites scheme and host, and adds `extra_headers` (the mock reads `Prefer` to force a response)."""

        extra_headers = headers
        answers = threading.local()
        """Per thread: the `Retry-After` header of the last answer (senders may share one client)."""

        def retry_after(self) -> str | None:
            """`Retry-After` of this thread's last answer, if it had one."""
            return getattr(self.answers, "retry_after", None)

        def request(
            self,
            method: str,
            url: str,
            params: Any = None,
            data: Any = None,
            headers: dict[str, str] | None = None,
            auth: Any = None,
            timeout: float | None = None,
            allow_redirects: bool = False,
        ) -> Any:
            if base is not None:
                parts = urlsplit(url)
                url = urlunsplit(
                    (base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, "")
                )
            if self.extra_headers:
                headers = {**(headers or {}), **self.extra_headers}
            self.answers.retry_after = None
            response = super().request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                auth=auth,
                timeout=timeout,
                allow_redirects=allow_redirects,
            )
            self.answers.retry_after = (getattr(response, "headers", None) or {}).get("Retry-After")
            return response

    return RoutedHttpClient(timeout=timeout, logger=_sdk_logger())


def _sdk_logger() -> logging.Logger:
    """The SDK logs every request at INFO (URL with the AccountSid, and query strings holding phone numbers
    for look-ups); route that to our own logger, quiet unless someone lowers its level on purpose."""
    logger = logging.getLogger("tracker.notify.twilio_sdk")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


class TwilioSender:
    """Sends SMS with `twilio.rest.Client`; implements `tracker.notify.sender.Sender`."""

    def __init__(
        self,
        *,
        account_sid: str,
        username: str,
        password: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        api_url: str | None = None,
        timeout: float = 10.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        from twilio.rest import Client  # deferred: ~0.2 s, only when sending

        if not (from_ or messaging_service_sid):
            raise ConfigError(
                "Twilio needs a sender", hint="set BEIAN_TWILIO_FROM or BEIAN_TWILIO_MESSAGING_SERVICE_SID"
            )
        self.headers: dict[str, str] = headers if headers is not None else {}
        """Extra request headers; tests set `Prefer` here to make the mock answer with an error."""
        self._from = from_
        self._service = messaging_service_sid
        self._timeout = timeout
        self._secrets = (password,)
        self._account = account_sid
        self._http = _http_client(check_api_url(api_url) if api_url else None, timeout, self.headers)
        self._client = Client(username, password, account_sid, http_client=self._http)

    @classmethod
    def from_settings(cls, settings: Settings, *, headers: dict[str, str] | None = None) -> TwilioSender:
        """Build from `BEIAN_TWILIO_*`; an API key and secret win over the auth token."""
        if not settings.sms_configured or not settings.twilio_account_sid:
            raise ConfigError("SMS not configured", hint=NOT_CONFIGURED_HINT)
        if settings.twilio_api_key and settings.twilio_api_secret:
            username, password = settings.twilio_api_key, settings.twilio_api_secret.get_secret_value()
        else:
            assert settings.twilio_auth_token is not None
            username, password = settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()
        return cls(
            account_sid=settings.twilio_account_sid,
            username=username,
            password=password,
            from_=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_url=settings.twilio_api_url,
            timeout=settings.twilio_timeout,
            headers=headers,
        )

    def __repr__(self) -> str:
        return f"TwilioSender(account={self._account[:6]}…)"

    def send(self, to: str, body: str) -> SendResult:
        """Create one message; Twilio's SID and initial status come back."""
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        if self._from:
            kwargs["from_"] = self._from
        try:
            message = self._client.messages.create(**kwargs)
        except Exception as exc:  # classified below; the SDK's own text may hold the number and colour codes
            raise self._error(exc) from None
        return SendResult(str(message.sid), str(message.status or "queued"))

    def _error(self, exc: BaseException) -> SendError:
        retry_after = retry_after_seconds(self._http.retry_after())
        return translate(exc, timeout=self._timeout, secrets=self._secrets, retry_after=retry_after)

    def fetch(self, sid: str) -> Delivery:
        """The message's current status at Twilio."""
        try:
            message = self._client.messages(sid).fetch()
        except Exception as exc:
            raise self._error(exc) from None
        return self._delivery(message)

    def lookup(
        self, to: str, body: str, since: datetime, exclude: frozenset[str] = frozenset()
    ) -> Delivery | None:
        """Search the latest 50 messages to `to` from our number (or messaging service) for this body,
        created at or after `since` less two minutes (clocks differ), skipping the SIDs in `exclude`."""
        wanted = " ".join(body.split())
        try:
            messages = self._client.messages.list(
                to=to, limit=50, **({"from_": self._from} if self._from else {})
            )
        except Exception as exc:
            raise self._error(exc) from None
        for message in messages:
            if str(message.sid) in exclude:
                continue
            created = message.date_created
            if created is not None and created < since - _LOOKUP_SLACK:
                continue
            service = getattr(message, "messaging_service_sid", None)
            if self._service and service and service != self._service:
                continue
            # a trial account prefixes the body, so look for ours inside it
            if wanted and wanted in " ".join(str(message.body or "").split()):
                return self._delivery(message)
        return None

    def _delivery(self, message: Any) -> Delivery:
        error = message.error_message
        return Delivery(
            sid=str(message.sid),
            status=str(message.status or "unknown"),
            error_code=int(message.error_code) if message.error_code is not None else None,
            error_message=_clean(str(error), self._secrets) if error else None,
        )

    def close(self) -> None:
        """Close the pooled HTTP session."""
        session = getattr(self._http, "session", None)
        if session is not None:
            session.close()
