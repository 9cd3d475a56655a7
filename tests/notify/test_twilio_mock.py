"""The real `twilio` SDK against the local mock of Twilio's API: what each answer does to an outbox row."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.sms import World
from tests.helpers.twilio import TOKEN, TwilioMock
from tracker.config import Settings
from tracker.notify.dispatch import dispatch_pending
from tracker.notify.service import NotifyService
from tracker.notify.twilio_sender import TwilioSender

pytestmark = pytest.mark.twilio


@pytest.fixture
def one_row(world: World, clock: FakeClock) -> NotifyService:
    """One pending approval SMS."""
    NotifyService(world.store, Settings(), clock=clock).add_recipient(
        "13800138000", organisation=world.org_id
    )
    world.transition("approve")
    return NotifyService(world.store, Settings(), clock=clock)


def _only(world: World, clock: FakeClock) -> Any:
    [n] = NotifyService(world.store, Settings(), clock=clock).notifications()
    return n


def _send(world: World, settings: Settings, clock: FakeClock, prefer: str | None = None) -> Any:
    sender = TwilioSender.from_settings(settings, headers={"Prefer": prefer} if prefer else None)
    try:
        return dispatch_pending(world.store, settings, clock=clock, sender=sender)
    finally:
        sender.close()


def test_success_stores_the_sid(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    before = twilio_mock.message_posts()
    report = dispatch_pending(world.store, twilio_mock.settings(), clock=clock)
    assert report.sent == 1
    n = _only(world, clock)
    assert (n.status, n.sid, n.delivery_status) == ("sent", "SM" + "a" * 32, "queued")
    assert twilio_mock.message_posts() - before == 1


def test_a_messaging_service_can_replace_the_sender_number(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    settings = twilio_mock.settings(twilio_from=None, twilio_messaging_service_sid="MG" + "0" * 32)
    assert dispatch_pending(world.store, settings, clock=clock).sent == 1


def test_an_invalid_number_fails_at_once_without_retry(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    before = twilio_mock.message_posts()
    settings = twilio_mock.settings()
    assert _send(world, settings, clock, "code=400, example=invalid_to").failed == 1
    clock.tick(hours=1)
    assert dispatch_pending(world.store, settings, clock=clock).sent == 0
    n = _only(world, clock)
    assert (n.status, n.error_code, n.attempts) == ("failed", 21211, 1)
    assert "+15005550001" not in (n.error_message or "")  # the number Twilio quotes is masked
    assert twilio_mock.message_posts() - before == 1


def test_unsubscribed_fails_with_its_code(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    _send(world, twilio_mock.settings(), clock, "code=400, example=unsubscribed")
    n = _only(world, clock)
    assert (n.status, n.error_code) == ("failed", 21610)


def test_429_pauses_without_using_an_attempt_then_sends(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    before = twilio_mock.message_posts()
    settings = twilio_mock.settings()
    report = _send(world, settings, clock, "code=429")
    assert report.paused == 1 and report.stopped is not None and "rate-limiting" in report.stopped
    n = _only(world, clock)
    assert (n.status, n.error_code, n.attempts) == ("pending", 20429, 0)
    assert report.paused_until is not None and n.next_attempt_at == report.paused_until
    clock.now = report.paused_until  # no Retry-After from the mock: a back-off of at most 1 s here
    assert _send(world, settings, clock).sent == 1
    n = _only(world, clock)
    assert (n.status, n.attempts, n.error_code) == ("sent", 1, None)
    assert twilio_mock.message_posts() - before == 2


@pytest.mark.parametrize("code", [500, 503])
def test_a_server_error_is_looked_up_at_twilio_before_it_is_sent_again(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService, code: int
) -> None:
    before = twilio_mock.message_posts()
    settings = twilio_mock.settings()
    assert _send(world, settings, clock, f"code={code}").unsure == 1
    n = _only(world, clock)
    assert (n.status, n.attempts, n.error_code) == ("unknown", 1, 20000 + code)
    assert _send(world, settings, clock).sent == 0  # not before sms_lookup_delay_seconds
    clock.tick(seconds=settings.sms_lookup_delay_seconds)
    report = _send(world, settings, clock)  # the mock lists only its example message: not ours
    assert (report.resent, report.sent) == (1, 1)
    n = _only(world, clock)
    assert (n.status, n.attempts) == ("sent", 2)
    assert twilio_mock.message_posts() - before == 2


def test_bad_credentials_fail_the_row_and_stop(
    twilio_mock: TwilioMock,
    world: World,
    clock: FakeClock,
    one_row: NotifyService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    report = _send(world, twilio_mock.settings(), clock, "code=401")
    assert report.stopped is not None and "20003" in report.stopped
    n = _only(world, clock)
    assert (n.status, n.error_code) == ("failed", 20003)
    # the auth token is nowhere: not in logs, the row, the report
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(n) and TOKEN not in report.summary


def test_unconfigured_rows_stay_pending_and_go_out_once_configured(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    before = twilio_mock.message_posts()
    report = dispatch_pending(world.store, twilio_mock.settings(twilio_auth_token=None), clock=clock)
    assert not report.configured and report.pending == 1
    assert _only(world, clock).status == "pending"
    assert twilio_mock.message_posts() == before
    assert dispatch_pending(world.store, twilio_mock.settings(), clock=clock).sent == 1
    assert twilio_mock.message_posts() - before == 1


def test_api_key_and_secret_work_instead_of_the_token(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    from pydantic import SecretStr

    settings = twilio_mock.settings(
        twilio_auth_token=None, twilio_api_key="SK" + "1" * 32, twilio_api_secret=SecretStr("secret-xyz")
    )
    assert dispatch_pending(world.store, settings, clock=clock).sent == 1


def test_status_polls_twilio(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, one_row: NotifyService
) -> None:
    settings = twilio_mock.settings()
    dispatch_pending(world.store, settings, clock=clock)
    service = NotifyService(world.store, settings, clock=clock)
    report = service.refresh_status()
    assert report.checked == 1 and report.statuses == {"sent": 1}  # the mock's static example
    n = _only(world, clock)
    assert (n.delivery_status, n.error_code, n.sid) == ("sent", 30007, "SM" + "a" * 32)
