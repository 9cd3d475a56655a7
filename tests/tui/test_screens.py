"""Detail view, forms, preferences, help and the command palette."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Select, Static

from states import Event, Stage
from tests.helpers.tui import CODE, ORG, SIZE, shown_text, wait_for
from tracker.config import Settings
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.commands import dashboard_commands
from tui.messages import (
    ActionFailed,
    FilingDetailLoaded,
    FilingSaved,
    FilingsLoaded,
    OrganisationAdded,
    OrganisationsLoaded,
)
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.screens.dialogs.forms import EditFilingScreen, NewFilingScreen, NewOrganisationScreen
from tui.screens.dialogs.help import HelpScreen
from tui.view.labels import key_label
from tui.widgets.filing_table import FilingTable
from tui.widgets.panels import DeadlinesPanel, EventsPanel, FieldsPanel, MaterialsPanel, TimelinePanel


async def test_an_empty_database_explains_how_to_start(service: FilingService) -> None:
    messages: list[Message] = []
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        loaded = await wait_for(pilot, messages, FilingsLoaded)
        assert loaded.total == 0
        screen = pilot.app.screen
        empty = screen.query_one("#empty", Static)
        assert empty.display and not screen.query_one(FilingTable).display
        shown = shown_text(empty)
        assert "beian add" in shown and "beian org add" in shown and "--demo" in shown


async def test_the_detail_view_shows_fields_history_and_events(
    service: FilingService, refs: dict[str, str]
) -> None:
    service.advance(refs["final"], "return_for_revision", reason="材料不全")
    messages: list[Message] = []
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = pilot.app.screen.query_one(FilingTable)
        index = next(i for i in range(table.total) if (f := table.row(i)) and f.ref == refs["final"])
        table.move_cursor(index)
        await pilot.press("enter")
        detail = await wait_for(pilot, messages, FilingDetailLoaded)
        screen = pilot.app.screen
        assert isinstance(screen, DetailScreen)
        assert detail.filing.stage is Stage.RETURNED and len(detail.history) == 4
        fields = shown_text(screen.query_one(FieldsPanel))
        assert refs["final"] in fields and "退回修改" in fields
        timeline = shown_text(screen.query_one(TimelinePanel))
        assert "材料不全" in timeline and "↩" in timeline
        events = shown_text(screen.query_one(EventsPanel))
        assert "resubmit" in events
        assert {o.event for o in detail.outcomes} >= {Event.RESUBMIT, Event.WITHDRAW}
        # the rules layer's panels: a checklist with every item ticked, and the deadlines panel
        materials = screen.query_one(MaterialsPanel)
        assert materials.display and "✗" not in shown_text(materials) and "✓" in shown_text(materials)
        assert screen.query_one(DeadlinesPanel).display
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, DashboardScreen)


async def test_organisations_and_filings_are_added_and_edited_from_forms(service: FilingService) -> None:
    messages: list[Message] = []
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        await pilot.press("o")
        form = pilot.app.screen
        assert isinstance(form, NewOrganisationScreen)
        form.query_one("#org-name", Input).value = ORG
        form.query_one("#org-code", Input).value = "91110108MA01A2B3CX"  # wrong check character
        await pilot.press("ctrl+s")
        refused = await wait_for(pilot, messages, ActionFailed)
        assert pilot.app.screen is form and refused.error in shown_text(form.query_one(".form-error", Static))
        form.query_one("#org-code", Input).value = CODE
        await pilot.press("ctrl+s")
        await wait_for(pilot, messages, OrganisationAdded)
        assert [o.name for o in service.organisations()] == [ORG]

        await pilot.press("n")
        await wait_for(pilot, messages, OrganisationsLoaded)
        new = pilot.app.screen
        assert isinstance(new, NewFilingScreen)
        new.query_one("#filing-org", Select).value = ORG
        new.query_one("#filing-title", Input).value = "星河推荐算法"
        await pilot.press("ctrl+s")
        added = await wait_for(pilot, messages, FilingSaved)
        assert added.filing.stage is Stage.DRAFT and added.created
        await wait_for(pilot, messages, FilingsLoaded, lambda m: m.total == 1)

        await pilot.press("e")
        edit = pilot.app.screen
        assert isinstance(edit, EditFilingScreen)
        edit.query_one("#edit-title", Input).value = "星河个性化推荐算法"
        edit.query_one("#edit-launch", Input).value = "2026-13-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        refusal = shown_text(edit.query_one(".form-error", Static))
        assert "2026-13-01" in refusal, "a bad date is refused inline"
        edit.query_one("#edit-launch", Input).value = "2026-12-01"
        await pilot.press("ctrl+s")
        edited = await wait_for(pilot, messages, FilingSaved, lambda m: not m.created)
        assert edited.filing.title == "星河个性化推荐算法"
    saved = service.filing(added.filing.ref)
    assert saved.title == "星河个性化推荐算法" and saved.launch_date is not None


async def test_language_and_theme_choices_persist(service: FilingService, isolated_settings: Path) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        assert app.language == "both"
        await pilot.press("l")
        chosen: str = app.language
        assert chosen == "zh" and pilot.app.screen.query_one(FilingTable).language == "zh"
        app.theme = "nord"  # and quit at once: the choice is still saved
    saved = tomllib.loads((isolated_settings / "config.toml").read_text(encoding="utf-8"))
    assert saved["language"] == "zh" and saved["theme"] == "nord"
    # the next dashboard opens with the saved choices
    again = make_app(service, Settings(language=saved["language"], theme=saved["theme"]))
    assert again.language == "zh" and again.theme == "nord"


async def test_every_key_binding_is_in_the_command_palette_and_the_help(service: FilingService) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        screen = app.screen
        titles = {c.title for c in dashboard_commands(app, screen)}
        for binding in Binding.make_bindings(DashboardScreen.BINDINGS):
            assert key_label(binding.action, "both", binding.description) in titles
        assert "按名称降序排序 Sort by title descending" in titles and "语言 Language: 中文" in titles
        app.language = "en"
        titles = {c.title for c in dashboard_commands(app, screen)}
        assert {"Sort by title descending", "Filter: Overdue", "View: Waiting on us"} <= titles
        app.language = "zh"
        titles = {c.title for c in dashboard_commands(app, screen)}
        assert {"按名称降序排序", "筛选: 已逾期", "视图: 等待我方", "导出当前视图 (CSV)"} <= titles
        footer = {b.description for _, b, _, _ in screen.active_bindings.values()}
        assert {"筛选", "记录事件", "退出"} <= footer, "the footer follows the language"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = shown_text(app.screen.query_one("#help Static", Static))
        for _zh, _en, bindings in app.help_sections():
            for binding in Binding.make_bindings(bindings):
                assert key_label(binding.action, "zh", binding.description) in shown
        await pilot.press("escape")
        assert app.screen is screen
