"""The dashboard at the sizes people use: 80×24 and 60×20, in 中文 and in English.

A manager filters to the overdue filings, opens one, records a refused and an accepted event and sees both
outcomes; dialogs keep their buttons and their error line on screen; forms focus their first field and ask
before throwing away what was typed.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
from textual.command import CommandList
from textual.geometry import Region
from textual.message import Message
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from states import Lang, Stage
from tests.helpers.tui import ORG, portfolio, settle, shown_text, wait_for
from tracker.config import Settings
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.messages import ActionFailed, FilingAdvanced, FilingsLoaded, OutcomesLoaded
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.screens.dialogs.advance import AdvanceScreen
from tui.screens.dialogs.confirm import ConfirmDiscardScreen
from tui.screens.dialogs.forms import EditFilingScreen, NewOrganisationScreen
from tui.widgets.filing_table import FilingTable
from tui.widgets.stage_funnel import StageFunnel

SIZES = [(80, 24), (60, 20)]


async def from_palette(pilot: Pilot[Any], title: str, patience: float = 60.0) -> None:
    """Open the command palette, type `title` and run the command once the palette lists it first (failing
    after `patience` seconds: a cap against hanging, not a timing assertion)."""
    await pilot.press("ctrl+p")
    await pilot.press(*title)
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        found = pilot.app.screen.query(CommandList)
        if (
            found
            and found.first().option_count
            and str(found.first().get_option_at_index(0).prompt).startswith(title)
        ):
            await pilot.press("enter")
            return
        await pilot.pause(0.02)
    raise AssertionError(f"the palette never offered {title!r}")


def on_screen(pilot: Pilot[Any], widget: Widget) -> bool:
    """Whether the whole widget is inside the terminal."""
    width, height = pilot.app.size
    return widget.display and Region(0, 0, width, height).contains_region(widget.region)


def late_draft(service: FilingService) -> str:
    """A draft launched long ago whose filing (D1, 10 working days after launch) is overdue."""
    filing = service.add_filing(
        FilingDraft(organisation=ORG, title="星河迟报算法", launch_date=date(2026, 9, 1))
    )
    service.rules.mark_all_provided(filing.ref, actor="test")
    return filing.ref


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_manager_finds_an_overdue_filing_and_records_a_refused_then_an_accepted_event(
    make_service: Any, size: tuple[int, int], lang: Lang
) -> None:
    service: FilingService = make_service(language=lang)
    portfolio(service)
    late = late_draft(service)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=size, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        await from_palette(pilot, "筛选: 已逾期" if lang == "zh" else "Filter: Overdue")
        loaded = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.overdue)
        assert loaded.total == 1 and loaded.pages[0][0].ref == late
        await settle(pilot)
        table = dashboard.query_one(FilingTable)
        keys = [c.key for c in table.columns]
        assert keys[:3] == ["ref", "deadline", "stage"], "the most actionable columns are the last to go"
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await settle(pilot)
        await pilot.press("a")
        await wait_for(pilot, messages, OutcomesLoaded)
        dialog = app.screen
        assert isinstance(dialog, AdvanceScreen)
        assert on_screen(pilot, dialog.query_one("#advance-apply")) and on_screen(
            pilot, dialog.query_one("#advance-cancel")
        )
        # refused: an effective time in the future
        dialog.query_one("#advance-at", Input).value = "2099-01-01"
        await pilot.press("ctrl+s")
        refused = await wait_for(pilot, messages, ActionFailed)
        error = dialog.query_one("#advance-error", Static)
        assert app.screen is dialog and on_screen(pilot, error), "the refusal is visible"
        assert refused.error in shown_text(error)
        assert on_screen(pilot, dialog.query_one("#advance-apply"))
        # accepted
        dialog.query_one("#advance-at", Input).value = ""
        await pilot.press("ctrl+s")
        advanced = await wait_for(pilot, messages, FilingAdvanced)
        assert advanced.result.filing.stage is Stage.INITIAL_REVIEW
        assert isinstance(app.screen, DetailScreen)
    assert service.filing(late).stage is Stage.INITIAL_REVIEW


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_forms_focus_their_first_field_and_keep_their_buttons_on_screen(
    service: FilingService, size: tuple[int, int]
) -> None:
    refs = portfolio(service)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=size, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        await pilot.press("o")
        form = app.screen
        assert isinstance(form, NewOrganisationScreen)
        await pilot.press(*"上海")
        assert form.query_one("#org-name", Input).value == "上海", "typed keys land in the first field"
        await pilot.press("ctrl+s")
        await wait_for(pilot, messages, ActionFailed)
        for selector in (".form-error", "#form-save", "#form-cancel"):
            assert on_screen(pilot, form.query_one(selector)), selector
        # Esc on a changed form asks; keeping goes back with nothing lost
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDiscardScreen)
        await pilot.press("escape")
        assert pilot.app.screen is form and form.query_one("#org-name", Input).value == "上海"
        await pilot.press("escape")
        await pilot.press("d")
        assert isinstance(app.screen, DashboardScreen)

        table = app.screen.query_one(FilingTable)
        table.move_cursor(
            next(i for i in range(table.total) if (f := table.row(i)) and f.ref == refs["draft"])
        )
        await pilot.press("e")
        edit = app.screen
        assert isinstance(edit, EditFilingScreen)
        assert app.focused is edit.query_one("#edit-title", Input)
        await pilot.press("escape")  # unchanged: closes at once
        assert isinstance(app.screen, DashboardScreen)


async def test_the_stage_list_collapses_on_a_narrow_terminal_and_comes_back_on_request(
    service: FilingService,
) -> None:
    portfolio(service)
    messages: list[Message] = []
    async with make_app(service).run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        funnel = pilot.app.screen.query_one(StageFunnel)
        assert not funnel.display
        await pilot.press("b")
        assert funnel.display
        await pilot.resize_terminal(160, 45)
        await pilot.press("b")
        assert not funnel.display, "the user's choice holds whatever the width"


async def test_wide_terminals_show_the_stage_list_and_every_column(service: FilingService) -> None:
    portfolio(service)
    messages: list[Message] = []
    async with make_app(service, Settings()).run_test(size=(160, 45), message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = pilot.app.screen.query_one(FilingTable)
        assert pilot.app.screen.query_one(StageFunnel).display
        assert [c.key for c in table.columns][:3] == ["ref", "deadline", "stage"]
        assert {"title", "organisation", "filing_number"} <= {c.key for c in table.columns}
