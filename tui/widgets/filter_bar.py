"""The filter bar: free text and organisation, applied a moment after typing stops."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from states import Lang
from tui.view.labels import pick

DEBOUNCE_SECONDS = 0.15


class FilterBar(Horizontal):
    """Two inputs and a summary of what is shown."""

    @dataclass
    class Changed(Message):
        """The text or organisation filter changed."""

        text: str
        organisation: str
        submitted: bool = False
        """Enter was pressed: the user is done typing."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's own name)
        super().__init__(id=id)
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """Text filter, organisation filter, summary."""
        yield Input(placeholder="/  search ref, title, organisation, number", id="filter-text", compact=True)
        yield Input(placeholder="organisation 单位", id="filter-org", compact=True)
        yield Static("", id="filter-summary")

    @property
    def text(self) -> str:
        """The free-text filter."""
        return self.query_one("#filter-text", Input).value

    @property
    def organisation(self) -> str:
        """The organisation filter."""
        return self.query_one("#filter-org", Input).value

    def set_values(self, text: str, organisation: str) -> None:
        """Set both inputs without announcing a change."""
        for selector, value in (("#filter-text", text), ("#filter-org", organisation)):
            field = self.query_one(selector, Input)
            with field.prevent(Input.Changed):
                field.value = value

    def set_language(self, lang: Lang) -> None:
        """Placeholders in the display language."""
        self.query_one("#filter-text", Input).placeholder = "/  " + pick(
            lang, "搜索编号、名称、单位、备案号", "search ref, title, organisation, number"
        )
        self.query_one("#filter-org", Input).placeholder = pick(lang, "单位", "organisation")

    def set_summary(self, summary: str, tooltip: str | None = None) -> None:
        """What the table shows, e.g. "12 of 340 filings", and what hovering over it explains."""
        shown = self.query_one("#filter-summary", Static)
        shown.update(summary)
        shown.tooltip = tooltip

    def focus_text(self) -> None:
        """Put the cursor in the text filter."""
        self.query_one("#filter-text", Input).focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._announce)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._announce(submitted=True)

    def _announce(self, submitted: bool = False) -> None:
        self._timer = None
        self.post_message(self.Changed(self.text.strip(), self.organisation.strip(), submitted))
