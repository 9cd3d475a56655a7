"""The SMS dispatcher (`beian notify send`) killed at random moments while the fault proxy between it and
the Twilio mock answers late, rate-limits, fails with a 5xx before or after accepting, or resets the
connection. Afterwards, with Twilio behaving again, every row ends `sent` (the look-up settles the `unknown`
ones), none is lost, and the proxy's tally says how many copies each recipient got of each message.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.faultproxy import KINDS, FaultProxy, fault_proxy
from tests.helpers.figures import Recorder, scaled
from tests.helpers.load import ORG, seed_cycling
from tests.helpers.spawn import Spawner
from tests.helpers.twilio import TwilioMock
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = [pytest.mark.slow, pytest.mark.twilio]

RECIPIENTS = 5
TIMEOUT = 0.5
"""twilio_timeout of the dispatchers; a slow accept holds its answer for longer."""


def _ended(pid: int) -> bool:
    """Whether the child has exited (a zombie waiting for the fork server, or gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _kill_moment(proxy: FaultProxy, pid: int, target: int, limit: float) -> None:
    """Return once `target` send requests have reached the proxy in all, the child has ended, or `limit`
    seconds have passed (a dispatcher pausing on a rate limit sends nothing for a while)."""
    deadline = time.monotonic() + limit
    while not proxy.wait_received(target, 0.02):
        if _ended(pid) or time.monotonic() > deadline:
            return


def test_dispatcher_killed_at_random_moments_under_injected_faults_loses_nothing(
    tmp_path: Path,
    fork: Spawner,
    child_env: dict[str, str],
    twilio_mock: TwilioMock,
    rng: random.Random,
    figures: Recorder,
) -> None:
    url = f"sqlite:///{tmp_path / 'beian.db'}"
    store = open_store(url, create=True)
    service = FilingService(store, Settings())
    refs = seed_cycling(service, 4)
    for i in range(1, RECIPIENTS):
        service.notify.add_recipient(f"+86139{i:08d}", organisation=ORG, events=["return_for_revision"])
    wanted = scaled(50, 200)
    kills = runs = lagged = 0
    estimate: float | None = None
    injected: Counter[str] = Counter()
    posts_before = twilio_mock.message_posts()
    with fault_proxy(twilio_mock.url, lifetime=1800) as proxy:
        env = {
            **child_env,
            **twilio_mock.env(),
            "BEIAN_TWILIO_API_URL": proxy.url,
            "BEIAN_TWILIO_TIMEOUT": str(TIMEOUT),
            "BEIAN_SMS_LOOKUP_DELAY_SECONDS": "0",
            "BEIAN_SMS_BACKOFF_SECONDS": "0",
            # the most attempts a row may take: here a row's end is decided by kills and faults, not by its
            # retry budget running out after a run of 5xx answers (tests/notify covers the budget)
            "BEIAN_SMS_MAX_ATTEMPTS": "50",
        }
        try:
            while kills < wanted and runs < wanted * 3:
                runs += 1
                for ref in rng.sample(refs, 2):  # queue more: each return sends one SMS per recipient
                    if service.filing(ref).stage.value == "initial_review":
                        service.advance(ref, "return_for_revision", reason="材料不全")
                    else:
                        service.advance(ref, "resubmit")
                kind = rng.choice(KINDS)
                options: dict[str, Any] = {"retry_after": "1"} if kind == "rate_limit" else {}
                if kind == "slow_accept":
                    options["delay"] = TIMEOUT * 3
                proxy.inject(kind, rng.randint(1, 3), **options)
                # now and then Twilio lists a new message only after a while: the README's first window
                proxy.listing_lag = 2 * TIMEOUT if rng.random() < 0.2 else 0.0
                lagged += proxy.listing_lag > 0
                queued = service.notify.status_counts().get("pending", 0)
                arrived = proxy.received()
                started = time.monotonic()
                pid = fork.spawn(["--db", url, "notify", "send"], env)
                if estimate is not None:
                    if rng.random() < 0.25:  # while starting, claiming or looking rows up
                        time.sleep(estimate * rng.uniform(0.0, 0.5))
                    else:  # right after the n-th request reached Twilio, or a moment later
                        _kill_moment(proxy, pid, arrived + rng.randint(1, max(1, queued)), 4 * estimate)
                        time.sleep(rng.choice((0.0, 0.0, rng.uniform(0.0, TIMEOUT))))
                    fork.kill(pid)
                done = fork.wait(pid)
                if done.killed:
                    kills += 1
                else:
                    assert "Traceback" not in done.stderr, done.stderr
                    took = time.monotonic() - started
                    estimate = took if estimate is None else 0.7 * estimate + 0.3 * took
            injected = Counter(proxy.tally.faults)
            proxy.clear()
            proxy.listing_lag = 0.0
            # Twilio behaves again: the next runs settle every `unknown` row by looking it up, send the rest
            for _ in range(20):
                final = fork.run(["--db", url, "notify", "send"], env)
                assert "Traceback" not in final.stderr, final
                counts = service.notify.status_counts()
                if not counts.get("pending") and not counts.get("unknown"):
                    break
                time.sleep(TIMEOUT)  # a row is looked up only once its attempt's timeout has passed
            rows = service.notify.notifications()
            copies, posted, hidden = proxy.per_message(), proxy.posted(), Counter(proxy.tally.hidden)
        finally:
            store.dispose()
    posts_logged = twilio_mock.message_posts() - posts_before
    statuses = Counter(n.status for n in rows)
    per_key = Counter((n.phone, n.body) for n in rows)
    # the same text to the same phone can be several rows (a filing returned twice): compare per (To, Body)
    extra = {key: copies[key] - n for key, n in per_key.items() if copies[key] != n}
    # an extra copy is inside the README's first window when a look-up missed an accepted, unlisted copy
    in_window = {key: min(v, hidden[key]) for key, v in extra.items() if v > 0}
    beyond = {key: v - in_window.get(key, 0) for key, v in extra.items() if v - in_window.get(key, 0) != 0}
    lost = sum(statuses[s] for s in statuses if s != "sent")
    figures.add(
        dispatcher_kills=kills, SMS_rows_checked=len(rows), faults_injected=sum(injected.values()) + lagged
    )
    figures.add_named("SMS lost", lost)
    figures.add_named("SMS duplicates in window", sum(in_window.values()))
    figures.add_named("SMS duplicates beyond", sum(abs(v) for v in beyond.values()))
    figures.set_max(
        "SMS POSTs per row (max)", max((-(-posted[k] // n) for k, n in per_key.items()), default=0)
    )
    figures.set_max(
        "SMS accepted per row (max)", max((-(-copies[k] // n) for k, n in per_key.items()), default=0)
    )
    faults = ", ".join(f"{k} {v}" for k, v in sorted({**injected, "listing_lag": lagged}.items()))
    figures.note(
        f"dispatcher kills through the fault proxy: {kills} kills in {runs} runs, {len(rows)} rows,"
        f" {sum(posted.values())} POSTs at the mock (its log: {posts_logged}); faults: {faults}"
    )
    unsent = [(n.id, n.status, n.attempts, n.error_code, n.error_message) for n in rows if n.status != "sent"]
    assert statuses == Counter({"sent": len(rows)}), (statuses, unsent)
    assert beyond == {}, beyond
    assert posts_logged == sum(posted.values()), "the mock's log and the proxy disagree on the POSTs"
