"""The help screen: every key binding of every screen, and where to find the rest.

The app hands it the sections (it is the one module that knows every screen), so this module imports
no other screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.screens.host import UsesHost
from tui.view.labels import key_label, pick

HelpSection = tuple[str, str, list[BindingType]]
"""(Chinese title, English title, bindings) for one place where keys apply."""


class HelpScreen(UsesHost, ModalScreen[None]):
    """Key bindings, grouped by where they apply."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__(classes="dialog-screen")
        self.sections = tuple(sections)
        """What the table lists, in order."""

    def compose(self) -> ComposeResult:
        """One table of keys."""
        lang = self.lang
        with VerticalScroll(id="help", classes="dialog") as box:
            box.border_title = pick(lang, "帮助 · 按键", "Help · keys")
            yield Static(self._table())
            yield Static(
                Text(
                    pick(
                        lang,
                        "点击表头排序；点击左侧阶段或期限筛选；双击打开备案；Ctrl+P 搜索所有命令。",
                        "Click a header to sort, a stage or deadline on the left to filter, double-click a row to"
                        " open it; Ctrl+P searches every command.",
                    ),
                    style="dim",
                )
            )

    def _table(self) -> Table:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column(no_wrap=True, style="bold")
        table.add_column()
        for zh, en, bindings in self.sections:
            table.add_row(Text(pick(self.lang, zh, en), style="bold underline"), "")
            for binding in bindings:
                if not isinstance(binding, Binding):
                    binding = next(iter(Binding.make_bindings([binding])))
                keys = " / ".join(
                    self.app.get_key_display(Binding(key.strip(), binding.action))
                    for key in binding.key.split(",")
                )
                table.add_row(
                    keys, key_label(binding.action, self.lang, binding.description or binding.action)
                )
            table.add_row("", "")
        return table
