"""The detail panel of the materials checklist: provided, missing, and reopened by a return."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from states import Lang
from tracker.domain import MaterialStatus
from tui.view.labels import RETURN_STYLE, pick
from tui.widgets.panels.base import ExtensionPanel


class MaterialsPanel(ExtensionPanel):
    """The materials checklist: what is provided, what is missing, what a return reopened."""

    TITLE_ZH, TITLE_EN = "材料清单", "Materials"

    def show_data(self, data: Any, lang: Lang) -> None:
        """One line per item, mandatory ones marked."""
        items: Sequence[MaterialStatus] = data
        self.set_language(lang)
        done = sum(1 for m in items if m.provided)
        self.border_subtitle = f"{done}/{len(items)}"
        text = Text()
        for m in items:
            if text:
                text.append("\n")
            text.append(
                "✓ " if m.provided else "✗ ",
                "bold #5fd75f" if m.provided else ("bold #ff5f5f" if m.mandatory else "dim"),
            )
            short = pick(lang, m.zh.split("（")[0], m.en.split(" (")[0])  # the name, not its explanation
            text.append(short, "" if m.provided or m.mandatory else "dim")
            if m.reopened:
                text.append(f"  ↩{m.reopened}", RETURN_STYLE)
        if not items:
            text.append(pick(lang, "此类备案没有材料清单", "No checklist for this kind of filing."), "dim")
        self.update(text)
