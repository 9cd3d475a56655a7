"""The main screen: the stage funnel, the filter bar and the virtual filings table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from states import Stage
from tracker.domain import Filing, FilingQuery
from tracker.errors import TrackerError
from tui.messages import (
    DeadlinesLoaded,
    FilingsLoaded,
    LoadFailed,
    PageLoaded,
    StageCountsLoaded,
)
from tui.screens.dashboard_tools import EMPTY_DATABASE, NO_MATCH, DashboardTools
from tui.screens.filing_actions import FilingActions
from tui.view.cells import PROVISIONAL_EN, PROVISIONAL_MARK, PROVISIONAL_ZH, DeadlineCell, deadline_cell
from tui.view.columns import SORTABLE, Column, column_for_sort
from tui.view.labels import pick
from tui.widgets.filing_table import PAGE_SIZE, FilingTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.stage_funnel import StageFunnel

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

DEADLINE_DELAY = 0.1
"""Seconds of scroll stillness before the deadline column is filled in."""


class DashboardScreen(DashboardTools, FilingActions, Screen[None]):
    """Every filing, sorted and filtered by the service; changes elsewhere appear as soon as they are committed."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("escape", "clear_filters", "Clear filter"),
        Binding("enter", "open", "Open", show=False),
        Binding("a", "advance", "Advance"),
        Binding("e", "edit", "Edit"),
        Binding("n", "new_filing", "New filing"),
        Binding("o", "new_organisation", "New org"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("r", "reverse_sort", "Reverse sort"),
        Binding("b", "toggle_stages", "Stages"),
        Binding("t", "stage_times", "Time per stage", show=False),
        Binding("c", "copy_ref", "Copy ref", show=False),
        Binding("C", "copy_number", "Copy number", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, initial: FilingQuery | None = None, *, remember: bool = True) -> None:
        super().__init__(id="dashboard")
        self.filters = replace(initial or FilingQuery(), offset=0, limit=None)
        """What the user asked for; survives every refresh."""
        self.remember = remember
        """Whether the sort and filters are saved for the next start (`tracker.filings.views.save_current`)."""
        self.generation = 0
        self.loaded_revision: int | None = None
        self._reset_scroll = True
        self._focus_id: int | None = None
        self._loading = False
        self._pending_revision: int | None = None
        self._total = 0
        self._counts: Mapping[Stage, int] = {}
        self._deadlines_available = True
        self._provisional = False
        self._deadline_timer: Timer | None = None
        self._save_timer: Timer | None = None
        self.stages_shown: bool | None = None
        """The user's choice for the stage list (None: shown when the terminal is wide enough)."""

    def compose(self) -> ComposeResult:
        """Funnel on the left; filter bar, table and empty state on the right."""
        yield Header()
        with Horizontal(id="main"):
            yield StageFunnel(id="funnel")
            with Vertical(id="content"):
                yield FilterBar(id="filters")
                yield FilingTable(id="filings")
                yield Static(pick(self.lang, "加载中…", "Loading…"), id="empty")
        yield Footer()

    def on_mount(self) -> None:
        """Show the filters in force, load the first page and follow changes, language and theme."""
        table = self.table
        table.language = self.lang
        table.display = False
        self._show_sort()
        self.query_one(FilterBar).set_values(self.filters.text or "", self.filters.organisation or "")
        self.query_one(FilterBar).set_language(self.lang)
        self.host.store_changed.subscribe(self, self._store_changed)
        self.watch(self.app, "language", self._language_changed, init=False)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.table.restyle())
        table.focus()
        self.reload(new_query=True)

    # -- loading: rows first, then the funnel's counts, then deadlines ----------------------------

    def reload(self, *, new_query: bool = False, focus: int | None = None) -> None:
        """Fetch the count and the pages on screen for the current filters.

        `focus`: a filing id to put the cursor on in the new result (a new filing, the selection kept
        across a cleared filter); without it a new query starts at the top.
        """
        self.generation += 1
        self._loading = True
        self._focus_id = focus
        if new_query:
            self._reset_scroll = True
            pages: tuple[int, ...] = (0,)
        else:
            top = int(self.table.scroll_y)
            pages = tuple(range(top // PAGE_SIZE, (top + self.table.size.height) // PAGE_SIZE + 1))
        self._load_filings(self.generation, self.filters, pages, focus)

    def _load_filings(
        self, generation: int, query: FilingQuery, pages: tuple[int, ...], focus: int | None
    ) -> None:
        """The revision, the total, the pages on screen (around `focus` when given), in one result message."""

        def load(service: FilingService) -> FilingsLoaded:
            revision = service.revision()
            total = service.count(query)
            position = service.position(query, focus) if focus is not None else None
            wanted = pages
            if position is not None:
                page = position // PAGE_SIZE
                wanted = (page, page + 1) if position % PAGE_SIZE > PAGE_SIZE // 2 else (page - 1, page)
            window = (
                replace(query, offset=p * PAGE_SIZE, limit=PAGE_SIZE)
                for p in wanted
                if 0 <= p * PAGE_SIZE < total
            )
            loaded = {w.offset // PAGE_SIZE: tuple(service.filings(w)) for w in window}
            return FilingsLoaded(
                generation, query, revision, total, loaded, service.clock(), position, service.longest_ref()
            )

        self.call_service(load, group="filings")

    def _load_counts(self, generation: int, query: FilingQuery) -> None:
        """Filings per stage, for the funnel."""
        self.call_service(
            lambda service: StageCountsLoaded(generation, service.stage_counts(query)), group="counts"
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="pages")
    def _load_pages(self, generation: int, query: FilingQuery, pages: tuple[int, ...]) -> None:
        """Pages the table scrolled to, nearest first; a newer request cancels the rest."""
        worker = get_current_worker()
        for page in pages:
            if worker.is_cancelled:
                return
            try:
                rows = tuple(self.service.filings(replace(query, offset=page * PAGE_SIZE, limit=PAGE_SIZE)))
            except TrackerError as exc:
                self.post_message(LoadFailed(str(exc)))
                return
            self.post_message(PageLoaded(generation, page, rows))

    @work(thread=True, exclusive=True, exit_on_error=False, group="deadlines")
    def _load_deadlines(self, generation: int, filings: tuple[Filing, ...]) -> None:
        """The deadline column for the rows on screen (the rules layer is slower than a page).

        A refusal leaves the column empty (`cells` None) rather than interrupting the table.
        """
        cells: dict[int, DeadlineCell] | None
        ids = [f.id for f in filings]
        try:
            found = self.service.rules.next_deadlines(ids)
        except TrackerError:
            cells = None
        else:
            cells = {filing_id: deadline_cell(d) for filing_id, d in found.items()}
        try:  # "changed since you last looked" marks; none when they cannot be read
            changed = frozenset(self.service.changes_since_seen(ids=ids))
        except TrackerError:
            changed = frozenset()
        if not get_current_worker().is_cancelled:
            self.post_message(DeadlinesLoaded(generation, tuple(ids), cells, changed))

    @on(FilingsLoaded)
    def _filings_loaded(self, message: FilingsLoaded) -> None:
        if message.generation != self.generation:
            return
        self._loading = False
        self.loaded_revision = message.revision
        table = self.table
        table.set_ref_width(message.ref_width)
        table.reset(
            message.generation,
            message.total,
            message.pages,
            now=message.now,
            keep_selection=not self._reset_scroll,
            cursor=message.position,
        )
        self._reset_scroll = False
        self._focus_id = None
        self._total = message.total
        self._summarise()
        self._show_empty()
        self._load_counts(message.generation, message.query)
        self._want_deadlines()
        pending, self._pending_revision = self._pending_revision, None
        if pending is not None and pending > message.revision:
            self.reload()

    def _show_empty(self) -> None:
        zh, en = NO_MATCH if self.filters.filtered else EMPTY_DATABASE
        empty = self.query_one("#empty", Static)
        empty.update(pick(self.lang, zh, en) if self.lang != "both" else f"{zh}\n{en}")
        self.table.display = self._total > 0
        empty.display = self._total == 0 and self.loaded_revision is not None

    @on(StageCountsLoaded)
    def _counts_loaded(self, message: StageCountsLoaded) -> None:
        if message.generation == self.generation:
            self._counts = message.counts
            self._show_funnel()
            self._summarise()

    def _show_funnel(self) -> None:
        self.query_one(StageFunnel).show(self._counts, self._stage_filter(), self.lang, self._quick_filters())

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        self.table.add_page(message.generation, message.page, message.rows)
        self._want_deadlines()

    @on(DeadlinesLoaded)
    def _deadlines_loaded(self, message: DeadlinesLoaded) -> None:
        if message.cells is None:
            self._deadlines_available = False
        else:
            self.table.add_deadlines(message.generation, message.filing_ids, message.cells, message.changed)
            if not self._provisional and any(c.provisional for c in message.cells.values()):
                self._provisional = True  # the legend of the `~` mark, once such a deadline is on screen
                self._summarise()
        if self.table.without_deadlines():  # rows that came on screen meanwhile, or an answer for older rows
            self._want_deadlines()

    @on(FilingTable.Scrolled)
    def _want_deadlines(self) -> None:
        # wait until scrolling pauses: a deadline lookup costs more than a page of rows
        if self._deadlines_available and self._deadline_timer is None:
            self._deadline_timer = self.set_timer(DEADLINE_DELAY, self._request_deadlines)

    @property
    def deadlines_pending(self) -> bool:
        """Rows on screen still wait for their deadline cell."""
        return self._deadlines_available and self.table.display and bool(self.table.without_deadlines())

    def _request_deadlines(self) -> None:
        self._deadline_timer = None
        missing = self.table.without_deadlines()
        if missing:
            self._load_deadlines(self.table.generation, missing)  # the rows asked about are the table's

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self._loading = False
        self.notify(
            message.error,
            title=pick(self.lang, "加载失败", "Could not load filings"),
            severity="warning",
            markup=False,
        )
        self.table.forget_request()

    @on(FilingTable.PagesWanted)
    def _pages_wanted(self, message: FilingTable.PagesWanted) -> None:
        if message.generation == self.generation:
            self._load_pages(message.generation, self.filters, message.pages)

    def _store_changed(self, revision: int) -> None:
        if self._loading:  # decide when the load in flight says which revision it read
            self._pending_revision = max(revision, self._pending_revision or revision)
        elif revision != self.loaded_revision:
            self.reload()

    def _language_changed(self) -> None:
        lang = self.lang
        self.table.language = lang
        self.query_one(FilterBar).set_language(lang)
        self._show_funnel()
        self._summarise()
        if self.loaded_revision is not None:
            self._show_empty()

    def _summarise(self) -> None:
        all_stages = sum(self._counts.values())
        of = f" / {all_stages:,}" if self.filters.stages and all_stages != self._total else ""
        summary = f"{self._total:,}{of} {pick(self.lang, '件', 'filings')}"
        legend = pick(self.lang, PROVISIONAL_ZH, PROVISIONAL_EN) if self._provisional else None
        bar = self.query_one(FilterBar)
        bar.set_summary(f"{summary} · {PROVISIONAL_MARK} {legend}" if legend else summary, tooltip=legend)

    # -- filters and sort -------------------------------------------------------------------------

    def _stage_filter(self) -> Stage | None:
        return self.filters.stages[0] if self.filters.stages else None

    def set_filters(self, query: FilingQuery, *, keep_selection: bool = False) -> None:
        """Apply new filters or sort (kept across refreshes, remembered for the next start) and reload.

        With `keep_selection` the cursor stays on the selected filing when it is still in the result.
        """
        query = replace(query, offset=0, limit=None)
        if query != self.filters:
            self.filters = query
            self._show_sort()
            selected = self.table.selected
            self.reload(new_query=True, focus=selected.id if keep_selection and selected else None)
            self._remember()

    def _show_sort(self) -> None:
        column = column_for_sort(self.filters.sort)
        self.table.sort_column = column.key
        self.table.descending = self.filters.descending != column.invert

    @on(StageFunnel.StageChosen)
    def _stage_chosen(self, message: StageFunnel.StageChosen) -> None:
        self.filter_by_stage(message.stage)

    @on(FilterBar.Changed)
    def _filter_changed(self, message: FilterBar.Changed) -> None:
        self.set_filters(
            replace(self.filters, text=message.text or None, organisation=message.organisation or None)
        )
        if message.submitted:
            self.table.focus()

    @on(FilingTable.SortRequested)
    def _sort_requested(self, message: FilingTable.SortRequested) -> None:
        self.sort_by(message.column, toggle=True)

    def sort_by(self, column: Column, *, toggle: bool = False, descending: bool | None = None) -> None:
        """Sort by a column; clicking the sorted column again reverses it. `descending` is as shown: the
        values in the column go down."""
        assert column.sort is not None
        current = self.table.sort_column == column.key
        shown_desc = not self.table.descending if toggle and current else bool(descending)
        self.set_filters(
            replace(self.filters, sort=column.sort, descending=shown_desc != column.invert),
            keep_selection=True,
        )

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        keys = [c.key for c in SORTABLE]
        index = keys.index(self.table.sort_column) if self.table.sort_column in keys else -1
        self.sort_by(SORTABLE[(index + 1) % len(SORTABLE)])

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        column = next(c for c in SORTABLE if c.key == self.table.sort_column)
        self.sort_by(column, toggle=True)

    def action_focus_filter(self) -> None:
        """Type to filter by reference, title, organisation or filing number."""
        self.query_one(FilterBar).focus_text()

    def action_clear_filters(self) -> None:
        """Drop every filter (the sort stays), keep the selected filing under the cursor, back to the table."""
        self.query_one(FilterBar).set_values("", "")
        self.set_filters(
            FilingQuery(sort=self.filters.sort, descending=self.filters.descending), keep_selection=True
        )
        self.table.focus()

    def filter_by_stage(self, stage: Stage | None) -> None:
        """Show only one stage (None: all)."""
        self.set_filters(replace(self.filters, stages=(stage,) if stage else ()), keep_selection=True)

    def action_reload(self) -> None:
        """Reload from the database now."""
        self.reload()

    def _changed(self, result: object) -> None:
        # reload at once rather than wait for the change feed; a new filing gets the cursor
        if isinstance(result, Filing):
            self.reload(focus=result.id)
        elif result is not None:
            self.reload()
