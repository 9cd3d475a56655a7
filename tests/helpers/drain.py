"""Running the outbox to the end under injected faults, and what the recipients got (with `tests.helpers.faultproxy`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tests.helpers.faultproxy import FaultProxy


@dataclass
class Drained:
    """The outcome of running the dispatcher until nothing is left to do (or the pass budget ran out)."""

    passes: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    copies: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Accepted copies per (To, Body), as the proxy counted them."""
    requests: int = 0
    """Send requests the proxy received."""
    stopped: list[str] = field(default_factory=list)

    @property
    def max_copies(self) -> int:
        """The most copies any recipient got of one message."""
        return max(self.copies.values(), default=0)

    @property
    def lost(self) -> int:
        """Rows that never reached Twilio and will not be tried again."""
        return self.statuses.get("failed", 0)


def drain(notify: Any, clock: Any, proxy: FaultProxy, *, passes: int = 60, step: float = 1.0) -> Drained:
    """Dispatch, move the clock to the next due time, dispatch again, until no row is pending or unknown.

    `notify` is a `NotifyService`; `clock` the test's movable clock (also the proxy's); nothing sleeps.
    """
    out = Drained()
    for _ in range(passes):
        report = notify.dispatch_pending()
        out.passes += 1
        if report.stopped:
            out.stopped.append(report.stopped)
        counts = notify.status_counts()
        if not counts.get("pending") and not counts.get("unknown"):
            break
        due = notify.next_due()
        later = clock() + timedelta(seconds=step)
        clock.now = max(later, due) if due is not None else later
    out.statuses = Counter(notify.status_counts())
    out.copies = proxy.per_message()
    out.requests = proxy.received()
    return out
