"""The materials dialog: tick or untick a filing's checklist items, one service call per toggle.

Each toggle is the same call as `beian rules materials --done/--undo`; a refusal (a number item needs
its value, typed with the CLI's --note) is shown inline and never closes the dialog.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tracker.domain import MaterialStatus
from tui.messages import ActionFailed, LoadFailed, MaterialMarked, MaterialsLoaded
from tui.screens.host import UsesHost, action_failed
from tui.view.labels import RETURN_STYLE, pick


class MaterialsScreen(UsesHost, ModalScreen[bool | None]):
    """Toggle the provided state of one filing's checklist items; dismissed with True if any changed."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("space", "toggle_item", "Toggle"),
    ]

    def __init__(self, filing_id: int, ref: str) -> None:
        super().__init__(classes="dialog-screen")
        self.filing_id = filing_id
        self.ref = ref
        self.items: tuple[MaterialStatus, ...] = ()
        self.changed = False
        """Whether any item was ticked or unticked while the dialog was open."""

    def compose(self) -> ComposeResult:
        """The checklist, a hint and the inline error."""
        lang = self.lang
        with Vertical(id="materials-dialog", classes="dialog") as dialog:
            dialog.border_title = pick(lang, f"材料清单 {self.ref}", f"Materials {self.ref}")
            yield OptionList(id="materials-items")
            hint = pick(lang, "空格/回车 切换 · * 必需", "Space/Enter toggles · * mandatory")
            yield Static(Text(hint, "dim"), id="materials-hint")
            yield Static("", id="materials-error")

    def on_mount(self) -> None:
        """Load the checklist."""
        self._load(self.filing_id)

    def _load(self, filing_id: int) -> None:
        """The checklist as it is now."""
        self.call_service(
            lambda service: MaterialsLoaded(tuple(service.rules.materials(filing_id))), group="materials-load"
        )

    @on(MaterialsLoaded)
    def _loaded(self, message: MaterialsLoaded) -> None:
        self.items = message.items
        options = self.query_one("#materials-items", OptionList)
        previous = self.highlighted
        options.clear_options()
        options.add_options(self._option(m) for m in self.items)
        keys = [m.key for m in self.items]
        if keys:
            options.highlighted = keys.index(previous.key) if previous and previous.key in keys else 0
            options.focus()
        else:
            self._error(pick(self.lang, "此类备案没有材料清单", "No checklist for this kind of filing."))

    def _option(self, m: MaterialStatus) -> Option:
        lang = self.lang
        prompt = Text()
        prompt.append(
            "✓ " if m.provided else "✗ ",
            "bold #5fd75f" if m.provided else ("bold #ff5f5f" if m.mandatory else "dim"),
        )
        prompt.append("* " if m.mandatory else "  ", "bold")
        prompt.append(pick(lang, m.zh.split("（")[0], m.en.split(" (")[0]))
        if m.reopened:
            prompt.append(f"  ↩{m.reopened}", RETURN_STYLE)
        return Option(prompt, id=m.key)

    @property
    def highlighted(self) -> MaterialStatus | None:
        """The highlighted checklist item."""
        options = self.query_one("#materials-items", OptionList)
        index = options.highlighted
        if index is None or not 0 <= index < len(self.items):
            return None
        return self.items[index]

    # -- toggling ---------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#materials-items")
    def action_toggle_item(self) -> None:
        """Tick the highlighted item if missing, untick it if provided."""
        item = self.highlighted
        if item is None:
            return
        self._error("")
        self._mark(self.filing_id, item.key, not item.provided)

    def _mark(self, filing_id: int, key: str, done: bool) -> None:
        """One call to `service.rules.mark`; its refusal comes back as a message."""
        self.call_service(
            lambda service: MaterialMarked(
                service.rules.mark(filing_id, key, done=done, actor=service.person)
            ),
            group="materials",
            failed=action_failed,
        )

    @on(MaterialMarked)
    def _marked(self, message: MaterialMarked) -> None:
        self.changed = True
        # show the new state at once; the reload brings anything else the service changed
        self.items = tuple(message.status if m.key == message.status.key else m for m in self.items)
        options = self.query_one("#materials-items", OptionList)
        options.replace_option_prompt(message.status.key, self._option(message.status).prompt)
        self._load(self.filing_id)

    @on(ActionFailed)
    def _refused(self, message: ActionFailed) -> None:
        self._error(message.error)

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self._error(message.error)

    def _error(self, text: str) -> None:
        self.query_one("#materials-error", Static).update(Text(text))  # not markup: messages quote [keys]

    def action_close(self) -> None:
        """Close; the detail screen reloads if anything changed."""
        self.dismiss(True if self.changed else None)
