"""Command palette entries, in the display language: every key binding of the current screen, then help,
languages, saved views, quick filters, sorts, stages, export and the stage list."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, ClassVar, Protocol

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from states import Lang, Stage
from tui.screens.dashboard import DashboardScreen
from tui.screens.dialogs.save_view import SaveViewScreen
from tui.view.columns import SORTABLE
from tui.view.labels import LANGUAGE_NAMES, LANGUAGES, QUICK_FILTERS, key_label, pick, stage_label


class PaletteHost(Protocol):
    """What the palette needs of the app (`TrackerApp` provides it): its keys, help and language actions."""

    BINDINGS: ClassVar[list[BindingType]]

    @property
    def language(self) -> Lang:
        """The display language."""

    async def run_action(self, action: str) -> bool:
        """Run one of the app's actions by name (what a palette entry does)."""

    def get_key_display(self, binding: Binding) -> str:
        """How a key is shown, e.g. "^p"."""

    def action_help(self) -> None:
        """Show the help screen."""

    def action_set_language(self, language: str) -> None:
        """Show names in one language ("zh", "en") or both."""

    def push_screen(self, screen: Any, callback: Any = None) -> Any:
        """Open a screen over the current one."""

    def view_names(self) -> list[tuple[str, str, str]]:
        """(name, Chinese title, English title) of every saved view."""


_SKIP = {"help", "quit", "change_theme", "command_palette"}  # Textual lists its own versions of these
DUE_WITHIN_CHOICES = (3, 5, 10, 20)
"""Working days offered by the "due within N working days" palette entries."""


def dashboard_commands(app: PaletteHost, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The commands available on `screen`: its key bindings, then the app's, help, languages, views, filters…"""
    lang = app.language
    say: Callable[[str, str], str] = partial(pick, lang)
    seen: set[str] = set()
    for owner, bindings in ((screen, screen.BINDINGS), (app, app.BINDINGS)):
        for binding in Binding.make_bindings(bindings):
            if binding.action in seen or binding.action in _SKIP or not binding.description:
                continue
            seen.add(binding.action)
            key = app.get_key_display(binding)
            title = key_label(binding.action, lang, binding.description)
            yield SystemCommand(
                title, say("按键", "key") + f": {key}", partial(owner.run_action, binding.action)
            )
    yield SystemCommand(
        say("帮助", "Help"),
        say("列出所有按键（? 或 F1）", "List every key binding (? or F1)"),
        app.action_help,
    )
    for code in LANGUAGES:
        yield SystemCommand(
            say("语言", "Language") + f": {LANGUAGE_NAMES[code]}",
            say("以此语言显示名称，并记住", "Show names in this language; remembered"),
            partial(app.action_set_language, code),
        )
    if not isinstance(screen, DashboardScreen):
        return
    for name, zh, en in app.view_names():
        yield SystemCommand(
            say("视图", "View") + f": {say(zh, en)}",
            say("应用已保存的筛选和排序", "Apply a saved filter and sort"),
            partial(screen.apply_view, name),
        )
    yield SystemCommand(
        say("保存当前视图…", "Save the current view…"),
        say("以名称保存当前筛选和排序", "Keep the current filters and sort under a name"),
        partial(app.push_screen, SaveViewScreen(), lambda name: screen.save_view(name) if name else None),
    )
    yield SystemCommand(
        say("导出当前视图 (CSV)", "Export the current view (CSV)"),
        say("UTF-8 带 BOM，写入当前目录", "UTF-8 with BOM, written to the current folder"),
        partial(screen.export_view, None, "csv"),
    )
    yield SystemCommand(
        say("导出当前视图 (XLSX)", "Export the current view (XLSX)"),
        say("Excel 工作簿，写入当前目录", "An Excel workbook, written to the current folder"),
        partial(screen.export_view, None, "xlsx"),
    )
    yield SystemCommand(
        say("隐藏/显示阶段栏", "Hide or show the stage list"),
        "b",
        screen.action_toggle_stages,
    )
    yield SystemCommand(say("复制编号", "Copy the reference"), "c", screen.action_copy_ref)
    yield SystemCommand(say("复制备案号", "Copy the filing number"), "C", screen.action_copy_number)
    for name, (zh, en) in QUICK_FILTERS.items():
        if name == "due-soon":
            continue
        yield SystemCommand(
            say("筛选", "Filter") + f": {say(zh, en)}",
            say("期限与轮到谁", "Deadlines and whose move"),
            partial(screen.quick_filter, name),
        )
    for days in DUE_WITHIN_CHOICES:
        yield SystemCommand(
            say("筛选", "Filter") + ": " + say(f"{days}个工作日内到期", f"Due within {days} working days"),
            say("含已逾期；按期限排序", "Overdue included; sorted by deadline"),
            partial(screen.quick_filter, "due-soon", within=days),
        )
    yield SystemCommand(say("清除所有筛选", "Clear every filter"), "Esc", screen.action_clear_filters)
    for column in SORTABLE:
        for descending in (False, True):
            title = say(
                f"按{column.zh}{'降序' if descending else '升序'}排序",
                f"Sort by {column.en.lower()} {'descending' if descending else 'ascending'}",
            )
            yield SystemCommand(
                title,
                say("排序", "Sort"),
                partial(screen.sort_by, column, descending=descending),
                discover=False,
            )
    yield SystemCommand(
        say("显示所有阶段", "Show all stages"),
        say("清除阶段筛选", "Clear the stage filter"),
        partial(screen.filter_by_stage, None),
        discover=False,
    )
    for stage in Stage:
        yield SystemCommand(
            say("阶段", "Stage") + f": {stage_label(stage, lang)}",
            say("只显示此阶段的备案", "Show only filings in this stage"),
            partial(screen.filter_by_stage, stage),
            discover=False,
        )
