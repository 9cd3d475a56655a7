"""The stage funnel: deadline and whose-move filters, then how many filings are in each stage; choosing one
filters the table."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from states import Lang, Stage
from tracker.domain import WAITING_ON
from tui.view.labels import QUICK_FILTERS, fit, pick, stage_label, stage_style

ALL = "all"
QUICK = "quick:"
"""Option ids of the deadline and whose-move filters start with this."""


class StageFunnel(OptionList):
    """ "All", the quick filters (overdue, due soon, waiting on the regulator, waiting on us), then one line per
    stage that has filings, in process order."""

    @dataclass
    class StageChosen(Message):
        """The user chose a stage to filter by (None: every stage)."""

        stage: Stage | None

    @dataclass
    class QuickFilterChosen(Message):
        """The user chose (or, chosen again, dropped) a quick filter by name (`QUICK_FILTERS`)."""

        name: str

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's own name)
        super().__init__(id=id)
        self.counts: Mapping[Stage, int] = {}
        self.chosen: Stage | None = None
        self.quick: frozenset[str] = frozenset()
        """The quick filters in force."""
        self.language: Lang = "both"
        self._syncing = False

    def show(
        self,
        counts: Mapping[Stage, int],
        chosen: Stage | None,
        language: Lang,
        quick: Collection[str] | None = None,
    ) -> None:
        """Set the counts, the active stage, the quick filters in force and the language, and redraw."""
        self.counts, self.chosen, self.language = counts, chosen, language
        if quick is not None:
            self.quick = frozenset(quick)
        self._syncing = True
        try:
            highlighted = self.highlighted
            self.clear_options()
            self.add_options(self._build_options())
            ids = [o.id for o in self.options]
            if highlighted is not None and highlighted < len(ids):
                self.highlighted = highlighted
            else:
                self.highlighted = (
                    ids.index(chosen.value) if chosen is not None and chosen.value in ids else 0
                )
        finally:
            self._syncing = False

    def _stages(self) -> list[Stage]:
        return [s for s in Stage if self.counts.get(s) or s is self.chosen]

    def _build_options(self) -> list[Option | None]:
        width = max(12, self.scrollable_content_region.width - 1)
        lang = self.language
        total = sum(self.counts.values())
        options: list[Option | None] = [self._line(ALL, pick(lang, "全部", "All"), total, width, None, False)]
        for name, (zh, en) in QUICK_FILTERS.items():
            waiting = name.removeprefix("waiting-")
            count = sum(self.counts.get(s, 0) for s in WAITING_ON[waiting]) if waiting in WAITING_ON else None
            options.append(
                self._line(QUICK + name, pick(lang, zh, en), count, width, None, name in self.quick)
            )
        options.append(None)  # a separator line
        for s in self._stages():
            options.append(
                self._line(s.value, stage_label(s, lang), self.counts.get(s, 0), width, s, s is self.chosen)
            )
        return options

    @staticmethod
    def _line(
        key: str, name: str, count: int | None, width: int, stage: Stage | None, active: bool
    ) -> Option:
        number = f"{count:,}" if count is not None else ""
        mark = "● " if active else "  "
        name = fit(name, max(4, width - len(mark) - len(number) - 1))
        style = stage_style(stage) if stage else ("bold" if key == ALL else "")
        return Option(Text(mark) + Text(name, style=style) + " " + number, id=key)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id or ALL
        if key.startswith(QUICK):
            self.post_message(self.QuickFilterChosen(key.removeprefix(QUICK)))
            return
        stage = None if key == ALL else Stage(key)
        # choosing the active stage again clears the filter
        self.post_message(self.StageChosen(None if stage is self.chosen else stage))

    def on_resize(self) -> None:
        """Counts stay right-aligned."""
        if self.counts:
            self.show(self.counts, self.chosen, self.language)
