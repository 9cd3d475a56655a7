"""A modal form whose values the service validates: its refusal shows inline, and nothing typed is lost."""

from __future__ import annotations

from typing import Any, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static

from tracker.errors import TrackerError
from tui.messages import ActionFailed, FilingSaved, OrganisationAdded
from tui.screens.dialogs.controls import compact_controls, field_row, fit_body
from tui.screens.host import ServiceCall, UsesHost, action_failed
from tui.view.labels import pick

T = TypeVar("T")


def text_of(screen: ModalScreen[Any], selector: str) -> str | None:
    """The stripped value of an input, or None when blank."""
    return screen.query_one(selector, Input).value.strip() or None


def choice_of(screen: ModalScreen[Any], selector: str) -> Any:
    """The value of a select, or None when blank."""
    value = screen.query_one(selector, Select).value
    return None if value is Select.NULL else value


class FormScreen(UsesHost, ModalScreen[T]):
    """Subclasses yield their fields, read them in `collect` and call the service in `save`."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Save"),
    ]
    TITLE_ZH = ""
    TITLE_EN = ""

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        """The subclass's fields in a scrolling body; the inline error line and the buttons pinned below it,
        so that they stay on screen at 80×24 and 60×20."""
        with Vertical(classes="dialog form") as dialog:
            dialog.border_title = pick(self.lang, self.TITLE_ZH, self.TITLE_EN)
            with VerticalScroll(classes="dialog-body"):
                yield from self.fields()
            yield Static("", classes="form-error")
            with Horizontal(classes="buttons"):
                yield Button(pick(self.lang, "保存", "Save"), id="form-save", variant="primary")
                yield Button(pick(self.lang, "取消", "Cancel"), id="form-cancel")

    def fields(self) -> ComposeResult:
        """The form's labelled inputs."""
        yield from ()

    def row(self, zh: str, en: str, widget: Widget) -> Horizontal:
        """A labelled field in the display language."""
        return field_row(pick(self.lang, zh, en), widget)

    def on_mount(self) -> None:
        """Compact controls; the first field gets the focus; what is shown now counts as unchanged."""
        compact_controls(self)
        self.show_error("")
        first = self.query(".dialog-body Input, .dialog-body Select").first()
        first.focus()
        self.mark_pristine()
        self.call_after_refresh(fit_body, self)

    def on_resize(self) -> None:
        """The buttons stay on screen however small the terminal."""
        fit_body(self)

    def values(self) -> tuple[object, ...]:
        """Every field's value, in order (what "changed" is measured against)."""
        controls = self.query(".dialog-body Input, .dialog-body Select, .dialog-body Checkbox")
        return tuple(getattr(w, "value", None) for w in controls)

    def mark_pristine(self) -> None:
        """Take the fields as they are now as the unchanged state."""
        self._pristine = self.values()

    @property
    def changed(self) -> bool:
        """Whether the user changed a field since the form opened."""
        return self.values() != getattr(self, "_pristine", self.values())

    def collect(self) -> ServiceCall:
        """Read the fields (UI thread) and return the service call to make (run in a worker)."""
        raise NotImplementedError

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-save")
    def action_submit(self) -> None:
        """Validate locally what only the form knows (dates), then let the service decide."""
        try:
            call = self.collect()
        except TrackerError as exc:
            self.show_error(str(exc))
            return
        self.show_error("")
        self.query_one("#form-save", Button).disabled = True
        self._save(call)

    def _save(self, call: ServiceCall) -> None:
        """Make the service call; post its result or its refusal."""
        self.call_service(call, group="form", failed=action_failed)

    @on(FilingSaved)
    def _filing_saved(self, message: FilingSaved) -> None:
        ref = message.filing.ref
        self.app.notify(pick(self.lang, f"已保存 {ref}", f"Saved {ref}"), timeout=3)
        self.dismiss(message.filing)  # type: ignore[arg-type]  # each subclass fixes T to what it saves

    @on(OrganisationAdded)
    def _organisation_added(self, message: OrganisationAdded) -> None:
        name = message.organisation.name
        self.app.notify(pick(self.lang, f"已添加 {name}", f"Added {name}"), timeout=3)
        self.dismiss(message.organisation)  # type: ignore[arg-type]  # as above

    @on(ActionFailed)
    def _failed(self, message: ActionFailed) -> None:
        self.show_error(message.error)
        self.query_one("#form-save", Button).disabled = False

    def show_error(self, text: str) -> None:
        """Show (or clear) the inline error."""
        error = self.query_one(".form-error", Static)
        error.update(Text(text))  # not markup: messages quote [keys]
        error.display = bool(text)
        self.call_after_refresh(fit_body, self)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        """Close without saving; a changed form asks first."""
        if not self.changed:
            self.dismiss(None)
            return
        from tui.screens.dialogs.confirm import ConfirmDiscardScreen

        self.app.push_screen(ConfirmDiscardScreen(), self._discard)

    def _discard(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)
