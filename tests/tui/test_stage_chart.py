"""The chart of time per stage: opened from the dashboard by a key or the palette, on demo data at 80×24, its bars
are the status report's figures."""

from __future__ import annotations

from textual.message import Message

from tests.helpers.tui import shown_text, wait_for
from tracker.exchange.service import ExchangeService
from tracker.filings.demo import seed_demo
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.commands import dashboard_commands
from tui.messages import FilingsLoaded, StageTimesLoaded
from tui.screens.dialogs.stage_times import StageTimesScreen
from tui.view.bars import FULL, SHADE, days
from tui.widgets.stage_chart import StageChart


async def test_the_chart_shows_the_report_figures_per_stage(service: FilingService) -> None:
    seed_demo(service)
    report = ExchangeService(service).stage_times()
    assert len(report) >= 3
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        titles = {c.title for c in dashboard_commands(app, app.screen)}
        assert "各阶段用时 Time per stage" in titles  # in the palette too
        await pilot.press("t")
        loaded = await wait_for(pilot, messages, StageTimesLoaded)
        await pilot.pause()
        assert isinstance(app.screen, StageTimesScreen)
        chart = app.screen.query_one(StageChart)
        # one bar per stage, bilingual names, the report's median and worst working days
        assert [(b.median, b.worst, b.visits) for b in loaded.bars] == [
            (t.median_days, t.worst_days, t.visits) for t in report
        ]
        assert chart.bars == loaded.bars
        second = next(b for b in chart.bars if b.label.startswith("线上二审"))
        assert second.label == "线上二审 second review"
        lines = shown_text(chart, width=78).splitlines()
        bars = [
            line for line in lines if line.rstrip().endswith(tuple(f"{days(b.worst)}" for b in chart.bars))
        ]
        assert len(bars) == len(report)
        for bar, line in zip(chart.bars, bars, strict=True):
            head = bar.label.split(" ")[0]
            assert line.startswith(head), (bar.label, line)
            assert line.rstrip().endswith(f"{days(bar.median)} / {days(bar.worst)}")
        # bars share one scale: the longest worst case fills the area, longer medians draw longer
        span = {
            b.label: sum(line.count(c) for c in (FULL, SHADE))
            for b, line in zip(chart.bars, bars, strict=True)
        }
        longest = max(chart.bars, key=lambda b: b.worst)
        assert span[longest.label] == max(span.values()) > 0
        assert "中位数 median" in lines[-1] and "最长 worst" in lines[-1]
        await pilot.press("escape")
        assert not isinstance(app.screen, StageTimesScreen)
