"""The fault proxy itself: each fault looks to the real `twilio` SDK like the failure it stands for, and the
proxy's counts say whether the mock accepted the message."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tests.helpers.faultproxy import FaultProxy, fault_proxy
from tests.helpers.twilio import ACCOUNT, TOKEN, TwilioMock

pytestmark = pytest.mark.twilio

TO = "+8613800138000"
FROM = "+15005550006"


@pytest.fixture
def proxy(twilio_mock: TwilioMock) -> Iterator[FaultProxy]:
    """A proxy in front of the session's mock."""
    with fault_proxy(twilio_mock.url, lifetime=120) as running:
        yield running


def _client(proxy: FaultProxy, timeout: float = 10.0) -> Client:
    http = TwilioHttpClient(timeout=timeout)
    client = Client(ACCOUNT, TOKEN, ACCOUNT, http_client=http)
    client.api.base_url = proxy.url  # the whole API, not only Messages
    return client


def _send(client: Client, body: str = "批准") -> str:
    return str(client.messages.create(to=TO, from_=FROM, body=body).sid)


def test_without_faults_each_message_gets_its_own_sid_and_is_listed(proxy: FaultProxy) -> None:
    client = _client(proxy)
    first, second = _send(client, "一"), _send(client, "二")
    assert first != second and first.startswith("SM")
    listed = client.messages.list(to=TO, from_=FROM)
    assert [(m.sid, m.body) for m in listed] == [(second, "二"), (first, "一")]
    assert client.messages(first).fetch().body == "一"
    assert proxy.accepted(TO) == 2 and proxy.per_message()[(TO, "一")] == 1


def test_slow_accept_times_the_client_out_but_the_message_was_accepted(proxy: FaultProxy) -> None:
    proxy.inject("slow_accept", delay=3.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        _send(_client(proxy, timeout=0.5))
    assert proxy.accepted(TO, "批准") == 1
    assert [m.body for m in _client(proxy).messages.list(to=TO)] == ["批准"]


@pytest.mark.parametrize("retry_after", ["30", None])
def test_a_rate_limit_answers_20429_with_or_without_retry_after(
    proxy: FaultProxy, retry_after: str | None
) -> None:
    proxy.inject("rate_limit", times=3, retry_after=retry_after)
    client = _client(proxy)
    for _ in range(3):
        with pytest.raises(TwilioRestException) as refused:
            _send(client)
        assert (refused.value.status, refused.value.code) == (429, 20429)
    http = client.http_client
    assert http._test_only_last_response is not None
    assert http._test_only_last_response.headers.get("Retry-After") == retry_after
    assert proxy.accepted() == 0 and proxy.received() == 3
    _send(client)  # the storm is over
    assert proxy.accepted() == 1


def test_error_after_accept_is_a_500_for_a_message_that_went_out(proxy: FaultProxy) -> None:
    proxy.inject("error_after_accept")
    with pytest.raises(TwilioRestException) as failed:
        _send(_client(proxy))
    assert (failed.value.status, failed.value.code) == (500, 20500)
    assert proxy.accepted(TO) == 1


def test_a_plain_error_is_a_500_for_a_message_that_did_not(proxy: FaultProxy) -> None:
    proxy.inject("error", status=503)
    with pytest.raises(TwilioRestException) as failed:
        _send(_client(proxy))
    assert (failed.value.status, failed.value.code) == (503, 20503)
    assert proxy.accepted() == 0


@pytest.mark.parametrize(("kind", "accepted"), [("reset", 0), ("reset_after_accept", 1)])
def test_a_reset_loses_the_answer(proxy: FaultProxy, kind: str, accepted: int) -> None:
    proxy.inject(kind)
    with pytest.raises(requests.exceptions.ConnectionError):
        _send(_client(proxy))
    assert proxy.accepted() == accepted and proxy.received() == 1


def test_faults_on_the_message_list_leave_sends_alone(proxy: FaultProxy) -> None:
    proxy.inject("rate_limit", route="list", retry_after="5")
    client = _client(proxy)
    _send(client)
    with pytest.raises(TwilioException) as refused:  # a page the SDK could not fetch: not a RestException
        client.messages.list(to=TO)
    assert refused.value.args[1].status_code == 429
    assert len(client.messages.list(to=TO)) == 1


def test_the_listing_carries_the_clock_of_the_test(twilio_mock: TwilioMock) -> None:
    when = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    with fault_proxy(twilio_mock.url, clock=lambda: when) as proxy:
        client = _client(proxy)
        _send(client)
        [message] = client.messages.list(to=TO)
    assert message.date_created == when
    assert abs(message.date_created - when) < timedelta(seconds=1)


def test_it_listens_on_loopback_only_and_stops_itself(twilio_mock: TwilioMock) -> None:
    with pytest.raises(ValueError):
        FaultProxy("http://example.com:80")
    proxy = FaultProxy(twilio_mock.url, lifetime=0.2).start()
    host, port = proxy.url.removeprefix("http://").split(":")
    assert host == "127.0.0.1"
    proxy._timer.join(5)  # type: ignore[union-attr]  # its own deadline, not a sleep of ours
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=2):
        pass
    proxy.stop()  # a second stop is harmless


def test_it_refuses_connections_beyond_its_bound(twilio_mock: TwilioMock) -> None:
    with fault_proxy(twilio_mock.url, max_connections=1) as proxy:
        proxy.inject("slow_accept", delay=2.0)
        host, port = proxy.url.removeprefix("http://").split(":")
        busy = _client(proxy, timeout=0.3)
        with pytest.raises(requests.exceptions.ReadTimeout):
            _send(busy)  # holds the only slot for 2 s
        with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            _send(_client(proxy, timeout=1.0))  # closed at once (or, on a busy machine, never answered)
        assert proxy.received() == 1, "the second request never reached a handler"
