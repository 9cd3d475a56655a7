"""The regulator's clock and portfolio statistics, as methods of `RulesService` (see `tracker.rules.clocks`).

Clocks are computed in bulk from the history (one query, one pass, one prefix sum over the calendar) and cached
per database revision and Beijing day, like the portfolio's deadlines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from states import Kind
from tracker.domain.clocks import PortfolioStats, RegulatorClock
from tracker.filings import repo as filing_repo
from tracker.rules import repo as q
from tracker.rules.clocks import ClockRule, Step, clock_rule, compute_clock
from tracker.rules.host import RulesHost
from tracker.store.revision import read_revision
from tracker.timeutil import beijing_date

if TYPE_CHECKING:
    from tracker.store.db import Session, Store

__all__ = ["ClockMixin", "Timed"]

Timed = tuple[Any, tuple[Step, ...], RegulatorClock]
"""A filing's first history row (filing_id, ref, kind, organisation_id, organisation, algorithm_type, …), its
history as clock steps, and its clock."""
_CHUNK = 500  # ids per IN list


class ClockMixin(RulesHost):
    """The clock methods of `RulesService`; they use its store, rules, calendar and today."""

    store: Store
    _clocks: tuple[tuple[int, date], tuple[Timed, ...]] | None

    def _timed(self, session: Session, ids: Sequence[int] | None) -> list[Timed]:
        """Clocks of the filings (all, or `ids`) that have a history: one query, one pass, one prefix sum."""
        rows = q.clock_history(session, ids)
        if not rows:
            return []
        today = self.today()
        days = [beijing_date(r[9]) for r in rows]
        counter = q.WorkdayCounter(self.calendar, min(min(days), today), max(max(days), today))
        by_kind: dict[str, ClockRule] = {}
        doubts: dict[tuple[int, int], tuple[tuple[str, ...], bool]] = {}
        out: list[Timed] = []
        start, n = 0, len(rows)
        while start < n:
            stop = start
            fid = rows[start][0]
            while stop < n and rows[stop][0] == fid:
                stop += 1
            first = rows[start]
            kind = first[2]
            rule = by_kind.get(kind)
            if rule is None:
                rule = by_kind[kind] = clock_rule(self.rules, Kind(kind))
            steps = tuple(
                Step(r[6], r[7], r[8], days[k], r[10]) for k, r in enumerate(rows[start:stop], start)
            )
            clock = compute_clock(fid, first[1], kind, steps, count=counter.between, today=today, rule=rule)
            if clock.started is not None:
                last = clock.ended or today
                span = (clock.started.year, last.year)
                if span not in doubts:
                    doubts[span] = (
                        self.calendar.warnings_between(clock.started, last),
                        self.calendar.provisional_between(clock.started, last),
                    )
                warnings, provisional = doubts[span]
                if warnings or provisional:
                    clock = replace(clock, provisional=provisional, warnings=warnings)
            out.append((first, steps, clock))
            start = stop
        return out

    def _resumed(self, session: Session, ids: Sequence[int]) -> dict[int, int]:
        """Working days a resuming regulator's clock carries into each filing's latest resubmission
        (`tracker.rules.clocks.resumed_days`), for those of `ids` that carry any; empty when clocks restart."""
        from tracker.rules.clocks import resumed_days

        if self.rules.regulator_clock_on_resubmit != "resume" or not ids:
            return {}
        out: dict[int, int] = {}
        for first in range(0, len(ids), _CHUNK):
            rows = q.clock_history(session, ids[first : first + _CHUNK])
            if not rows:
                continue
            days = [beijing_date(r[9]) for r in rows]
            counter = q.WorkdayCounter(self.calendar, min(days), max(days))
            by_filing: dict[int, list[Step]] = {}
            kinds: dict[int, str] = {}
            for k, r in enumerate(rows):
                by_filing.setdefault(r[0], []).append(Step(r[6], r[7], r[8], days[k], r[10]))
                kinds[r[0]] = r[2]
            for fid, steps in by_filing.items():
                rule = clock_rule(self.rules, Kind(kinds[fid]))
                carried = resumed_days(kinds[fid], steps, count=counter.between, rule=rule)
                if carried:
                    out[fid] = carried
        return out

    def _all_timed(self) -> tuple[Timed, ...]:
        with self.store.unit() as session:
            key = (read_revision(session), self.today())
            cached = self._clocks
            if cached is not None and cached[0] == key:
                return cached[1]
            timed = tuple(self._timed(session, None))
        self._clocks = (key, timed)
        return timed

    def regulator_clock(self, ref: str | int) -> RegulatorClock:
        """The regulator's clock of one filing (Art. 25; see `tracker.rules.clocks`), recomputed from its history.

        Working days are Chinese working days up to today (Beijing). Raises `NotFound`, `RulesError`,
        `StorageError`.
        """
        with self.store.unit() as session:
            row, _ = filing_repo.find_filing(session, ref)
            assert row.id is not None
            found = self._timed(session, [row.id])
        if found:
            return found[0][2]
        rule = clock_rule(self.rules, Kind(row.kind))
        return RegulatorClock(
            row.id, row.ref, None, None, None, 0, 0, 0, 0, rule.limit, rule.policy, basis=rule.basis
        )

    def regulator_clocks(self, filing_ids: Sequence[int] | None = None) -> dict[int, RegulatorClock]:
        """Clocks by filing id, of every filing with a history (or of these filings), computed in bulk.

        The portfolio's clocks are cached per database revision and day. Raises `RulesError`, `StorageError`.
        """
        if filing_ids is None:
            return {t[2].filing_id: t[2] for t in self._all_timed()}
        wanted = list(dict.fromkeys(filing_ids))
        out: dict[int, RegulatorClock] = {}
        with self.store.unit() as session:
            for start in range(0, len(wanted), _CHUNK):
                out.update(
                    (t[2].filing_id, t[2]) for t in self._timed(session, wanted[start : start + _CHUNK])
                )
        return out

    def stats(self) -> PortfolioStats:
        """Median and worst working days per stage, time per party and the share lost to returns: for the whole
        portfolio, per organisation and per algorithm type (only filings with a history count).

        Raises `RulesError`, `StorageError`.
        """
        from tracker.rules.clocks import algorithm_type_label, group_stats, stage_visits

        today = self.today()
        timed = self._all_timed()
        days = [s.day for _, steps, _ in timed for s in steps]
        counter = (
            q.WorkdayCounter(self.calendar, min(min(days), today), max(max(days), today)) if days else None
        )
        members = []
        for first, steps, clock in timed:
            assert counter is not None
            visits = tuple(stage_visits(first[2], steps, count=counter.between, today=today))
            members.append((first, visits, clock))
        by_org: dict[int, list[Any]] = {}
        by_type: dict[str, list[Any]] = {}
        for m in members:
            by_org.setdefault(m[0][3], []).append(m)
            by_type.setdefault(m[0][5] or "", []).append(m)
        total = group_stats("all", "all filings", ((m[0][2], m[1], m[2]) for m in members))
        organisations = tuple(
            sorted(
                (
                    group_stats(str(oid), group[0][0][4], ((m[0][2], m[1], m[2]) for m in group))
                    for oid, group in by_org.items()
                ),
                key=lambda g: g.label,
            )
        )
        types = tuple(
            group_stats(key or "none", algorithm_type_label(key), ((m[0][2], m[1], m[2]) for m in group))
            for key, group in sorted(by_type.items())
        )
        warnings = tuple(dict.fromkeys(w for _, _, c in timed for w in c.warnings))
        return PortfolioStats(
            today, total, organisations, types, self.rules.regulator_clock_on_resubmit, warnings
        )
