"""Forecasts and rules in force: the learning and look-up half of `RulesService`, kept apart so each module
stays small. A mixin of `tracker.rules.service.RulesService`; it uses its store, rules, calendar and today,
and raises what its docstrings say. Dates are Beijing days; durations are working days.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from states import Kind, Stage
from tracker.domain import Forecast
from tracker.filings import repo as filing_repo
from tracker.rules import repo as q
from tracker.rules.forecast import StageSample, forecast
from tracker.rules.host import RulesHost
from tracker.rules.inforce import RuleChange, RulesInForce, changes_between, rules_on
from tracker.store.revision import read_revision
from tracker.timeutil import beijing_date

if TYPE_CHECKING:
    from tracker.store.db import Session, Store


class ForecastMixin(RulesHost):
    """The forecast and rules-in-force methods of `RulesService`."""

    store: Store
    _samples: tuple[int, dict[Kind, list[StageSample]]] | None

    def _history(self, session: Session) -> dict[Kind, list[StageSample]]:
        revision = read_revision(session)
        cached = self._samples
        if cached is not None and cached[0] == revision:
            return cached[1]
        samples = q.stage_samples(session, self.calendar)
        self._samples = (revision, samples)
        return samples

    def stage_samples(self) -> dict[Kind, list[StageSample]]:
        """Every finished stage visit recorded in this database, in working days, by kind.

        Raises `RulesError`, `StorageError`.
        """
        with self.store.unit() as session:
            return self._history(session)

    def forecast(self, ref: str | int) -> Forecast:
        """When the filing is expected to leave review (median and 80th percentile), with the basis stated.

        Raises `NotFound`, `RulesError`, `StorageError`.
        """
        with self.store.unit() as session:
            row, _ = filing_repo.find_filing(session, ref)
            assert row.id is not None
            samples = self._history(session)
        kind, stage = Kind(row.kind), Stage(row.stage)
        return forecast(
            self.rules.at(self.today()),  # the settings in force today (offline-check rate, resubmit policy)
            self.calendar,
            kind=kind,
            current_stage=stage,
            entered_current_at=beijing_date(row.stage_entered_at),
            today=self.today(),
            samples=samples.get(kind, []),
            returned_from=Stage(row.returned_from) if row.returned_from else None,
            filing_id=row.id,
            ref=row.ref,
        )

    # -- rules in force by date -------------------------------------------------------------------

    def in_force(self, on: date | None = None) -> RulesInForce:
        """The rules in force on `on` (Beijing date; default today), with their periods of effect and sources,
        and whether that year's calendar is provisional (调休 not yet published). Raises `RulesError`."""
        return rules_on(self.rules, self.calendar, on or self.today())

    def rule_changes(self, since: date, until: date | None = None) -> tuple[RuleChange, ...]:
        """Rules that started, stopped or changed after `since` up to `until` (Beijing dates; default today),
        in date order. Raises `UsageError` when `until` is before `since`, `RulesError`."""
        return changes_between(self.rules, since, until or self.today())
