"""The shared constructor of the services: a store, the settings and a clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.timeutil import Clock, now_utc

if TYPE_CHECKING:
    from tracker.store.db import Store


class StoreService:
    """Base of `FilingService`, `RulesService` and `NotifyService`: what each holds, nothing more."""

    def __init__(self, store: Store, settings: Settings | None = None, *, clock: Clock = now_utc) -> None:
        """`store`: the database; `settings`: defaults when None; `clock`: returns aware UTC (tests pass a fake)."""
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
