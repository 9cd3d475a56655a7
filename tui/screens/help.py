"""The help screen: every key binding of every screen, and where to find the rest."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.screens._base import UsesService
from tui.view.labels import pick


def binding_sections() -> list[tuple[str, str, list[BindingType]]]:
    """(Chinese title, English title, bindings) for each place keys apply."""
    from tui.app import TrackerApp
    from tui.screens.advance import AdvanceScreen
    from tui.screens.dashboard import DashboardScreen
    from tui.screens.detail import DetailScreen
    from tui.screens.form_base import FormScreen
    from tui.screens.materials import MaterialsScreen
    from tui.widgets.filing_table import FilingTable

    palette: list[BindingType] = [
        Binding("ctrl+p", "command_palette", "Command palette: search every action")
    ]
    return [
        ("全局", "Everywhere", [*TrackerApp.BINDINGS, *palette]),
        ("总览", "Dashboard", list(DashboardScreen.BINDINGS)),
        ("表格", "Table", list(FilingTable.BINDINGS)),
        ("详情", "Filing detail", list(DetailScreen.BINDINGS)),
        ("记录事件", "Advance dialog", list(AdvanceScreen.BINDINGS)),
        ("材料清单", "Materials dialog", list(MaterialsScreen.BINDINGS)),
        ("表单", "Forms", list(FormScreen.BINDINGS)),
    ]


class HelpScreen(UsesService, ModalScreen[None]):
    """Key bindings, grouped by where they apply."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

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
                        "点击表头排序；点击左侧阶段筛选；双击打开备案。",
                        "Click a header to sort, a stage on the left to filter, double-click a row to open it.",
                    ),
                    style="dim",
                )
            )

    def _table(self) -> Table:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column(no_wrap=True, style="bold")
        table.add_column()
        for zh, en, bindings in binding_sections():
            table.add_row(Text(pick(self.lang, zh, en), style="bold underline"), "")
            for binding in bindings:
                if not isinstance(binding, Binding):
                    binding = next(iter(Binding.make_bindings([binding])))
                keys = " / ".join(
                    self.app.get_key_display(Binding(key.strip(), binding.action))
                    for key in binding.key.split(",")
                )
                table.add_row(keys, binding.description or binding.action)
            table.add_row("", "")
        return table
