"""The main screen: the stage funnel, the filter bar and the virtual filings table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from states import Stage
from tracker.domain import Filing, FilingQuery
from tracker.errors import TrackerError, UsageError
from tui.messages import (
    DeadlinesLoaded,
    FilingsLoaded,
    LoadFailed,
    PageLoaded,
    StageCountsLoaded,
    ViewExported,
)
from tui.screens.filing_actions import FilingActions
from tui.view.cells import DeadlineCell, deadline_cell
from tui.view.columns import SORTABLE, Column, column_for_sort
from tui.view.labels import pick
from tui.widgets.filing_table import PAGE_SIZE, FilingTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.stage_funnel import StageFunnel

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

DEADLINE_DELAY = 0.1
"""Seconds of scroll stillness before the deadline column is filled in."""
SAVE_DELAY = 0.5
"""Seconds the sort and filters must stay unchanged before they are remembered for the next start."""
NARROW = 100
"""Below this many columns the stage list collapses by itself (unless the user chose)."""

EMPTY_DATABASE = (
    """\
[b]还没有备案[/b]

按 [b]o[/b] 新增单位（主体），再按 [b]n[/b] 新增备案。

在终端中：
  [b]beian org add[/b] 名称 --credit-code 代码     登记单位
  [b]beian add[/b] 名称 --org 单位                 新增草稿备案
  [b]beian apply[/b] events.jsonl                  导入事件流
  [b]beian dashboard --demo[/b]                    先用演示数据看看
""",
    """\
[b]No filings yet[/b]

Press [b]o[/b] to add an organisation (主体), then [b]n[/b] to add a filing.

From a terminal:
  [b]beian org add[/b] NAME --credit-code CODE     register an organisation
  [b]beian add[/b] TITLE --org NAME                 add a filing in draft
  [b]beian apply[/b] events.jsonl                   import a stream of events
  [b]beian dashboard --demo[/b]                     look around with demo data first
