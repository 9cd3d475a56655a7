"""Digest e-mails through a real SMTP server on loopback (aiosmtpd): sent once per (recipient, period), a refused
login stops and masks the password, a connection dropped before the message is retried, one dropped after the
message is never resent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.smtp import PASSWORD, USER, Mailbox, smtp_server
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.notify.digests import DigestService
from tracker.store.db import Store
from tracker.timeutil import BEIJING

WEEK = (datetime(2026, 11, 23, tzinfo=BEIJING), datetime(2026, 11, 30, tzinfo=BEIJING))
PERIOD = "week:2026-W48"


@pytest.fixture
def server() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.dispose()


def digests(store: Store, clock: FakeClock, port: int, password: str = PASSWORD) -> DigestService:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_username=USER,
        smtp_password=password,  # type: ignore[arg-type]
        smtp_from="beian@example.com",
        sms_backoff_seconds=60,
    )
    return DigestService(FilingService(store, settings, clock=clock))


def queue(service: DigestService, fmt: str = "html") -> None:
    service.queue_email(service.build(*WEEK), ["pm@example.com"], fmt=fmt, period=PERIOD)  # type: ignore[arg-type]


def only_message(box: Mailbox) -> Message:
    [(sender, recipients, raw)] = box.received
    assert (sender, recipients) == ("beian@example.com", ["pm@example.com"])
    return message_from_bytes(raw, policy=policy.default)


def test_a_digest_is_sent_once_per_recipient_and_period(
    store: Store, clock: FakeClock, server: tuple[Mailbox, int]
) -> None:
    box, port = server
    clock.now = datetime(2026, 11, 30, 1, tzinfo=UTC)
    service = digests(store, clock, port)
    queue(service)
    report = service.dispatch()
    assert (report.sent, report.failed) == (1, 0) and box.logins == ["ok"]
    message = only_message(box)
    assert message["Subject"].startswith("备案 digest (all filings) 2026-11-23 – 2026-11-30")
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    [row] = service.deliveries()
    assert (row.status, row.attempts, row.message_id) == ("sent", 1, message["Message-ID"])

    queue(service)  # asked again for the same period: the outbox already has it
    assert service.dispatch().sent == 0
    assert len(box.received) == 1 and len(service.deliveries()) == 1


def test_a_refused_login_stops_the_pass_and_never_shows_the_password(
    store: Store, clock: FakeClock, server: tuple[Mailbox, int]
) -> None:
    box, port = server
    wrong = digests(store, clock, port, password="not-the-" + PASSWORD)
    queue(wrong)
    wrong.queue_email(wrong.build(*WEEK), ["cto@example.com"], period=PERIOD)
    report = wrong.dispatch()
    assert report.stopped is not None and "refused the login" in report.stopped and "535" in report.stopped
    assert report.sent == 0 and box.received == []
    # one connection (smtplib tries each mechanism the server offers, PLAIN then LOGIN): the second digest waits
    assert set(box.logins) == {"refused"} and len(box.logins) <= 2
    rows = wrong.deliveries()
    assert {r.status for r in rows} == {"pending"}
    assert all(PASSWORD not in (r.error_message or "") for r in rows)
    assert PASSWORD not in report.summary

    clock.tick(minutes=2)
    right = digests(store, clock, port)
    assert right.dispatch().sent == 2 and len(box.received) == 2


def test_a_connection_dropped_before_the_message_is_retried_and_sent_once(
    store: Store, clock: FakeClock, server: tuple[Mailbox, int]
) -> None:
    box, port = server
    service = digests(store, clock, port)
    queue(service, "text")
    box.drop_at_mail = 1
    report = service.dispatch()
    assert (report.sent, report.retrying) == (0, 1) and box.received == []
    [row] = service.deliveries()
    assert row.status == "pending" and "could not reach" in (row.error_message or "")
    assert service.dispatch().sent == 0  # not due before its retry time
    clock.tick(seconds=61)
    assert service.dispatch().sent == 1
    assert only_message(box)["Message-ID"] == service.deliveries()[0].message_id
    clock.tick(hours=1)
    assert service.dispatch().sent == 0 and len(box.received) == 1


def test_a_connection_dropped_after_the_message_is_never_resent(
    store: Store, clock: FakeClock, server: tuple[Mailbox, int]
) -> None:
    box, port = server
    service = digests(store, clock, port)
    queue(service, "md")
    box.drop_after_data = 1
    report = service.dispatch()
    assert (report.sent, report.unknown) == (0, 1)
    assert len(box.received) == 1  # the server has it; the client could not know
    [row] = service.deliveries()
    assert row.status == "unknown" and "after the message was sent" in (row.error_message or "")
    clock.tick(days=1)
    assert service.dispatch().sent == 0 and len(box.received) == 1


def test_without_smtp_settings_digests_wait(store: Store, clock: FakeClock) -> None:
    service = DigestService(FilingService(store, Settings(), clock=clock))
    queue(service)
    report = service.dispatch()
    assert report.waiting == 1 and "SMTP not configured" in report.summary
    assert service.deliveries()[0].status == "pending"


def test_a_dispatcher_that_died_mid_send_leaves_the_digest_unknown(
    store: Store, clock: FakeClock, server: tuple[Mailbox, int]
) -> None:
    from tracker.notify import repo_digest

    box, port = server
    service = digests(store, clock, port)
    queue(service)
    [row] = service.deliveries()
    with store.unit() as session:  # what a killed dispatcher leaves behind: claimed, committed, never settled
        assert repo_digest.claim_digest(session, row.id, clock()) is not None
    clock.tick(seconds=Settings().sms_claim_lease_seconds + 1)
    report = service.dispatch()
    assert report.unknown == 1 and report.sent == 0 and box.received == []
    assert service.deliveries()[0].status == "unknown"
    clock.tick(days=1)
    assert service.dispatch().sent == 0


def test_settings_never_show_the_password() -> None:
    settings = Settings(smtp_password=PASSWORD)  # type: ignore[arg-type]
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings.model_dump())
