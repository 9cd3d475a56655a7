"""The dispatcher with an in-process gateway: sending, retrying, failing, and recovering abandoned claims."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from tests.helpers.clock import FakeClock
from tests.helpers.sms import FakeSender, World, make_world, permanent, retryable
from tracker.config import Settings
from tracker.notify.dispatch import dispatch_pending
from tracker.notify.retry import backoff
from tracker.notify.sender import Delivery, SendError
from tracker.notify.service import NotifyService
from tracker.store.tables import OutboxRow


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    """Here on SQLite and, when it answers, PostgreSQL (`db_url` from the root conftest)."""
    w = make_world(db_url)
    yield w
    w.store.dispose()


@pytest.fixture
def notify(world: World, clock: FakeClock, fake: FakeSender) -> NotifyService:
    settings = Settings(sms_backoff_seconds=2.0, sms_backoff_max_seconds=60.0, sms_max_attempts=3)
    return NotifyService(world.store, settings, clock=clock, sender=fake, concurrency=1)


@pytest.fixture
def queued(notify: NotifyService, world: World) -> int:
    """Three phones subscribed to approvals, and the approval that queues them."""
    for phone in ("13800138000", "13900139000", "+14155552671"):
        notify.add_recipient(phone, organisation=world.org_id)
    return world.transition("approve")


def statuses(notify: NotifyService) -> list[str]:
    return [n.status for n in sorted(notify.notifications(), key=lambda n: n.id)]


def test_pending_rows_are_sent_once_and_their_sid_recorded(
    notify: NotifyService, fake: FakeSender, queued: int
) -> None:
    report = notify.dispatch_pending()
    assert (report.sent, report.pending, report.failed) == (3, 0, 0)
    assert len(fake.sent) == 3
    for n in notify.notifications():
        assert n.status == "sent" and n.sid is not None and n.delivery_status == "queued" and n.attempts == 1
        assert n.sent_at is not None
    assert notify.dispatch_pending().sent == 0  # nothing is sent twice
    assert len(fake.sent) == 3


def test_a_retryable_error_is_retried_after_backoff(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    fake.errors = [retryable(), retryable(20500, 500)]
    report = notify.dispatch_pending()
    assert (report.sent, report.retrying) == (0, 1)
    [n] = notify.notifications()
    assert n.status == "pending" and n.error_code == 20429 and n.attempts == 1
    assert n.next_attempt_at is not None and clock() + timedelta(
        seconds=1
    ) <= n.next_attempt_at <= clock() + timedelta(seconds=2)
    assert notify.dispatch_pending().sent == 0  # not due yet: no request at all
    assert fake.attempts == 1
    clock.tick(seconds=2)
    assert notify.dispatch_pending().retrying == 1  # second failure: 500
    clock.tick(seconds=4)
    assert notify.dispatch_pending().sent == 1
    [n] = notify.notifications()
    assert (n.status, n.attempts, n.error_code) == ("sent", 3, None)


def test_retries_stop_at_the_configured_limit(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    fake.errors = [retryable(20503, 503)] * 5
    for _ in range(3):
        notify.dispatch_pending()
        clock.tick(minutes=5)
    [n] = notify.notifications()
    assert (n.status, n.attempts, n.error_code) == ("failed", 3, 20503)
    assert fake.attempts == 3


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    settings = Settings(sms_backoff_seconds=2.0, sms_backoff_max_seconds=10.0)
    assert [backoff(a, settings, lambda: 0.0) for a in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert [backoff(a, settings, lambda: 1.0) for a in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]


def test_a_permanent_error_fails_at_once_with_twilio_code(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    fake.errors = [permanent(21610)]
    assert notify.dispatch_pending().failed == 1
    clock.tick(hours=1)
    assert notify.dispatch_pending().sent == 0
    [n] = notify.notifications()
    assert (n.status, n.error_code, n.attempts) == ("failed", 21610, 1)
    assert fake.attempts == 1
    assert notify.retry(n.id).status == "pending"
    assert notify.dispatch_pending().sent == 1


def test_refused_credentials_stop_the_pass_and_leave_the_rest_pending(
    notify: NotifyService, fake: FakeSender, queued: int
) -> None:
    fake.errors = [SendError("Authenticate", code=20003, http_status=401, retryable=False, credentials=True)]
    report = notify.dispatch_pending()
    assert report.stopped is not None and "20003" in report.stopped
    assert sorted(statuses(notify)) == ["failed", "pending", "pending"]
    assert fake.attempts == 1
    assert notify.dispatch_pending().sent == 2


def test_limit_and_dry_run(notify: NotifyService, fake: FakeSender, queued: int) -> None:
    dry = notify.dispatch_pending(dry_run=True)
    assert dry.dry_run and len(dry.previews) == 3 and fake.attempts == 0
    assert statuses(notify) == ["pending"] * 3
    assert notify.dispatch_pending(limit=1).sent == 1
    assert sorted(statuses(notify)) == ["pending", "pending", "sent"]


def test_without_configuration_rows_wait_and_go_out_later(
    world: World, clock: FakeClock, fake: FakeSender
) -> None:
    unconfigured = NotifyService(world.store, Settings(), clock=clock)
    unconfigured.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    report = unconfigured.dispatch_pending()
    assert not report.configured and report.pending == 1 and "SMS not configured" in report.summary
    [n] = unconfigured.notifications()
    assert n.status == "pending" and n.error_message is not None and "SMS not configured" in n.error_message
    configured = NotifyService(world.store, Settings(), clock=clock, sender=fake)
    assert configured.dispatch_pending().sent == 1


def _force(world: World, **values: Any) -> None:
    with world.store.unit() as session:
        session.execute(update(OutboxRow).values(**values))


def test_an_abandoned_claim_goes_back_to_pending_after_the_lease(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    _force(world, status="claimed", claimed_by="other-host:123:abcd", claimed_at=clock())
    clock.tick(minutes=4)
    assert notify.dispatch_pending().sent == 0  # the claim may still be alive
    clock.tick(minutes=2)
    report = notify.dispatch_pending()
    assert (report.requeued, report.sent) == (1, 1)


def test_an_interrupted_send_is_sent_again_only_once_twilio_is_found_not_to_have_it(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    _force(world, status="sending", attempts=1, claimed_by="other-host:123:abcd", claimed_at=clock())
    clock.tick(minutes=4)  # the claim may still be alive: nothing happens
    assert (notify.dispatch_pending().interrupted, fake.attempts) == (0, 0)
    clock.tick(minutes=2)  # past the lease, and past twilio_timeout + sms_lookup_delay_seconds
    report = notify.dispatch_pending()
    assert (report.interrupted, report.resent, report.sent) == (1, 1, 1)
    assert fake.attempts == 1
    [n] = notify.notifications()
    assert (n.status, n.attempts) == ("sent", 2)


def test_an_interrupted_send_that_reached_twilio_is_recorded_not_resent(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    [queued] = notify.notifications()
    fake.sent.append(("SM" + "c" * 32, queued.phone, queued.body))  # Twilio had accepted it
    _force(world, status="sending", attempts=1, claimed_by="other-host:123:abcd", claimed_at=clock())
    clock.tick(minutes=6)
    report = notify.dispatch_pending()
    assert (report.interrupted, report.found, report.sent) == (1, 1, 0)
    assert fake.attempts == 0
    [n] = notify.notifications()
    assert (n.status, n.sid) == ("sent", "SM" + "c" * 32)


def test_an_interrupted_send_is_not_looked_up_before_twilio_could_have_listed_it(
    notify: NotifyService, fake: FakeSender, queued: int, world: World, clock: FakeClock
) -> None:
    dead = f"{socket.gethostname()[:48]}:{_dead_pid()}:dead"
    _force(world, status="sending", attempts=1, claimed_by=dead, claimed_at=clock())
    report = notify.dispatch_pending()  # recovered at once: its process is gone
    assert (report.interrupted, report.unknown, fake.attempts) == (3, 3, 0)
    wait = notify.settings.twilio_timeout + notify.settings.sms_lookup_delay_seconds
    assert notify.next_due() == clock() + timedelta(seconds=wait)
    clock.tick(seconds=wait)
    assert notify.dispatch_pending().sent == 3


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(child.stdout)


def test_a_claim_by_a_dead_process_on_this_host_is_recovered_at_once(
    notify: NotifyService, fake: FakeSender, queued: int, world: World, clock: FakeClock
) -> None:
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead = f"{socket.gethostname()[:48]}:{int(child.stdout)}:dead"
    with world.store.unit() as session:
        ids = session.exec(select(OutboxRow.id).order_by(col(OutboxRow.id))).all()
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == ids[0])
            .values(status="sending", claimed_by=dead, claimed_at=clock())
        )
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) != ids[0])
            .values(status="claimed", claimed_by=dead, claimed_at=clock())
        )
    report = notify.dispatch_pending()
    assert (report.interrupted, report.requeued, report.sent) == (1, 2, 2)


def test_status_polling_and_looking_up_unknown_messages(
    notify: NotifyService, fake: FakeSender, queued: int, world: World, clock: FakeClock
) -> None:
    notify.dispatch_pending()
    first, second, third = sorted(notify.notifications(), key=lambda n: n.id)
    assert first.sid and second.sid
    fake.statuses[first.sid] = Delivery(first.sid, "delivered")
    fake.statuses[second.sid] = Delivery(second.sid, "undelivered", 30007, "Carrier violation")
    # the third went out, but its dispatcher died before recording it
    with world.store.unit() as session:
        session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == third.id)
            .values(status="unknown", sid=None, claimed_at=clock())
        )
    report = notify.refresh_status()
    assert (report.found, report.not_found) == (1, 0)
    by_id = {n.id: n for n in notify.notifications()}
    assert by_id[first.id].delivery_status == "delivered"
    assert (by_id[second.id].delivery_status, by_id[second.id].error_code) == ("undelivered", 30007)
    assert by_id[third.id].status == "sent" and by_id[third.id].sid == third.sid
    assert len(fake.sent) == 3  # nothing was resent
    assert notify.refresh_status().checked == 0  # final statuses are not polled again


def test_an_unknown_message_twilio_never_saw_is_queued_again_by_status(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    _force(world, status="unknown", attempts=1, claimed_at=clock())
    assert notify.refresh_status().not_found == 1
    [n] = notify.notifications()
    assert n.status == "pending" and "not found among Twilio's messages" in (n.error_message or "")
    assert notify.dispatch_pending().sent == 1
    assert fake.attempts == 1


def test_an_unknown_message_is_resent_by_hand_only_with_force(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    _force(world, status="unknown", attempts=1, next_attempt_at=clock() + timedelta(minutes=1))
    [n] = notify.notifications()
    with pytest.raises(Exception, match="may already have been sent"):
        notify.retry(n.id)
    assert notify.retry(n.id, force=True).status == "pending"
    assert notify.dispatch_pending().sent == 1


def test_an_unknown_message_out_of_attempts_fails_only_if_twilio_does_not_have_it(
    notify: NotifyService, fake: FakeSender, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    notify.add_recipient("13900139000", organisation=world.org_id)
    world.transition("approve")
    first, second = sorted(notify.notifications(), key=lambda n: n.id)
    fake.sent.append(("SM" + "d" * 32, second.phone, second.body))
    _force(world, status="unknown", attempts=3)  # sms_max_attempts here
    report = notify.dispatch_pending()
    assert (report.found, report.failed, report.sent, fake.attempts) == (1, 1, 0, 0)
    by_id = {n.id: n for n in notify.notifications()}
    assert by_id[first.id].status == "failed" and "not sent" in (by_id[first.id].error_message or "")
    assert (by_id[second.id].status, by_id[second.id].sid) == ("sent", "SM" + "d" * 32)


def test_an_unknown_message_can_be_marked_sent_by_hand(
    notify: NotifyService, world: World, clock: FakeClock
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    _force(world, status="unknown")
    [n] = notify.notifications()
    done = notify.resolve(n.id, sid="SM" + "ab" * 16)
    assert (done.status, done.sid) == ("sent", "SM" + "ab" * 16)
    assert notify.dispatch_pending().sent == 0


def test_a_gateway_bug_does_not_strand_a_row(world: World, clock: FakeClock) -> None:
    class Broken(FakeSender):
        def send(self, to: str, body: str) -> Any:
            raise RuntimeError("boom with +8613800138000")

    notify = NotifyService(world.store, Settings(), clock=clock, sender=Broken())
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    report = dispatch_pending(world.store, Settings(), clock=clock, sender=Broken())
    assert report.retrying == 1
    [n] = notify.notifications()
    assert n.status == "pending" and n.error_message == "unexpected RuntimeError while sending"


def test_parallel_workers_send_every_row_exactly_once(
    world: World, clock: FakeClock, fake: FakeSender
) -> None:
    notify = NotifyService(world.store, Settings(), clock=clock, sender=fake, concurrency=3)
    for i in range(101):  # several claim batches, whose edges fall while rows are being handed out
        notify.add_recipient(f"+86138{i:08d}", organisation=world.org_id)
    world.transition("approve")
    report = notify.dispatch_pending()
    assert (report.sent, report.pending) == (101, 0)
    assert sorted(to for _, to, _ in fake.sent) == sorted(f"+86138{i:08d}" for i in range(101))
    assert {n.status for n in notify.notifications()} == {"sent"}


def test_a_pass_asked_to_stop_finishes_what_it_holds_and_leaves_the_rest(
    notify: NotifyService, fake: FakeSender, queued: int
) -> None:
    asked = iter([False, True])  # let one message through, then stop
    report = notify.dispatch_pending(should_stop=lambda: next(asked, True))
    assert (report.sent, report.pending, report.stopped) == (1, 2, None)
    assert sorted(statuses(notify)) == ["pending", "pending", "sent"]


def test_run_keeps_dispatching_until_stopped(notify: NotifyService, fake: FakeSender, queued: int) -> None:
    import threading

    stop = threading.Event()
    reports = []

    def on_report(report: Any) -> None:
        reports.append(report)
        stop.set()

    notify.run(stop, interval=0.1, on_report=on_report)
    assert reports[0].sent == 3
