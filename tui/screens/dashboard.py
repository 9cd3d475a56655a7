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
from tui.messages import DeadlinesLoaded, FilingsLoaded, LoadFailed, PageLoaded, StageCountsLoaded
from tui.screens.filing_actions import FilingActions
from tui.view.cells import DeadlineCell, deadline_cell
from tui.view.columns import COLUMNS, Column
from tui.view.labels import pick
from tui.widgets.filing_table import PAGE_SIZE, FilingTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.stage_funnel import StageFunnel

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

DEADLINE_DELAY = 0.1
"""Seconds of scroll stillness before the deadline column is filled in."""
SORTABLE = tuple(c for c in COLUMNS if c.sort is not None)

EMPTY_DATABASE = """\
[b]No filings yet 还没有备案[/b]

Press [b]o[/b] to add an organisation (主体), then [b]n[/b] to add a filing.

From a terminal:
  [b]beian org add[/b] NAME --credit-code CODE     register an organisation
  [b]beian add[/b] TITLE --org NAME                 add a filing in draft
  [b]beian apply[/b] events.jsonl                   import a stream of events
  [b]beian dashboard --demo[/b]                     look around with demo data first
"""

NO_MATCH = "[b]No filings match 没有匹配的备案[/b]\n\nPress [b]Esc[/b] to clear the filters."


