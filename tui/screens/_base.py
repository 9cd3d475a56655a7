"""What every screen reaches through the app: the service, the display language, change notices."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, cast

from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Label

from states import Lang
from tracker.filings.service import FilingService

if TYPE_CHECKING:
    from tui.app import TrackerApp


class UsesService(DOMNode):
    """Mixin for screens: typed access to the app's service and settings."""

    @property
    def tracker(self) -> TrackerApp:
        """The running dashboard app."""
        return cast("TrackerApp", self.app)

    @property
    def service(self) -> FilingService:
        """The one service; call it only from thread workers."""
        return self.tracker.service

    @property
    def lang(self) -> Lang:
        """The display language."""
        return self.tracker.language


def actor() -> str | None:
    """Who records an event from the dashboard: the login name, as the CLI's default."""
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):  # no login name in some containers
        return None


def field_row(label: str, widget: Widget, *, classes: str = "") -> Horizontal:
    """A label and its input on one line."""
    return Horizontal(Label(label, classes="field-label"), widget, classes=f"field {classes}".strip())


def compact_controls(root: Widget) -> None:
    """Borderless inputs, selects and buttons: a dialog fits a small terminal."""
    for control in root.query("Input, Select, Button, Checkbox"):
        control.compact = True  # type: ignore[attr-defined]  # every queried class has `compact`
