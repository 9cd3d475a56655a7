"""Ask for a name under which to save the current filters and sort as a view."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.screens.dialogs.controls import compact_controls
from tui.screens.host import UsesHost
from tui.view.labels import pick


class SaveViewScreen(UsesHost, ModalScreen[str | None]):
    """A name for a view; dismissed with the name, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        """One input and the buttons."""
        lang = self.lang
        with Vertical(id="save-view", classes="dialog") as box:
            box.border_title = pick(lang, "保存视图", "Save view")
            yield Static(
                pick(lang, "名称（之后用 --view 名称 打开）", "Name (open it later with --view NAME)")
            )
            yield Input(id="view-name")
            with Horizontal(classes="buttons"):
                yield Button(pick(lang, "保存", "Save"), id="view-save", variant="primary")
                yield Button(pick(lang, "取消", "Cancel"), id="view-cancel")

    def on_mount(self) -> None:
        """The name field has the focus."""
        compact_controls(self)
        self.query_one("#view-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#view-save")
    def _save(self) -> None:
        name = self.query_one("#view-name", Input).value.strip()
        self.dismiss(name or None)

    @on(Button.Pressed, "#view-cancel")
    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
