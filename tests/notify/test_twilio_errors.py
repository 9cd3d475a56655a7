"""How SDK and network failures are classified, and that what is kept of them is safe to show."""

from __future__ import annotations

import socket

import pytest
import requests
from pydantic import SecretStr
from twilio.base.exceptions import TwilioRestException

from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.notify.twilio_sender import TwilioSender, translate

TOKEN = "tok-secret-123456"


@pytest.mark.parametrize(
    ("status", "code", "retryable", "credentials"),
    [
        (429, 20429, True, False),
        (500, 20500, True, False),
        (503, 20503, True, False),
        (400, 21211, False, False),
        (400, 21610, False, False),
        (400, 21408, False, False),
        (401, 20003, False, True),
        (404, 20404, False, False),
    ],
)
def test_twilio_answers_are_classified(status: int, code: int, retryable: bool, credentials: bool) -> None:
    error = translate(TwilioRestException(status, "https://api.twilio.com/x", "boom", code), timeout=10)
    assert (error.retryable, error.credentials, error.code, error.http_status) == (
        retryable,
        credentials,
        code,
        status,
    )


def test_timeouts_and_connection_errors_are_retried() -> None:
    assert translate(requests.exceptions.ConnectTimeout(), timeout=10).retryable
    read = translate(requests.exceptions.ReadTimeout(), timeout=10)
    assert read.retryable and "may have been accepted" in read.message
    assert translate(requests.exceptions.ConnectionError(), timeout=10).retryable


def test_error_text_has_no_colour_codes_numbers_or_secrets() -> None:
    msg = f"\x1b[31mUnable to create record: The 'To' number +8613800138000 is invalid ({TOKEN})\x1b[0m"
    error = translate(TwilioRestException(400, "u", msg, 21211), timeout=10, secrets=(TOKEN,))
    assert (
        "\x1b" not in error.message and "+8613800138000" not in error.message and TOKEN not in error.message
    )
    assert error.message.startswith("The 'To' number +86138****8000")


def test_a_refused_connection_is_a_retryable_send_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    settings = Settings(
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from="+15005550006",
        twilio_api_url=f"http://127.0.0.1:{port}",
        twilio_timeout=2,
    )
    sender = TwilioSender.from_settings(settings)
    with pytest.raises(Exception) as caught:
        sender.send("+8613800138000", "hi")
    sender.close()
    assert getattr(caught.value, "retryable", False)
    assert TOKEN not in str(caught.value) and caught.value.__cause__ is None
    assert TOKEN not in repr(sender)


def test_a_bad_api_url_is_a_config_error() -> None:
    settings = Settings(
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_from="+15005550006",
        twilio_api_url="ftp://example",
    )
    with pytest.raises(ConfigError, match="twilio_api_url"):
        TwilioSender.from_settings(settings)


@pytest.mark.parametrize(
    ("status", "code", "rate_limited", "outcome_unknown"),
    [
        (429, 20429, True, False),
        (429, None, True, False),
        (400, 20429, True, False),  # the code alone says it
        (500, 20500, False, True),  # Twilio may have created the message before failing
        (502, None, False, True),
        (503, 20503, False, True),
        (400, 21211, False, False),
        (401, 20003, False, False),
    ],
)
def test_rate_limits_and_answers_of_unknown_outcome_are_told_apart(
    status: int, code: int | None, rate_limited: bool, outcome_unknown: bool
) -> None:
    error = translate(TwilioRestException(status, "u", "boom", code), timeout=10, retry_after=30.0)
    assert (error.rate_limited, error.pauses, error.outcome_unknown) == (
        rate_limited,
        rate_limited,
        outcome_unknown,
    )
    assert error.retry_after == (30.0 if rate_limited or status == 503 else None)


def test_what_a_lost_connection_means_depends_on_whether_the_request_left() -> None:
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

    refused = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/", NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    )
    assert translate(refused, timeout=10).unreachable
    assert not translate(refused, timeout=10).outcome_unknown
    connect = translate(requests.exceptions.ConnectTimeout(), timeout=10)
    assert connect.unreachable and not connect.outcome_unknown
    reset = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    )
    assert translate(reset, timeout=10).outcome_unknown and not translate(reset, timeout=10).pauses
    read = translate(requests.exceptions.ReadTimeout(), timeout=10)
    assert read.outcome_unknown and not read.pauses


def test_a_page_twilio_would_not_list_is_classified_by_its_status() -> None:
    from twilio.base.exceptions import TwilioException
    from twilio.http.response import Response

    answer = Response(429, '{"code": 20429, "message": "Too Many Requests", "status": 429}')
    error = translate(TwilioException("Unable to fetch page", answer), timeout=10, retry_after=5.0)
    assert (error.rate_limited, error.credentials, error.code, error.retry_after) == (True, False, 20429, 5.0)
    refused = translate(TwilioException("Unable to fetch page", Response(401, "{}")), timeout=10)
    assert refused.credentials and not refused.rate_limited


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Wed, 02 Dec 2026 01:00:30 GMT", 30.0),
        ("Wed, 02 Dec 2026 00:59:00 GMT", 0.0),
        ("999999999", 86400.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(header: str | None, seconds: float | None) -> None:
    from datetime import UTC, datetime

    from tracker.notify.twilio_sender import retry_after_seconds

    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
