"""Kill the dispatcher at every step: no outbox row is lost, and none reaches Twilio twice.

Each case runs a real dispatcher process against the Twilio mock, ends it abruptly (`os._exit`) at one step
of one message, recovers with a second dispatcher, and counts the requests in the mock's log.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.probes import ROOT
from tests.helpers.sms import World
from tests.helpers.twilio import TwilioMock
from tracker.config import Settings
from tracker.notify.dispatch import CRASH_ENV, CRASH_EXIT, CRASH_POINTS, dispatch_pending
from tracker.notify.service import NotifyService
from tracker.timeutil import now_utc

pytestmark = [pytest.mark.twilio, pytest.mark.slow]

DISPATCHER = """
import sys
from tracker.config import load_settings
from tracker.notify.dispatch import dispatch_pending
from tracker.store.db import Store, make_engine
from tracker.timeutil import now_utc

store = Store(make_engine(sys.argv[1]))
print(dispatch_pending(store, load_settings(), clock=now_utc, concurrency=int(sys.argv[2])).summary)
"""
REACHED_TWILIO = ("after_send", "before_record")  # the process died after the request, before its record


def _run_dispatcher(url: str, mock: TwilioMock, crash: str, concurrency: int = 1) -> int:
    env = {**os.environ, **mock.env(), CRASH_ENV: crash}
    argv = [sys.executable, "-c", DISPATCHER, url, str(concurrency)]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, CRASH_EXIT), done.stderr
    return done.returncode


@pytest.mark.parametrize("nth", [1, 2, 3])
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_killed_dispatcher_loses_nothing_and_sends_nothing_twice(
    twilio_mock: TwilioMock, world: World, sqlite_url: str, point: str, nth: int
) -> None:
    notify = NotifyService(world.store, twilio_mock.settings(), clock=now_utc)
    for phone in ("13800138000", "13900139000", "+14155552671"):
        notify.add_recipient(phone, organisation=world.org_id)
    assert world.transition("approve") == 3
    before = twilio_mock.message_posts()

    code = _run_dispatcher(sqlite_url, twilio_mock, f"{point}:{nth}")
    # a claim is made once per batch, so a second `after_claim` never comes with three messages
    assert code == (0 if point == "after_claim" and nth > 1 else CRASH_EXIT)

    # the next dispatcher sees the dead claimant and recovers its rows at once
    dispatch_pending(world.store, twilio_mock.settings(), clock=now_utc)
    rows = notify.notifications()
    states = sorted(n.status for n in rows)
    assert len(rows) == 3 and set(states) <= {"sent", "unknown"}, states  # nothing lost or stuck
    unknown = [n for n in rows if n.status == "unknown"]
    # One message was marked `sending` when the process died, except after a claim or after the last record.
    # A record commits with the next message's mark, so dying after it leaves that next one marked, unsent.
    died_mid_send = (
        code == CRASH_EXIT and point != "after_claim" and not (point == "after_record" and nth == 3)
    )
    assert len(unknown) == (1 if died_mid_send else 0)
    sent = states.count("sent")
    reached = sent + (len(unknown) if point in REACHED_TWILIO else 0)
    assert (
        twilio_mock.message_posts() - before == reached
    )  # one request per message that went out: no duplicate

    # a person settles the unknown one: resend it if it never left, record it if it did
    for n in unknown:
        if point in REACHED_TWILIO:
            notify.resolve(n.id)
        else:
            notify.retry(n.id, force=True)
    dispatch_pending(world.store, twilio_mock.settings(), clock=now_utc)
    assert [n.status for n in notify.notifications()] == ["sent"] * 3
    assert twilio_mock.message_posts() - before == 3


def test_a_crashed_unconfigured_run_changes_nothing(world: World, sqlite_url: str, clock: FakeClock) -> None:
    notify = NotifyService(world.store, Settings(), clock=now_utc)
    notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    env = {**os.environ, CRASH_ENV: "after_claim"}
    done = subprocess.run(
        [sys.executable, "-c", DISPATCHER, sqlite_url, "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "SMS not configured" in done.stdout
    assert [n.status for n in notify.notifications()] == ["pending"]


@pytest.mark.parametrize("point", ["after_mark", "after_send", "before_record", "after_record"])
def test_a_killed_parallel_dispatcher_never_resends(
    twilio_mock: TwilioMock, world: World, sqlite_url: str, point: str
) -> None:
    """With four workers, up to four messages can be in flight when the process dies: none is lost or resent."""
    notify = NotifyService(world.store, twilio_mock.settings(), clock=now_utc)
    for i in range(12):
        notify.add_recipient(f"+86138{i:08d}", organisation=world.org_id)
    world.transition("approve")
    before = twilio_mock.message_posts()
    assert _run_dispatcher(sqlite_url, twilio_mock, f"{point}:5", concurrency=4) == CRASH_EXIT
    dispatch_pending(world.store, twilio_mock.settings(), clock=now_utc)
    rows = notify.notifications()
    unknown = [n for n in rows if n.status == "unknown"]
    assert {n.status for n in rows} <= {"sent", "unknown"} and len(rows) == 12
    assert len(unknown) <= 4
    posts = twilio_mock.message_posts() - before
    # every sent row went out once; each unknown row went out at most once
    assert len(rows) - len(unknown) <= posts <= len(rows)
