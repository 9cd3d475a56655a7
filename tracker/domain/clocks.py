"""The regulator's clock of a filing and the portfolio's review statistics.

Durations are Chinese working days (工作日: statutory holidays skipped, 调休 make-up days counted, the start day
not counted, Civil Code art. 201); dates are Beijing days. The clock is the Art. 25 period of
《互联网信息服务算法推荐管理规定》 (材料齐全的，应当在三十个工作日内予以备案), in the vocabulary of SLA tools:
running, stopped (returned for revision, or withdrawn), restarted (on resubmission), met, breached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from states import Stage

ClockState = Literal["running", "stopped", "met", "breached"]
CLOCK_STATES: tuple[ClockState, ...] = ("running", "stopped", "met", "breached")


@dataclass(frozen=True, slots=True)
class RegulatorClock:
    """Where a filing's time went since it was (first) submitted, and the state of the regulator's clock.

    `elapsed_working_days` = `regulator_working_days` + `filer_working_days` + `returns_working_days`, always:
    - `regulator_working_days`: days under review that count on the clock now (since the latest resubmission
      when the rules restart the clock, all review days when they resume it);
    - `filer_working_days`: days returned for revision (退回修改), i.e. with the filer;
    - `returns_working_days`: review days a return voided (the regulator's days before a restart; 0 on resume).
    `state` is None for a filing never submitted. `limit` is the regulator's period (30 for Art. 25) or None
    for a kind no such period binds; `why` says why the clock is stopped, met or breached.
    """

    filing_id: int
    ref: str
    state: ClockState | None
    started: date | None
    """The Beijing day of the (first) submission that started this review; None before submission."""
    ended: date | None
    """The day the review ended (approved, rejected, withdrawn); None while it goes on."""
    elapsed_working_days: int
    regulator_working_days: int
    filer_working_days: int
    returns_working_days: int
    limit: int | None
    policy: Literal["restart", "resume"]
    restarts: int = 0
    """How many resubmissions restarted (or resumed) the clock."""
    stopped_since: date | None = None
    why: str | None = None
    basis: str = ""
    """The rule: its legal text and where the restart-or-resume setting comes from."""
    provisional: bool = False
    """True when a day counted lies in a year whose 调休 schedule is not yet published."""
    warnings: tuple[str, ...] = ()

    @property
    def working_days_left(self) -> int | None:
        """Working days left on the clock (negative once breached), or None without a limit."""
        return None if self.limit is None else self.limit - self.regulator_working_days

    @property
    def lost_to_returns(self) -> int:
        """Working days returns cost: with the filer plus review days voided by a restart."""
        return self.filer_working_days + self.returns_working_days


@dataclass(frozen=True, slots=True)
class StageStat:
    """How long visits of one stage took: median and worst, in working days, over finished visits."""

    stage: Stage
    visits: int
    median: float
    worst: int
    running: int = 0
    """Visits still going on (not in the median or worst)."""


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Review statistics of one group of filings (the portfolio, an organisation, an algorithm type)."""

    key: str
    label: str
    filings: int
    """Filings submitted at least once."""
    stages: tuple[StageStat, ...]
    elapsed_working_days: int
    regulator_working_days: int
    filer_working_days: int
    returns_working_days: int
    clocks: dict[str, int] = field(default_factory=dict)
    """Filings per clock state (running, stopped, met, breached)."""

    @property
    def lost_to_returns(self) -> int:
        """Working days returns cost (with the filer plus voided review days)."""
        return self.filer_working_days + self.returns_working_days

    @property
    def returns_share(self) -> float:
        """Share of the elapsed working days lost to returns (0 when nothing elapsed)."""
        return self.lost_to_returns / self.elapsed_working_days if self.elapsed_working_days else 0.0


@dataclass(frozen=True, slots=True)
class PortfolioStats:
    """`beian stats`: the whole portfolio, then per organisation and per algorithm type."""

    today: date
    total: GroupStats
    organisations: tuple[GroupStats, ...]
    algorithm_types: tuple[GroupStats, ...]
    policy: Literal["restart", "resume"]
    warnings: tuple[str, ...] = ()
