"""What every detail panel shares: a bordered box with a bilingual title, and the extension-panel contract.

Each panel is a separate widget the detail screen fills with `show(...)` (or `show_data(...)` for an
extension panel). Panels never call the service: the screen reads their data in its worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.widgets import Static

from states import Lang
from tui.view.labels import pick


class DetailPanel(Static):
    """A bordered panel with a bilingual title."""

    TITLE_ZH: ClassVar[str] = ""
    TITLE_EN: ClassVar[str] = ""

    def set_language(self, lang: Lang) -> None:
        """Retitle the panel."""
        self.border_title = pick(lang, self.TITLE_ZH, self.TITLE_EN)


class ExtensionPanel(DetailPanel):
    """A detail panel fed by its own service call, which the detail screen makes in its worker.

    The screen lists its extension panels explicitly, each with the call that feeds it; the panel only
    renders what it is handed.
    """

    SLOT: ClassVar[str] = "bottom"
    """Where the panel goes: "side" (under the events) or "bottom" (below the history, side by side)."""

    def show_data(self, data: Any, lang: Lang) -> None:
        """Render what the screen fetched for this panel (UI thread)."""
        self.set_language(lang)
        self.update(Text(str(data)))

    def show_error(self, error: str, lang: Lang) -> None:
        """The panel's service call failed; the rest of the screen still shows."""
        self.set_language(lang)
        self.update(Text(error, style="#ff8787"))


@dataclass(frozen=True, slots=True)
class PanelFailed:
    """What an extension panel shows when its service call was refused."""

    error: str
