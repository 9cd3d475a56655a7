"""Ask before throwing away what was typed into a dialog."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.screens.dialogs.controls import compact_controls
from tui.screens.host import UsesHost
from tui.view.labels import pick


class ConfirmDiscardScreen(UsesHost, ModalScreen[bool]):
    """ "Discard your changes?"; dismissed with True to discard, False to keep editing (the default, and Esc)."""

    BINDINGS = [
        Binding("escape", "keep", "Keep editing"),
        Binding("d", "discard", "Discard"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        lang = self.lang
        with Vertical(id="confirm-discard", classes="dialog") as box:
            box.border_title = pick(lang, "放弃修改？", "Discard changes?")
            yield Static(pick(lang, "已输入的内容尚未保存。", "What you typed has not been saved."))
            with Horizontal(classes="buttons"):
                yield Button(pick(lang, "继续编辑", "Keep editing"), id="confirm-keep", variant="primary")
                yield Button(pick(lang, "放弃修改", "Discard"), id="confirm-discard-button", variant="error")

    def on_mount(self) -> None:
        """Keep editing is the default answer."""
        compact_controls(self)
        self.query_one("#confirm-keep", Button).focus()

    @on(Button.Pressed, "#confirm-keep")
    def action_keep(self) -> None:
        """Back to the form, nothing lost."""
        self.dismiss(False)

    @on(Button.Pressed, "#confirm-discard-button")
    def action_discard(self) -> None:
        """Close the form without saving."""
        self.dismiss(True)