""",
)

NO_MATCH = (
    "[b]没有匹配的备案[/b]\n\n按 [b]Esc[/b] 清除筛选。",
    "[b]No filings match[/b]\n\nPress [b]Esc[/b] to clear the filters.",
)


class DashboardScreen(FilingActions, Screen[None]):
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
        self.query_one(FilterBar).set_summary(f"{self._total:,}{of} {pick(self.lang, '件', 'filings')}")

    # -- filters and sort -------------------------------------------------------------------------

    def _stage_filter(self) -> Stage | None:
        return self.filters.stages[0] if self.filters.stages else None

    def _quick_filters(self) -> set[str]:
        q = self.filters
        on = set()
        if q.overdue:
            on.add("overdue")
        if q.due_within is not None:
            on.add("due-soon")
        if q.waiting_on:
            on.add(f"waiting-{q.waiting_on}")
        return on

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

    def _remember(self) -> None:
        if not self.remember:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_now)

    def save_now(self) -> None:
        """Write the sort and filters for the next start (a failure is shown, never raised)."""
        from tracker.filings.views import save_current

        self._save_timer = None
        try:
            save_current(self.filters)
        except (TrackerError, OSError) as exc:
            self.notify(
                str(exc),
                title=pick(self.lang, "无法保存视图", "Could not save the view"),
                severity="warning",
                markup=False,
            )

    def on_unmount(self) -> None:
        """A change made just before quitting is remembered too."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self.save_now()

    @on(StageFunnel.StageChosen)
    def _stage_chosen(self, message: StageFunnel.StageChosen) -> None:
        self.filter_by_stage(message.stage)

    @on(StageFunnel.QuickFilterChosen)
    def _quick_chosen(self, message: StageFunnel.QuickFilterChosen) -> None:
        self.quick_filter(message.name, on=message.name not in self._quick_filters())

    def quick_filter(self, name: str, *, on: bool = True, within: int | None = None) -> None:
        """Switch a quick filter (`QUICK_FILTERS`) on or off; `within` sets the due-soon working days."""
        from tracker.filings.views import DUE_SOON_DAYS

        q = self.filters
        if name == "overdue":
            q = replace(q, overdue=on)
        elif name == "due-soon":
            q = replace(q, due_within=(within if within is not None else DUE_SOON_DAYS) if on else None)
        elif name.startswith("waiting-"):
            waiting = name.removeprefix("waiting-")
            q = replace(q, waiting_on=waiting if on else None)  # type: ignore[arg-type]
        if on and name in ("overdue", "due-soon") and q.sort == "ref":
            q = replace(q, sort="deadline", descending=False)
        self.set_filters(q, keep_selection=True)

    def apply_view(self, name: str) -> None:
        """Show a saved view (its filters and sort replace the current ones)."""
        from tracker.filings.views import find_view

        try:
            view = find_view(name, self.service.settings)
        except TrackerError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.query_one(FilterBar).set_values(view.query.text or "", view.query.organisation or "")
        self.set_filters(view.query, keep_selection=True)
        self.notify(pick(self.lang, view.zh, view.en), title=pick(self.lang, "视图", "View"), timeout=2)

    def save_view(self, name: str) -> None:
        """Save the current sort and filters as the person's view `name`."""
        from tracker.filings.views import save_view

        try:
            save_view(name, self.filters)
        except TrackerError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.notify(pick(self.lang, f"已保存视图 {name}", f"Saved view {name}"), timeout=3)

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

    # -- layout, clipboard, export ----------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        """The stage list collapses by itself on a narrow terminal, unless the user chose."""
        self._place_stages(event.size.width)

    def _place_stages(self, width: int | None = None) -> None:
        shown = self.stages_shown
        if shown is None:
            shown = (width if width is not None else self.size.width) >= NARROW
        self.query_one(StageFunnel).display = shown

    def action_toggle_stages(self) -> None:
        """Hide or show the stage list (the choice holds whatever the width)."""
        self.stages_shown = not self.query_one(StageFunnel).display
        self._place_stages()

    def action_copy_ref(self) -> None:
        """Copy the selected filing's reference to the clipboard."""
        filing = self._selected()
        if filing is not None:
            self._copy(filing.ref)

    def action_copy_number(self) -> None:
        """Copy the selected filing's filing number (备案编号) to the clipboard."""
        filing = self._selected()
        if filing is None:
            return
        if not filing.filing_number:
            self.notify(
                pick(self.lang, f"{filing.ref} 还没有备案号", f"{filing.ref} has no filing number yet"),
                timeout=3,
            )
            return
        self._copy(filing.filing_number)

    def _copy(self, text: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(pick(self.lang, f"已复制 {text}", f"Copied {text}"), timeout=2, markup=False)

    def export_view(self, folder: Path | None = None, fmt: str = "csv") -> None:
        """Write the filings of the current view to a new owner-only file in `folder` (default: here), through the
        export of `beian export`: CSV (UTF-8 with BOM, so Excel reads the Chinese text) or XLSX."""
        query = self.filters
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = (folder or Path.cwd()) / f"beian-filings-{stamp}.{fmt}"
        lang = "zh" if self.lang == "zh" else "en"

        def export(service: FilingService) -> ViewExported:
            import os

            from tracker.exchange.service import ExchangeService
            from tracker.exchange.writers import write_csv, write_xlsx

            rows = ExchangeService(service).export_cells(query)
            try:
                if fmt == "xlsx":
                    count = write_xlsx(path, rows, with_history=False, lang=lang)
                    os.chmod(path, 0o600)
                else:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
                        count = write_csv(out, rows, with_history=False, lang=lang)
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror}") from None
            return ViewExported(path, count)

        self.call_service(export, group="export")

    @on(ViewExported)
    def _exported(self, message: ViewExported) -> None:
        self.notify(
            pick(
                self.lang,
                f"已导出 {message.rows} 件到 {message.path}",
                f"Exported {message.rows} filings to {message.path}",
            ),
            title=pick(self.lang, "导出", "Export"),
            markup=False,
        )

    def _changed(self, result: object) -> None:
        # reload at once rather than wait for the change feed; a new filing gets the cursor
        if isinstance(result, Filing):
            self.reload(focus=result.id)
        elif result is not None:
            self.reload()
