"""The main screen: every filing in one table, with the stage funnel, filters, sort, saved views, copy and export.

The state and the loading workers live in `tui.screens.dashboard_base`; this module holds the controls.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.events import Resize

from states import Stage
from tracker.domain import Filing, FilingQuery
from tracker.errors import TrackerError, UsageError
from tui.messages import ViewExported
from tui.screens.dashboard_base import NARROW, SAVE_DELAY, DashboardBase
from tui.view.columns import SORTABLE, Column
from tui.view.labels import pick
from tui.widgets.filing_table import FilingTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.stage_funnel import StageFunnel

if TYPE_CHECKING:
    from tracker.filings.service import FilingService


class DashboardScreen(DashboardBase):
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
