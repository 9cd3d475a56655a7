"""The dashboard's tools beside the table: saved views, the stage list's place, the clipboard and export.

Mixed into `DashboardScreen`, which provides the filters, the table and `set_filters`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.events import Resize
from textual.timer import Timer

from tracker.domain import Filing, FilingQuery
from tracker.errors import TrackerError, UsageError
from tui.messages import ViewExported
from tui.screens.dialogs.stage_times import StageTimesScreen
from tui.screens.host import UsesHost
from tui.view.labels import pick
from tui.widgets.filing_table import FilingTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.stage_funnel import StageFunnel

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

NARROW = 100
"""Below this many columns the stage list collapses by itself (unless the user chose)."""
SAVE_DELAY = 0.5
"""Seconds the sort and filters must stay unchanged before they are remembered for the next start."""

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


class DashboardTools(UsesHost):
    """Views, the stage list, the clipboard and export for the dashboard screen."""

    filters: FilingQuery
    stages_shown: bool | None
    remember: bool
    _save_timer: Timer | None

    @property
    def table(self) -> FilingTable:
        """The filings table."""
        return self.query_one(FilingTable)

    if TYPE_CHECKING:  # provided by the screen and by `FilingActions`, after this mixin in the MRO

        def set_filters(self, query: FilingQuery, *, keep_selection: bool = False) -> None:
            """Apply new filters or sort."""

        def _selected(self) -> Filing | None:
            """The filing under the cursor, or a notice that there is none."""

        def _want_deadlines(self) -> None:
            """Ask for the deadlines and marks of the rows on screen that lack them."""

    def on_screen_resume(self) -> None:
        """Back from a filing or a dialog: ask again for the "changed since you last looked" marks of the rows on
        screen (opening a filing cleared its own, which no revision announces)."""
        self.table.ask_again()
        self._want_deadlines()

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
            self.app.notify(
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

    def apply_view(self, name: str) -> None:
        """Show a saved view (its filters and sort replace the current ones)."""
        from tracker.filings.views import find_view

        try:
            view = find_view(name, self.service.settings)
        except TrackerError as exc:
            self.app.notify(str(exc), severity="warning", markup=False)
            return
        self.query_one(FilterBar).set_values(view.query.text or "", view.query.organisation or "")
        self.set_filters(view.query, keep_selection=True)
        self.app.notify(pick(self.lang, view.zh, view.en), title=pick(self.lang, "视图", "View"), timeout=2)

    def save_view(self, name: str) -> None:
        """Save the current sort and filters as the person's view `name`."""
        from tracker.filings.views import save_view

        try:
            save_view(name, self.filters)
        except TrackerError as exc:
            self.app.notify(str(exc), severity="warning", markup=False)
            return
        self.app.notify(pick(self.lang, f"已保存视图 {name}", f"Saved view {name}"), timeout=3)

    # -- layout, clipboard, export ----------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        """The stage list collapses by itself on a narrow terminal, unless the user chose."""
        self._place_stages(event.size.width)

    def _place_stages(self, width: int | None = None) -> None:
        shown = self.stages_shown
        if shown is None:
            shown = (width if width is not None else self.app.size.width) >= NARROW
        self.query_one(StageFunnel).display = shown

    def action_toggle_stages(self) -> None:
        """Hide or show the stage list (the choice holds whatever the width)."""
        self.stages_shown = not self.query_one(StageFunnel).display
        self._place_stages()

    def action_stage_times(self) -> None:
        """Open the chart of working days per stage (the status report's figures)."""
        self.app.push_screen(StageTimesScreen())

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
            self.app.notify(
                pick(self.lang, f"{filing.ref} 还没有备案号", f"{filing.ref} has no filing number yet"),
                timeout=3,
            )
            return
        self._copy(filing.filing_number)

    def _copy(self, text: str) -> None:
        self.app.copy_to_clipboard(text)
        self.app.notify(pick(self.lang, f"已复制 {text}", f"Copied {text}"), timeout=2, markup=False)

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
        self.app.notify(
            pick(
                self.lang,
                f"已导出 {message.rows} 件到 {message.path}",
                f"Exported {message.rows} filings to {message.path}",
            ),
            title=pick(self.lang, "导出", "Export"),
            markup=False,
        )
