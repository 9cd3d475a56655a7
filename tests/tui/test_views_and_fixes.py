"""Saved views across a restart, the same rows as `beian list --view`, and the fixes: the cursor keeps the
selected filing when a filter is cleared, a new filing is selected, a theme change repaints, copy and export."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.widgets import Input, Select

from tests.helpers.tui import ORG, SIZE, portfolio, settle, wait_for
from tracker.filings.service import FilingService
from tracker.filings.views import find_view, load_current
from tui.app import make_app
from tui.messages import FilingSaved, FilingsLoaded, ViewExported
from tui.screens.dashboard import DashboardScreen
from tui.screens.dialogs.forms import NewFilingScreen
from tui.widgets.filing_table import FilingTable


def refs_in(table: FilingTable) -> list[str]:
    """The references the table has loaded, top to bottom."""
    return [f.ref for f in (table.row(i) for i in range(table.total)) if f is not None]


def dashboard(app: Any) -> DashboardScreen:
    """The dashboard screen of a running app."""
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


async def test_sort_and_filters_survive_a_restart(service: FilingService) -> None:
    portfolio(service)
    messages: list[Message] = []
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        dashboard(pilot.app).quick_filter("waiting-us")
        await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.waiting_on == "us")
        await pilot.press("r")  # reverse the sort, then quit at once: still remembered
        chosen = dashboard(pilot.app).filters
    assert load_current() == chosen
    messages.clear()
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        loaded = await wait_for(pilot, messages, FilingsLoaded)
        assert loaded.query == chosen
        table = dashboard(pilot.app).query_one(FilingTable)
        assert table.descending == chosen.descending


async def test_a_view_shows_the_rows_beian_list_gives(service: FilingService) -> None:
    portfolio(service)
    view = find_view("waiting-us")
    messages: list[Message] = []
    async with make_app(service, initial=view.query).run_test(
        size=SIZE, message_hook=messages.append
    ) as pilot:
        loaded = await wait_for(pilot, messages, FilingsLoaded)
        assert [f.ref for f in loaded.pages[0]] == [f.ref for f in service.filings(view.query)]
        assert loaded.total == service.count(view.query) == 2


async def test_clearing_a_filter_keeps_the_selected_filing_and_a_new_filing_is_selected(
    service: FilingService, refs: dict[str, str]
) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        await pilot.press("slash", *"语音", "enter")
        narrowed = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.text == "语音")
        table = dashboard(app).query_one(FilingTable)
        assert table.selected is not None and table.selected.ref == refs["draft"]
        await pilot.press("escape")
        cleared = await wait_for(
            pilot,
            messages,
            FilingsLoaded,
            lambda m: m.query.text is None and m.generation > narrowed.generation,
        )
        assert cleared.position is not None and cleared.position > 0
        assert table.selected is not None and table.selected.ref == refs["draft"], "the cursor stays on it"

        await pilot.press("n")
        form = app.screen
        assert isinstance(form, NewFilingScreen)
        await settle(pilot)
        form.query_one("#filing-org", Select).value = ORG
        form.query_one("#filing-title", Input).value = "星河新算法"
        await pilot.press("ctrl+s")
        saved = await wait_for(pilot, messages, FilingSaved)
        await wait_for(pilot, messages, FilingsLoaded, lambda m: m.total == cleared.total + 1)
        assert table.selected is not None and table.selected.ref == saved.filing.ref, (
            "the new filing is selected"
        )


async def test_a_theme_change_repaints_every_row(service: FilingService, refs: dict[str, str]) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        await settle(pilot)
        table = dashboard(app).query_one(FilingTable)
        before = next(iter(table.render_line(3))).style
        app.theme = "textual-light"
        await pilot.pause()
        after = next(iter(table.render_line(3))).style
        assert before is not None and after is not None
        assert after.bgcolor != before.bgcolor, "rows off the cursor take the new background at once"


async def test_copy_and_export_the_current_view(
    service: FilingService, refs: dict[str, str], tmp_path: Path
) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = dashboard(app).query_one(FilingTable)
        await pilot.press("c")
        assert table.selected is not None and app.clipboard == table.selected.ref
        dashboard(app).quick_filter("waiting-us")
        await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.waiting_on == "us")
        dashboard(app).export_view(tmp_path)
        exported = await wait_for(pilot, messages, ViewExported)
    raw = exported.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, so Excel reads the Chinese text"
    assert exported.path.stat().st_mode & 0o777 == 0o600
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert exported.rows == 2 and len(rows) == 3
    assert {refs["draft"], refs["blocked"]} == {r[0] for r in rows[1:]}, (
        "the rows of the view, through beian export"
    )
