"""Form controls shared by the dialogs: a labelled field row, and compact inputs for small terminals."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


def field_row(label: str, widget: Widget, *, classes: str = "") -> Horizontal:
    """A label and its input on one line."""
    return Horizontal(Label(label, classes="field-label"), widget, classes=f"field {classes}".strip())


def compact_controls(root: Widget) -> None:
    """Borderless inputs, selects and buttons: a dialog fits a small terminal."""
    for control in root.query("Input, Select, Button, Checkbox"):
        control.compact = True  # type: ignore[attr-defined]  # every queried class has `compact`


def fit_body(screen: Widget) -> None:
    """Cap a dialog's scrolling body so that the dialog, its error line and its buttons fit the screen.

    CSS alone cannot say "as tall as its content, but no taller than what the pinned lines leave", so the
    screen calls this on resize and whenever the error line changes.
    """
    dialog = screen.query_one(".dialog", Widget)
    body = dialog.query_one(".dialog-body", Widget)
    pinned = sum(w.outer_size.height for w in dialog.children if w is not body and w.display)
    frame = dialog.styles.gutter.height + dialog.styles.margin.height
    body.styles.max_height = max(3, screen.size.height - frame - pinned)
