"""Time per stage: the status report's chart in the terminal, median and worst working days of every stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

import states
from states import Kind, Lang
from tui.messages import LoadFailed, StageTimesLoaded
from tui.screens.host import ServiceCall, UsesHost
from tui.view.bars import StageBar
from tui.view.labels import pick, stage_label
from tui.widgets.stage_chart import StageChart

if TYPE_CHECKING:
    from tracker.exchange.report import StageTime
    from tracker.filings.service import FilingService


def stage_bars(times: tuple[StageTime, ...], lang: Lang) -> tuple[StageBar, ...]:
    """One bar per stage in the display language; stages of other kinds than algorithm filings say their kind."""
    bars = []
    for t in times:
        name = stage_label(t.stage, lang, t.kind)
        if t.kind is not Kind.ALGORITHM:
            name = f"{states.label(t.kind, 'zh' if lang == 'both' else lang)} · {name}"
        bars.append(StageBar(name, t.median_days, t.worst_days, t.visits))
    return tuple(bars)


def load_stage_times(lang: Lang) -> ServiceCall:
    """The service call: the report's figures (`ExchangeService.stage_times`), as bars."""

    def call(service: FilingService) -> StageTimesLoaded:
        from tracker.exchange.service import ExchangeService

        return StageTimesLoaded(stage_bars(ExchangeService(service).stage_times(), lang))

    return call


class StageTimesScreen(UsesHost, ModalScreen[None]):
    """A bar chart of working days per stage over every finished visit (the report's figures)."""

    BINDINGS = [Binding("escape,q,t", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        """The chart, then what it counts."""
        lang = self.lang
        with Vertical(id="stage-times", classes="dialog") as box:
            box.border_title = pick(lang, "各阶段用时", "Time per stage")
            yield StageChart(id="stage-chart")
            yield Static(
                pick(
                    lang,
                    "工作日；已结束的阶段，含全部历史；导入记录的事实不计时。",
                    "Working days over every finished visit; facts recorded by an import are not timed.",
                ),
                classes="muted",
            )

    def on_mount(self) -> None:
        """Footer in the display language, then load the figures in a worker."""
        super().on_mount()
        self.call_service(load_stage_times(self.lang), group="stage-times")

    @on(StageTimesLoaded)
    def _loaded(self, message: StageTimesLoaded) -> None:
        self.query_one(StageChart).show(message.bars, self.lang)

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        self.notify(message.error, severity="error", markup=False)
