"""SMS under the faults Twilio and networks produce, through the real `twilio` SDK, the fault proxy and the
mock: a message is never accepted twice, and a rate limit never makes one fail.

Every test counts what the recipients got from the proxy's tally of accepted messages (`copies`). Before
these rules, a slow accept, a 5xx after accept or a reset after accept gave each recipient six copies and
left the row `failed`; a one-minute 429 episode failed all 40 queued approvals.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.drain import drain
from tests.helpers.faultproxy import FaultProxy, fault_proxy
from tests.helpers.probes import ROOT
from tests.helpers.sms import World
from tests.helpers.twilio import TwilioMock
from tracker.config import Settings
from tracker.notify.dispatch import CRASH_ENV, CRASH_EXIT, CRASH_POINTS
from tracker.notify.service import NotifyService
from tracker.timeutil import now_utc

pytestmark = pytest.mark.twilio

SHORT = 1.0
"""twilio_timeout of the tests that make Twilio slow on purpose (a `slow_accept` holds its answer back for
`HELD` seconds); the others keep the default 10 s, so a busy machine is not taken for a fault."""
HELD = 4.0


@pytest.fixture
def proxy(twilio_mock: TwilioMock, clock: FakeClock) -> Iterator[FaultProxy]:
    """The fault proxy in front of the mock, stamping messages with the test's clock."""
    with fault_proxy(twilio_mock.url, clock=clock, lifetime=240) as running:
        yield running


def approvals(world: World, clock: Callable[[], datetime], n: int) -> None:
    """`n` recipients subscribed to approvals, and the approval that queues one SMS for each."""
    service = NotifyService(world.store, Settings(), clock=clock)
    for i in range(n):
        service.add_recipient(f"+8613800{i:06d}", organisation=world.org_id)
    assert world.transition("approve", at=clock()) == n


def notify_via(
    proxy: FaultProxy, twilio_mock: TwilioMock, world: World, clock: FakeClock, **settings: Any
) -> NotifyService:
    """The notification service sending through the proxy."""
    values: dict[str, Any] = {"twilio_api_url": proxy.url, **settings}
    return NotifyService(world.store, twilio_mock.settings(**values), clock=clock)


# -- outcome unknown: looked for before any resend ------------------------------------------------------


@pytest.mark.parametrize("kind", ["slow_accept", "error_after_accept", "reset_after_accept"])
def test_a_message_accepted_without_an_answer_is_found_and_never_sent_again(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy, kind: str
) -> None:
    approvals(world, clock, 3)
    proxy.inject(kind, times=None, delay=HELD)  # every send: accepted, then no usable answer
    notify = notify_via(proxy, twilio_mock, world, clock, twilio_timeout=SHORT)

    first = notify.dispatch_pending()
    assert (first.sent, first.unsure) == (0, 3)
    assert {n.status for n in notify.notifications()} == {"unknown"}
    delay = notify.settings.sms_lookup_delay_seconds
    due = notify.next_due()
    assert due is not None and due >= clock() + timedelta(seconds=delay)
    clock.tick(seconds=delay / 2)
    assert notify.dispatch_pending().found == 0 and proxy.received() == 3  # too early to look: nothing

    out = drain(notify, clock, proxy)
    assert out.max_copies == 1 and sum(out.copies.values()) == 3
    assert out.requests == 3 and out.statuses == {"sent": 3}
    accepted = {m.to: m.sid for m in proxy.messages}
    for n in notify.notifications():
        assert (n.sid, n.attempts) == (accepted[n.phone], 1)  # the SID Twilio gave it, one attempt


@pytest.mark.parametrize(
    ("kind", "options"),
    [("reset", {}), ("error", {"status": 500}), ("error", {"status": 503})],
    ids=["reset", "500", "503"],
)
def test_a_message_twilio_did_not_accept_is_sent_again_once_it_is_not_found(
    twilio_mock: TwilioMock,
    world: World,
    clock: FakeClock,
    proxy: FaultProxy,
    kind: str,
    options: dict[str, Any],
) -> None:
    approvals(world, clock, 3)
    proxy.inject(kind, times=2, **options)
    out = drain(notify_via(proxy, twilio_mock, world, clock), clock, proxy)
    assert out.statuses == {"sent": 3} and out.max_copies == 1
    assert out.requests == 3 + 2


