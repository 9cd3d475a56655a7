"""Command palette entries: every key binding of the current screen, plus sorts, stage filters and languages."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar, Protocol

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from states import Stage
from tui.screens.dashboard import SORTABLE, DashboardScreen
from tui.view.labels import LANGUAGE_NAMES, LANGUAGES, stage_label


class PaletteHost(Protocol):
    """What the palette needs of the app (`TrackerApp` provides it): its keys, help and language actions."""

    BINDINGS: ClassVar[list[BindingType]]

    async def run_action(self, action: str) -> bool:
        """Run one of the app's actions by name (what a palette entry does)."""

    def get_key_display(self, binding: Binding) -> str:
        """How a key is shown, e.g. "^p"."""

    def action_help(self) -> None:
        """Show the help screen."""

    def action_set_language(self, language: str) -> None:
        """Show names in one language ("zh", "en") or both."""


_SKIP = {"help", "quit", "change_theme", "command_palette"}  # Textual lists its own versions of these


def dashboard_commands(app: PaletteHost, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The commands available on `screen`: its key bindings, then the app's, help, languages, sorts, stages."""
    seen: set[str] = set()
    for owner, bindings in ((screen, screen.BINDINGS), (app, app.BINDINGS)):
        for binding in Binding.make_bindings(bindings):
            if binding.action in seen or binding.action in _SKIP or not binding.description:
                continue
            seen.add(binding.action)
            key = app.get_key_display(binding)
            yield SystemCommand(binding.description, f"key: {key}", partial(owner.run_action, binding.action))
    yield SystemCommand("Help", "List every key binding (? or F1)", app.action_help)
    for lang in LANGUAGES:
        yield SystemCommand(
            f"Language: {LANGUAGE_NAMES[lang]}",
            "Show names in this language; remembered",
            partial(app.action_set_language, lang),
        )
    if isinstance(screen, DashboardScreen):
        for column in SORTABLE:
            for descending in (False, True):
                title = f"Sort by {column.en.lower()} {'descending' if descending else 'ascending'}"
                yield SystemCommand(
                    title,
                    f"按{column.zh}排序",
                    partial(screen.sort_by, column, descending=descending),
                    discover=False,
                )
        yield SystemCommand(
            "Show all stages", "Clear the stage filter", partial(screen.filter_by_stage, None), discover=False
        )
        for stage in Stage:
            yield SystemCommand(
                f"Stage: {stage_label(stage, 'both')}",
                "Show only filings in this stage",
                partial(screen.filter_by_stage, stage),
                discover=False,
            )
