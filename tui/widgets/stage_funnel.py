"""The stage funnel: how many filings are in each stage; choosing a stage filters the table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from states import Lang, Stage
from tui.view.labels import fit, pick, stage_label, stage_style

ALL = "all"


class StageFunnel(OptionList):
    """One line per stage that has filings, in process order, plus "all"."""

    @dataclass
    class StageChosen(Message):
        """The user chose a stage to filter by (None: every stage)."""

        stage: Stage | None

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's own name)
        super().__init__(id=id)
        self.counts: Mapping[Stage, int] = {}
        self.chosen: Stage | None = None
        self.language: Lang = "both"
        self._syncing = False

    def show(self, counts: Mapping[Stage, int], chosen: Stage | None, language: Lang) -> None:
        """Set the counts, the active stage and the language, and redraw."""
        self.counts, self.chosen, self.language = counts, chosen, language
        self._syncing = True
        try:
            self.clear_options()
            self.add_options(self._build_options())
            ids = [ALL, *(s.value for s in self._stages())]
            self.highlighted = ids.index(chosen.value) if chosen is not None and chosen.value in ids else 0
        finally:
            self._syncing = False

    def _stages(self) -> list[Stage]:
        return [s for s in Stage if self.counts.get(s) or s is self.chosen]

    def _build_options(self) -> list[Option]:
        width = max(12, self.scrollable_content_region.width - 1)
        total = sum(self.counts.values())
        rows: list[tuple[str, str, int, Stage | None]] = [
            (ALL, pick(self.language, "全部", "All"), total, None)
        ]
        rows += [(s.value, stage_label(s, self.language), self.counts.get(s, 0), s) for s in self._stages()]
        options = []
        for key, name, count, stage in rows:
            number = f"{count:,}"
            mark = "● " if stage is self.chosen else "  "
            name = fit(name, max(4, width - len(mark) - len(number) - 1))
            prompt = Text(mark) + Text(name, style=stage_style(stage) if stage else "bold") + " " + number
            options.append(Option(prompt, id=key))
        return options

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id
        stage = None if key == ALL or key is None else Stage(key)
        # choosing the active stage again clears the filter
        self.post_message(self.StageChosen(None if stage is self.chosen else stage))

    def on_resize(self) -> None:
        """Counts stay right-aligned."""
        if self.counts:
            self.show(self.counts, self.chosen, self.language)
