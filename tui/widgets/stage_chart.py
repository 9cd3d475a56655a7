"""The chart of time per stage: one horizontal bar per stage, the median solid and the worst case shaded."""

from __future__ import annotations

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

from states import Lang
from tui.view.bars import FULL, SHADE, StageBar, chart_lines
from tui.view.labels import pick


class StageChart(Static):
    """Bars drawn with Unicode block characters; redrawn to fit when the terminal is resized."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's own name)
        super().__init__("", id=id)
        self.bars: tuple[StageBar, ...] = ()
        """What is drawn, in order."""
        self.language: Lang = "both"

    def show(self, bars: tuple[StageBar, ...], language: Lang) -> None:
        """Draw these bars (an empty tuple: say there is nothing to time yet)."""
        self.bars, self.language = bars, language
        self._draw()

    def on_resize(self, _event: Resize) -> None:
        """Fit the bars to the new width."""
        self._draw()

    def _draw(self) -> None:
        lang = self.language
        if not self.bars:
            self.update(
                Text(
                    pick(
                        lang,
                        "还没有已结束的阶段，无从计时。",
                        "No finished stage visits yet: nothing to time.",
                    ),
                    style="dim",
                )
            )
            return
        width = max(20, (self.content_region.width or 76) - 1)
        text = Text(no_wrap=True, overflow="crop")
        for label, median, shade, pad, numbers in chart_lines(self.bars, width):
            text.append(label + " ")
            text.append(median, style="bold")
            text.append(shade, style="dim")
            text.append(pad + " " + numbers + "\n")
        text.append(
            f"{FULL} " + pick(lang, "中位数", "median") + f"   {SHADE} " + pick(lang, "最长", "worst") + "   "
            + pick(lang, "工作日", "working days"),
            style="dim",
        )  # fmt: skip
        self.update(text)
