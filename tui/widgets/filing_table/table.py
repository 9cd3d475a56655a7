"""A virtual table of filings: it renders only the rows on screen and asks for the pages it lacks.

Like a log viewer over a huge file, the table never holds every row: its virtual height is the row
count, `render_line` builds a strip for one visible line, and missing pages are requested with
`PagesWanted` (the screen loads them in a worker and hands them back with `add_page`). Pages live in
an LRU cache that `reset` clears when the query or the database revision changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from states import Lang
from tracker.domain import Filing
from tui.view.cells import DeadlineCell, column_at, header_strip, placeholder_strip, row_strip
from tui.view.columns import Column, fit_columns
from tui.widgets.filing_table.window import Page, ResultWindow


class FilingTable(ScrollView, can_focus=True):
    """Filings, one per line, with a fixed header; sorted and filtered by the service."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES = {
        "filing-table--header",
        "filing-table--cursor",
        "filing-table--placeholder",
    }
    DEFAULT_CSS = """
    FilingTable { background: $surface; }
    FilingTable > .filing-table--header { text-style: bold; color: $text-accent; background: $panel; }
    FilingTable > .filing-table--cursor { background: $block-cursor-background; text-style: bold; }
    FilingTable:blur > .filing-table--cursor { background: $block-cursor-blurred-background; }
    FilingTable > .filing-table--placeholder { color: $text-muted; }
    """

    @dataclass
    class PagesWanted(Message):
        """The table lacks these pages of the current generation."""

        generation: int
        pages: tuple[int, ...]

    @dataclass
    class FilingHighlighted(Message):
        """The cursor moved onto a filing."""

        filing: Filing

    @dataclass
    class FilingSelected(Message):
        """The user opened a filing (enter or double click)."""

        filing: Filing

    @dataclass
    class Scrolled(Message):
        """The rows on screen changed (a scroll or a jump)."""

        def can_replace(self, message: Message) -> bool:
            """Only the latest position matters."""
            return isinstance(message, FilingTable.Scrolled)

    @dataclass
    class SortRequested(Message):
        """The user clicked a column header."""

        column: Column

    language: reactive[Lang] = reactive[Lang]("both", init=False)
    """How stage and kind names are shown."""
    sort_column: reactive[str] = reactive("ref", init=False)
    """Key of the column the rows are sorted by (marked in the header)."""
    descending: reactive[bool] = reactive(False, init=False)
    """Whether the sort is descending."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's own name)
        super().__init__(id=id)
        self.window = ResultWindow()
        """The rows in memory."""
        self.cursor = 0
        self.now = datetime.now(UTC)
        self.ref_width = 8
        """Cells the reference column needs (the longest reference in the database)."""
        self._strips: LRUCache[tuple[int, bool], Strip] = LRUCache(256)
        self._layout: list[tuple[Column, int]] = []
        self._selected_id: int | None = None
        self._request_scheduled = False

    @property
    def generation(self) -> int:
        """Which query and revision the rows belong to."""
        return self.window.generation

    @property
    def total(self) -> int:
        """Rows in the whole result."""
        return self.window.total

    # -- attributes the screen sets ---------------------------------------------------------------

    def reset(
        self,
        generation: int,
        total: int,
        pages: Mapping[int, Page],
        *,
        now: datetime,
        keep_selection: bool = True,
        cursor: int | None = None,
    ) -> None:
        """Show a new query result or revision: replace every cached page, keep the scroll and the selection.

        `cursor`: put the cursor on this row and scroll it into the middle of the screen (a filing kept
        across a filter change, or just created); without it a new query (`keep_selection` False) starts at
        the top.
        """
        self.window.reset(generation, total, pages)
        self.now = now
        self._strips.clear()
        if cursor is not None:
            self.cursor = max(0, min(cursor, total - 1))
            self._update_layout()
            self.scroll_to(y=max(0, self.cursor - self._body_height() // 2), animate=False)
        elif keep_selection and self._selected_id is not None:
            found = self.window.index_of(self._selected_id)
            if found is not None:
                self.cursor = found
        elif not keep_selection:
            self.cursor = 0
            self.scroll_to(0, 0, animate=False)
        self.cursor = max(0, min(self.cursor, total - 1))
        self._update_layout()
        self._remember_selection()
        self.refresh()

    def add_page(self, generation: int, page: int, rows: Page) -> None:
        """Accept a page the screen loaded (a stale generation is dropped)."""
        if self.window.add(generation, page, rows):
            self._strips.clear()
            self._remember_selection()
            self.refresh()

    @property
    def pages_cached(self) -> int:
        """How many pages are in memory."""
        return len(self.window)

    @property
    def selected(self) -> Filing | None:
        """The filing under the cursor, if its page is loaded."""
        return self.row(self.cursor)

    def row(self, index: int) -> Filing | None:
        """The filing at `index` of the current result, if loaded."""
        return self.window.row(index)

    def visible_rows(self) -> list[Filing]:
        """The loaded filings currently on screen, top to bottom."""
        first = int(self.scroll_y)
        found = (self.row(i) for i in range(first, min(self.total, first + self._body_height())))
        return [f for f in found if f is not None]

    # -- actions ----------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        """Move the cursor by `delta` rows."""
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor by one screenful."""
        self.move_cursor(self.cursor + direction * max(1, self._body_height() - 1))

    def action_jump(self, index: int) -> None:
        """Jump to the first (0) or last (-1) row."""
        self.move_cursor(self.total - 1 if index < 0 else index)

    def action_select(self) -> None:
        """Open the filing under the cursor."""
        filing = self.selected
        if filing is not None:
            self.post_message(self.FilingSelected(filing))

    def move_cursor(self, index: int) -> None:
        """Put the cursor on row `index` and scroll it into view."""
        if self.total == 0:
            return
        old = self.cursor
        self.cursor = max(0, min(index, self.total - 1))
        body = self._body_height()
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False)
        self._strips.clear()
        if old != self.cursor:
            self._remember_selection()
        self.refresh()

    # -- events -----------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        """Header click sorts; a row click moves the cursor, a double click opens the filing."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = column_at(self._layout, offset.x + int(self.scroll_x))
            if column is not None and column.sort is not None:
                self.post_message(self.SortRequested(column))
            return
        self.move_cursor(int(self.scroll_y) + offset.y - 1)
        if event.chain >= 2:
            self.action_select()

    def on_resize(self, _event: events.Resize) -> None:
        """Columns flex to the new width."""
        self._update_layout()

    def watch_language(self) -> None:
        """Labels change width with the language."""
        self._update_layout()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Repaint, and tell the screen which rows are on screen now."""
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(self.Scrolled())

    def watch_sort_column(self) -> None:
        """Redraw the header arrow."""
        self.refresh()

    def watch_descending(self) -> None:
        """Redraw the header arrow."""
        self.refresh()

    # -- rendering --------------------------------------------------------------------------------

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns shown at the current width, left to right."""
        return tuple(c for c, _ in self._layout)

    def _update_layout(self) -> None:
        # one more cell for the "changed since you last looked" mark
        self._layout = fit_columns(self.language, self.scrollable_content_region.width, self.ref_width + 1)
        self._strips.clear()
        self.virtual_size = Size(sum(w + 1 for _, w in self._layout), self.total + 1)
        self.refresh()

    def set_ref_width(self, width: int) -> None:
        """Fit the reference column to the longest reference."""
        if width != self.ref_width:
            self.ref_width = width
            self._update_layout()

    def restyle(self) -> None:
        """Drop the cached lines so that every row is drawn again (after a theme change)."""
        self._strips.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """The header on line 0; below it, row `scroll_y + y - 1`."""
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            strip = self._header()
        else:
            index = int(self.scroll_y) + y - 1
            if index >= self.total:
                return Strip.blank(width, self.rich_style)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _header(self) -> Strip:
        style = self.get_component_rich_style("filing-table--header")
        return header_strip(self._layout, self.language, self.sort_column, self.descending, style)

    def _row_strip(self, index: int) -> Strip:
        is_cursor = index == self.cursor and self.total > 0
        key = (index, is_cursor)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        filing = self.row(index)
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("filing-table--cursor")
        if filing is None:
            self._want()
            return placeholder_strip(
                self._layout, base + self.get_component_rich_style("filing-table--placeholder")
            )
        strip = row_strip(
            self._layout,
            filing,
            self.language,
            self.now,
            self.window.deadline(filing.id),
            base,
            changed=self.window.changed(filing.id),
        )
        self._strips[key] = strip
        return strip

    # -- pages ------------------------------------------------------------------------------------

    def _want(self) -> None:
        if not self._request_scheduled:
            self._request_scheduled = True
            self.call_after_refresh(self._request_pages)

    def _request_pages(self) -> None:
        """Ask for the pages on screen, then one either side, that the window lacks."""
        self._request_scheduled = False
        top = int(self.scroll_y)
        pages = self.window.wanted(top, top + self._body_height())
        if pages:
            self.post_message(self.PagesWanted(self.generation, pages))

    def forget_request(self) -> None:
        """A page load failed: ask again on the next paint."""
        self.window.forget_request()
        self._strips.clear()
        self.refresh()

    def add_deadlines(
        self,
        generation: int,
        filing_ids: tuple[int, ...],
        cells: Mapping[int, DeadlineCell],
        changed: frozenset[int] = frozenset(),
    ) -> None:
        """Accept deadline cells and "changed since you last looked" marks for the rows on screen."""
        if generation != self.generation:
            return
        self.window.add_deadlines(filing_ids, cells, changed)
        self._strips.clear()
        self.refresh()

    def ask_again(self) -> None:
        """Ask again for the deadlines and marks of the rows on screen (kept shown until the answer)."""
        self.window.ask_again()

    def without_deadlines(self) -> tuple[Filing, ...]:
        """Filings on screen whose deadline has not been asked for yet."""
        return tuple(f for f in self.visible_rows() if self.window.lacks_deadline(f.id))

    def _remember_selection(self) -> None:
        filing = self.selected
        if filing is not None and filing.id != self._selected_id:
            self._selected_id = filing.id
            self.post_message(self.FilingHighlighted(filing))