class DashboardScreen(FilingActions, Screen[None]):
    """Every filing, sorted and filtered by the service; changes elsewhere appear within a poll."""

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
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="dashboard")
        self.filters = FilingQuery()
        """What the user asked for; survives every refresh."""
        self.generation = 0
        self.loaded_revision: int | None = None
        self._reset_scroll = True
        self._loading = False
        self._pending_revision: int | None = None
        self._total = 0
        self._counts: Mapping[Stage, int] = {}
        self._deadlines_available = True
        self._deadline_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """Funnel on the left; filter bar, table and empty state on the right."""
        yield Header()
        with Horizontal(id="main"):
            yield StageFunnel(id="funnel")
            with Vertical(id="content"):
                yield FilterBar(id="filters")
                yield FilingTable(id="filings")
                yield Static("Loading… 加载中", id="empty")
        yield Footer()

    def on_mount(self) -> None:
        """Load the first page and follow changes and language."""
        self.table.language = self.lang
        self.table.display = False
        self.host.store_changed.subscribe(self, self._store_changed)
        self.watch(self.app, "language", self._language_changed, init=False)
        self.table.focus()
        self.reload(new_query=True)

    # -- loading: rows first, then the funnel's counts, then deadlines ----------------------------

    def reload(self, *, new_query: bool = False) -> None:
        """Fetch the count and the pages on screen for the current filters."""
        self.generation += 1
        self._loading = True
        if new_query:
            self._reset_scroll = True
            pages: tuple[int, ...] = (0,)
        else:
            top = int(self.table.scroll_y)
            pages = tuple(range(top // PAGE_SIZE, (top + self.table.size.height) // PAGE_SIZE + 1))
        self._load_filings(self.generation, self.filters, pages)

    def _load_filings(self, generation: int, query: FilingQuery, pages: tuple[int, ...]) -> None:
        """The revision, the total and the pages on screen, in one result message."""

        def load(service: FilingService) -> FilingsLoaded:
            revision = service.revision()
            total = service.count(query)
            window = (
                replace(query, offset=p * PAGE_SIZE, limit=PAGE_SIZE) for p in pages if p * PAGE_SIZE < total
            )
            loaded = {w.offset // PAGE_SIZE: tuple(service.filings(w)) for w in window}
            return FilingsLoaded(generation, query, revision, total, loaded, service.clock())

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

        A refusal leaves the column hidden (`cells` None) rather than interrupting the table.
        """
        cells: dict[int, DeadlineCell] | None
        try:
            found = self.service.rules.next_deadlines([f.id for f in filings])
        except TrackerError:
            cells = None
        else:
            cells = {filing_id: deadline_cell(d) for filing_id, d in found.items()}
        if not get_current_worker().is_cancelled:
            self.post_message(DeadlinesLoaded(generation, tuple(f.id for f in filings), cells))

    @on(FilingsLoaded)
    def _filings_loaded(self, message: FilingsLoaded) -> None:
        if message.generation != self.generation:
            return
        self._loading = False
        self.loaded_revision = message.revision
        table = self.table
        table.reset(
            message.generation,
            message.total,
            message.pages,
            now=message.now,
            keep_selection=not self._reset_scroll,
        )
        self._reset_scroll = False
        self._total = message.total
        self._summarise()
        filtered = self.filters != FilingQuery(sort=self.filters.sort, descending=self.filters.descending)
        empty = self.query_one("#empty", Static)
        empty.update(NO_MATCH if filtered else EMPTY_DATABASE)
        table.display = message.total > 0
        empty.display = message.total == 0
        self._load_counts(message.generation, message.query)
        self._want_deadlines()
        pending, self._pending_revision = self._pending_revision, None
        if pending is not None and pending > message.revision:
            self.reload()

    @on(StageCountsLoaded)
    def _counts_loaded(self, message: StageCountsLoaded) -> None:
        if message.generation == self.generation:
            self._counts = message.counts
            self.query_one(StageFunnel).show(message.counts, self._stage_filter(), self.lang)
            self._summarise()

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        self.table.add_page(message.generation, message.page, message.rows)
        self._want_deadlines()

    @on(DeadlinesLoaded)
    def _deadlines_loaded(self, message: DeadlinesLoaded) -> None:
        if message.cells is None:
            self._deadlines_available = False
        else:
            self.table.add_deadlines(message.generation, message.filing_ids, message.cells)

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
            self._load_deadlines(self.generation, missing)

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self._loading = False
        self.notify(message.error, title="Could not load filings 加载失败", severity="warning", markup=False)
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
        self.table.language = self.lang
        funnel = self.query_one(StageFunnel)
        funnel.show(funnel.counts, funnel.chosen, self.lang)

    def _summarise(self) -> None:
        all_stages = sum(self._counts.values())
        of = f" / {all_stages:,}" if self.filters.stages and all_stages != self._total else ""
        self.query_one(FilterBar).set_summary(f"{self._total:,}{of} {pick(self.lang, '件', 'filings')}")

    # -- filters and sort -------------------------------------------------------------------------

    def _stage_filter(self) -> Stage | None:
        return self.filters.stages[0] if self.filters.stages else None

    def set_filters(self, query: FilingQuery) -> None:
        """Apply new filters or sort (kept across refreshes) and reload from the top."""
        if query != self.filters:
            self.filters = query
            self.reload(new_query=True)

    @on(StageFunnel.StageChosen)
    def _stage_chosen(self, message: StageFunnel.StageChosen) -> None:
        self.set_filters(replace(self.filters, stages=(message.stage,) if message.stage else ()))

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
        """Sort by a column; clicking the sorted column again reverses it."""
        assert column.sort is not None
        current = self.table.sort_column == column.key
        shown_desc = not self.table.descending if toggle and current else bool(descending)
        self.table.sort_column, self.table.descending = column.key, shown_desc
        self.set_filters(replace(self.filters, sort=column.sort, descending=shown_desc != column.invert))

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
        """Drop every filter (the sort stays) and go back to the table."""
        self.query_one(FilterBar).set_values("", "")
        self.set_filters(FilingQuery(sort=self.filters.sort, descending=self.filters.descending))
        self.table.focus()

    def filter_by_stage(self, stage: Stage | None) -> None:
        """Show only one stage (None: all)."""
        self.set_filters(replace(self.filters, stages=(stage,) if stage else ()))

    def action_reload(self) -> None:
        """Reload from the database now."""
        self.reload()
