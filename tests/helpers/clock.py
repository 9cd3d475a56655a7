"""A clock the test moves by hand, accepted wherever the code takes a `clock` callable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
"""09:00 on Monday 2 Nov 2026 in Beijing, a working day: where every `FakeClock` starts."""


@dataclass
class FakeClock:
    """A clock the test moves by hand; calling it returns the current UTC instant."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)` and return the new time."""
        self.now += timedelta(**delta)
        return self.now
