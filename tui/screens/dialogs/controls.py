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
