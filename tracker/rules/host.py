"""What the mixins of `RulesService` (forecasts, clocks, stored next due dates) use of the service itself."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.rules.calendar import WorkCalendar
    from tracker.rules.model import RuleSet
    from tracker.store.db import Store


class RulesHost:
    """The store, rules, calendar and today of `tracker.rules.service.RulesService`, which provides them."""

    store: Store

    @property
    def rules(self) -> RuleSet:  # provided by RulesService
        raise NotImplementedError

    @property
    def calendar(self) -> WorkCalendar:  # provided by RulesService
        raise NotImplementedError

    def today(self) -> date:
        """Today's Beijing date (provided by RulesService)."""
        raise NotImplementedError
