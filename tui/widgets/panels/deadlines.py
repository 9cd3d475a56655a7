"""The detail panel of statutory deadlines (in working days) and the review forecast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from rich.text import Text

from states import Lang, Stage
from tracker.domain import Deadline
from tui.view.cells import OVERDUE_STYLE, PROVISIONAL_EN, PROVISIONAL_MARK, PROVISIONAL_ZH, SOON_STYLE
from tui.view.labels import pick, stage_label
from tui.widgets.panels.base import ExtensionPanel


class ForecastShown(Protocol):
    """What the panel shows of the rules layer's review forecast (median and 80th-percentile dates)."""

    @property
    def target(self) -> Stage | None:
        """The stage the forecast ends in; None when nothing is ahead."""

    @property
    def median_date(self) -> date | None:
        """The median date (Beijing calendar date) of reaching `target`."""

    @property
    def p80_date(self) -> date | None:
        """The 80th-percentile date of reaching `target`."""

    @property
    def basis(self) -> str:
        """Where the estimate comes from, in words."""


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The running statutory periods and the review forecast of one filing."""

    running: tuple[Deadline, ...]
    forecast: ForecastShown | None


class DeadlinesPanel(ExtensionPanel):
    """Statutory deadlines in working days, and when review is expected to end."""

    TITLE_ZH, TITLE_EN = "期限与预测", "Deadlines & forecast"
    SLOT = "side"

    def show_data(self, data: Any, lang: Lang) -> None:
        """One line per deadline, then the forecast."""
        deadlines: Deadlines = data
        self.set_language(lang)
        text = Text()
        for d in deadlines.running:
            name = pick(lang, d.zh, d.en)
            who = pick(lang, "（监管时限）", " (regulator)") if d.regulator_sla else ""
            if d.overdue:
                status = Text(
                    pick(
                        lang,
                        f"已逾期 {-d.working_days_left} 个工作日",
                        f"overdue by {-d.working_days_left} wd",
                    ),
                    OVERDUE_STYLE,
                )
            else:
                left = pick(lang, f"剩 {d.working_days_left} 个工作日", f"{d.working_days_left} wd left")
                status = Text(left, SOON_STYLE if d.due_soon else "")
            text.append(
                f"{name}{who}\n  {pick(lang, '截止', 'due')} {d.due_date.isoformat()} · "
            ).append_text(status)
            if d.provisional:
                text.append(f" {PROVISIONAL_MARK} {pick(lang, PROVISIONAL_ZH, PROVISIONAL_EN)}", SOON_STYLE)
            text.append("\n")
        if not deadlines.running:
            text.append(pick(lang, "没有进行中的期限", "No deadline is running."), "dim")
            text.append("\n")
        forecast = deadlines.forecast
        if forecast is not None and forecast.median_date is not None and forecast.target is not None:
            target = stage_label(forecast.target, lang)
            text.append(f"\n{pick(lang, '预计', 'Expected')} → {target}: ", "bold")
            text.append(f"{forecast.median_date.isoformat()}")
            if forecast.p80_date is not None:
                text.append(f" (80%: {forecast.p80_date.isoformat()})", "dim")
            text.append(f"\n{forecast.basis}", "dim")
        self.update(text)