def test_two_unknown_rows_with_the_same_text_never_take_the_same_message(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy
) -> None:
    """A filing returned twice on one day with the same reason: two rows, one phone, one text. Twilio accepted
    the first without answering and never got the second; one look-up must not settle both with one SID."""
    NotifyService(world.store, Settings(), clock=clock).add_recipient(
        "+8613800000001", organisation=world.org_id, events=["return_for_revision"]
    )
    at = clock()
    assert world.transition("return_for_revision", reason="材料不全", at=at) == 1
    world.transition("resubmit", at=at + timedelta(minutes=1))
    assert world.transition("return_for_revision", reason="材料不全", at=at + timedelta(minutes=2)) == 1
    notify = notify_via(proxy, twilio_mock, world, clock, twilio_timeout=SHORT)
    rows = notify.notifications()
    assert len(rows) == 2 and rows[0].body == rows[1].body
    proxy.inject("slow_accept", delay=HELD)  # the first: accepted, no answer in time
    proxy.inject("error")  # the second: refused with a 5xx before Twilio took it (outcome unknown to us)
    out = drain(notify, clock, proxy)
    assert out.statuses == {"sent": 2} and sum(out.copies.values()) == 2, out
    sids = [n.sid for n in notify.notifications()]
    assert len(set(sids)) == 2 and set(sids) == {m.sid for m in proxy.messages}


def test_attempts_run_out_only_when_twilio_has_none_of_them(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy
) -> None:
    approvals(world, clock, 2)
    proxy.inject("error", times=None)  # Twilio keeps failing and accepts nothing
    notify = notify_via(proxy, twilio_mock, world, clock, sms_max_attempts=3)
    out = drain(notify, clock, proxy)
    assert out.statuses == {"failed": 2} and out.requests == 2 * 3 and out.max_copies == 0
    for n in notify.notifications():
        assert n.attempts == 3 and "not sent" in (n.error_message or "")


def test_an_accepted_message_out_of_attempts_still_ends_sent(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy
) -> None:
    approvals(world, clock, 1)
    proxy.inject("slow_accept", times=None, delay=HELD)
    notify = notify_via(proxy, twilio_mock, world, clock, sms_max_attempts=1, twilio_timeout=SHORT)
    out = drain(notify, clock, proxy)
    assert out.statuses == {"sent": 1} and out.max_copies == 1


# -- rate limits: pause everything, never fail within the budget -------------------------------------------


@pytest.mark.parametrize("retry_after", ["30", None], ids=["retry-after-30", "no-retry-after"])
def test_a_one_minute_429_episode_delays_every_message_and_fails_none(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy, retry_after: str | None
) -> None:
    approvals(world, clock, 40)
    start = clock()
    proxy.inject("rate_limit", times=None, retry_after=retry_after, until=start + timedelta(minutes=1))
    notify = notify_via(proxy, twilio_mock, world, clock)

    first = notify.dispatch_pending()
    concurrency = notify.settings.sms_concurrency
    assert first.sent == 0 and first.paused <= concurrency and proxy.received() <= concurrency
    assert first.stopped is not None and "rate-limiting" in first.stopped and "20429" in first.stopped
    assert first.paused_until is not None
    if retry_after:
        assert first.paused_until == start + timedelta(seconds=30)
    assert notify.next_due() == first.paused_until  # every queued message waits, not only those refused
    for n in notify.notifications():
        assert n.status == "pending" and n.attempts == 0

    out = drain(notify, clock, proxy)
    assert out.statuses == {"sent": 40} and out.max_copies == 1
    assert {n.attempts for n in notify.notifications()} == {1}  # the refusals used no attempt
    # after the first pass, a pass that follows a refusal sends one message before the others
    assert out.requests <= concurrency + out.passes + 40
    assert clock() >= start + timedelta(minutes=1)


def test_a_rate_limit_that_never_ends_fails_a_message_only_after_its_time_budget(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy
) -> None:
    approvals(world, clock, 3)
    start = clock()
    proxy.inject("rate_limit", times=None, retry_after="60")
    notify = notify_via(proxy, twilio_mock, world, clock, sms_rate_limit_budget_seconds=600)
    out = drain(notify, clock, proxy, passes=50)
    assert out.statuses == {"failed": 3} and out.max_copies == 0
    assert clock() >= start + timedelta(seconds=540)
    for n in notify.notifications():
        assert (n.attempts, n.error_code) == (0, 20429)


def test_an_unreachable_twilio_pauses_without_using_attempts(
    twilio_mock: TwilioMock, world: World, clock: FakeClock, proxy: FaultProxy, unused_port: int
) -> None:
    approvals(world, clock, 3)
    down = NotifyService(
        world.store,
        twilio_mock.settings(twilio_api_url=f"http://127.0.0.1:{unused_port}", twilio_timeout=SHORT),
        clock=clock,
    )
    report = down.dispatch_pending()
    assert report.stopped is not None and "could not be reached" in report.stopped
    assert {(n.status, n.attempts) for n in down.notifications()} == {("pending", 0)}
    out = drain(notify_via(proxy, twilio_mock, world, clock), clock, proxy)
    assert out.statuses == {"sent": 3} and out.requests == 3


