"""What the dashboard says about time and news: deadlines counted through a year whose holiday schedule is not
yet published are marked provisional (in the table, with a legend, and in the detail panel, in both
languages), and filings a colleague changed since you last looked are marked until you open them, the same
filings `beian list --changed` names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static

from tests.helpers.cli import bound_to
from tests.helpers.tui import NOW, ORG, SIZE, fixed_clock, portfolio, settle, shown_text, wait_for
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService
from tui.app import TrackerApp, make_app
from tui.messages import FilingDetailLoaded, FilingsLoaded
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.widgets.filing_table import FilingTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.panels.deadlines import DeadlinesPanel

PROVISIONAL = {"zh": "暂定：调休安排尚未公布", "en": "provisional: 调休 not yet published"}


def line_of(table: FilingTable, ref: str) -> str:
    """The text of the table line showing `ref` (the header is line 0)."""
    for y in range(1, table.size.height):
        text = "".join(segment.text for segment in table.render_line(y))
        if f" {ref}" in f" {text}":
            return text
    raise AssertionError(f"{ref} is not on screen")


def index_of(table: FilingTable, ref: str) -> int:
    return next(i for i in range(table.total) if (f := table.row(i)) is not None and f.ref == ref)


async def open_filing(pilot: Pilot[Any], messages: list[Message], ref: str) -> DetailScreen:
    """Put the cursor on `ref`, press Enter and wait for the detail screen's data."""
    table = pilot.app.screen.query_one(FilingTable)
    table.move_cursor(index_of(table, ref))
    after = len(messages)
    await pilot.press("enter")
    await wait_for(pilot, messages, FilingDetailLoaded, after=after)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen)
    return screen


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_deadline_counted_into_2027_is_marked_provisional_in_the_table_and_the_detail(
    service: FilingService, lang: str
) -> None:
    assert NOW.date() == date(2026, 11, 28)  # the fixed clock: 2027's 调休 schedule is not published
    portfolio(service)
    late = service.add_filing(
        FilingDraft(organisation=ORG, title="年末上线算法", launch_date=date(2026, 12, 25))
    )
    soon = service.add_filing(
        FilingDraft(organisation=ORG, title="月中上线算法", launch_date=date(2026, 11, 20))
    )
    [d1] = service.rules.deadlines(late.ref)
    assert (d1.due_date, d1.provisional) == (date(2027, 1, 11), True)  # as `beian dates` says
    assert not any(d.provisional for d in service.rules.deadlines(soon.ref))

    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        app.language = lang  # type: ignore[assignment]
        await wait_for(pilot, messages, FilingsLoaded)
        await settle(pilot)
        table = app.screen.query_one(FilingTable)
        assert f"{d1.working_days_left}wd~" in line_of(table, late.ref)
        assert "wd~" not in line_of(table, soon.ref)
        summary = app.screen.query_one(FilterBar).query_one("#filter-summary", Static)
        assert f"~ {PROVISIONAL[lang]}" in shown_text(summary)  # the legend of the mark
        assert summary.tooltip == PROVISIONAL[lang]

        detail = await open_filing(pilot, messages, late.ref)
        panel = shown_text(detail.query_one(DeadlinesPanel))
        assert "2027-01-11" in panel and PROVISIONAL[lang] in panel
        await pilot.press("escape")
        detail = await open_filing(pilot, messages, soon.ref)
        assert PROVISIONAL[lang] not in shown_text(detail.query_one(DeadlinesPanel))


async def marked_refs(app: TrackerApp, pilot: Pilot[Any]) -> set[str]:
    """References the table shows with the "changed since you last looked" mark."""
    await settle(pilot)
    table = app.screen.query_one(FilingTable)
    out = set()
    for i in range(table.total):
        filing = table.row(i)
        if filing is not None and line_of(table, filing.ref).lstrip().startswith(f"{filing.ref}*"):
            out.add(filing.ref)
    return out


async def test_a_colleagues_change_is_marked_for_me_not_for_them_and_opening_it_clears_it(
    make_service: Callable[..., FilingService],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tracker.factory

    manager = make_service(user="王经理")
    engineer = make_service(user="李工")
    refs = portfolio(manager)
    for person in ("王经理", "李工"):
        manager.mark_seen(None, person)  # both start afresh
    engineer.advance(refs["review"], "return_for_revision", reason="自评估报告缺少签字")
    engineer.update_filing(refs["draft"], title="星河语音合成算法")

    opened = tracker.factory.open_service
    monkeypatch.setattr(  # the CLI on the dashboard's clock, so both judge deadlines on the same day
        tracker.factory, "open_service", lambda *a, **k: opened(*a, **{**k, "clock": fixed_clock})
    )
    beian = bound_to(capsys, sqlite_url)

    def listed(person: str) -> set[str]:
        result = beian("list", "--changed", "--json", "--by", person)
        assert result.code == 0, result.err
        return {item["ref"] for item in result.json()}

    news = {refs["review"], refs["draft"]}
    assert listed("王经理") == news and listed("李工") == set()

    messages: list[Message] = []
    app = make_app(manager)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        assert await marked_refs(app, pilot) == news
        await open_filing(pilot, messages, refs["review"])  # seen: its mark goes
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.pause()
        after_opening = await marked_refs(app, pilot)
    assert after_opening == {refs["draft"]} == listed("王经理")  # the CLI runs once the app has stopped

    theirs = make_app(engineer)  # the colleague's own changes are no news to them
    shown_to_them: list[Message] = []
    async with theirs.run_test(size=SIZE, message_hook=shown_to_them.append) as pilot:
        await wait_for(pilot, shown_to_them, FilingsLoaded)
        shown = await marked_refs(theirs, pilot)
    assert shown == set() == listed("李工")