# -- `beian notify status` ---------------------------------------------------------------------------------


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", url, *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_status_settles_unknown_messages_once_twilio_answers(
    twilio_mock: TwilioMock,
    world: World,
    clock: FakeClock,
    proxy: FaultProxy,
    sqlite_url: str,
    unused_port: int,
) -> None:
    approvals(world, clock, 2)
    notify = notify_via(proxy, twilio_mock, world, clock, twilio_timeout=SHORT)
    proxy.inject("slow_accept", times=1, delay=HELD)  # the first is accepted, the second is not
    proxy.inject("reset", times=1)
    assert notify.dispatch_pending().unsure == 2
    before = {n.id: n for n in notify.notifications()}

    env = {**twilio_mock.env(), "BEIAN_TWILIO_API_URL": f"http://127.0.0.1:{unused_port}"}
    down = _cli(sqlite_url, env, "notify", "status")
    assert down.returncode == 6, down.stderr
    assert len(down.stderr.splitlines()) == 1 and "Twilio could not be reached" in down.stderr
    assert "Traceback" not in down.stderr and twilio_mock.env()["BEIAN_TWILIO_AUTH_TOKEN"] not in down.stderr
    assert {n.id: n for n in notify.notifications()} == before  # nothing changed

    # the real clock of the command is past the look-up delay of the test's clock
    up = _cli(sqlite_url, {**twilio_mock.env(), "BEIAN_TWILIO_API_URL": proxy.url}, "notify", "status")
    assert up.returncode == 0, up.stderr
    assert "1 found at Twilio, 1 not found" in up.stdout
    by_phone = {n.phone: n for n in notify.notifications()}
    [accepted] = proxy.messages
    assert (by_phone[accepted.to].status, by_phone[accepted.to].sid) == ("sent", accepted.sid)
    [other] = [n for n in by_phone.values() if n.phone != accepted.to]
    assert other.status == "pending"
    assert drain(notify, clock, proxy).max_copies == 1


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("rate_limit", "rate-limiting requests"),
        ("slow_accept", "did not answer"),
        ("error", "did not answer"),
    ],
)
def test_status_stops_in_one_line_when_twilio_cannot_be_used(
    twilio_mock: TwilioMock,
    world: World,
    clock: FakeClock,
    proxy: FaultProxy,
    sqlite_url: str,
    kind: str,
    words: str,
) -> None:
    approvals(world, clock, 1)
    notify = notify_via(proxy, twilio_mock, world, clock)
    assert notify.dispatch_pending().sent == 1
    proxy.inject(kind, times=None, route="fetch", retry_after="5", delay=HELD)
    env = {**twilio_mock.env(), "BEIAN_TWILIO_API_URL": proxy.url}
    if kind == "slow_accept":
        env["BEIAN_TWILIO_TIMEOUT"] = str(SHORT)
    done = _cli(sqlite_url, env, "notify", "status", "--days", "365")  # sent at the test clock's time
    assert done.returncode == 6, done.stderr
    assert len(done.stderr.splitlines()) == 1 and words in done.stderr and "Traceback" not in done.stderr
    if kind == "rate_limit":
        assert "try again in 5 s" in done.stderr


# -- a killed dispatcher ---------------------------------------------------------------------------------

DISPATCHER = """
import sys
from tracker.config import load_settings
from tracker.notify.dispatch import dispatch_pending
from tracker.store.db import Store, make_engine
from tracker.timeutil import now_utc

store = Store(make_engine(sys.argv[1]))
print(dispatch_pending(store, load_settings(), clock=now_utc, concurrency=1).summary)
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_killed_dispatcher_settles_by_itself_and_sends_each_message_once(
    twilio_mock: TwilioMock, world: World, sqlite_url: str, point: str
) -> None:
    approvals(world, now_utc, 3)
    with fault_proxy(twilio_mock.url) as proxy:
        env = {**os.environ, **twilio_mock.env(), "BEIAN_TWILIO_API_URL": proxy.url, CRASH_ENV: f"{point}:2"}
        argv = [sys.executable, "-c", DISPATCHER, sqlite_url]
        done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == (0 if point == "after_claim" else CRASH_EXIT), done.stderr

        later = now_utc() + timedelta(minutes=1)  # past twilio_timeout + sms_lookup_delay_seconds
        notify = NotifyService(
            world.store, twilio_mock.settings(twilio_api_url=proxy.url), clock=lambda: later
        )
        report = notify.dispatch_pending()
        assert [n.status for n in notify.notifications()] == ["sent"] * 3, report.summary
        assert proxy.per_message() and max(proxy.per_message().values()) == 1
        assert proxy.accepted() == 3
