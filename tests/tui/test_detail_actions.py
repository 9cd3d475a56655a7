"""Acting from the filing detail: ticking the materials checklist and retrying a failed SMS."""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import OptionList

from states import Event
from tests.helpers.tui import ORG, SIZE, shown_text, wait_for
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService
from tui.app import TrackerApp, make_app
from tui.messages import FilingDetailLoaded, FilingsLoaded, MaterialMarked, MaterialsLoaded, SmsRetried
from tui.screens.detail import DetailScreen
from tui.screens.dialogs.materials import MaterialsScreen
from tui.widgets.filing_table import FilingTable
from tui.widgets.panels import MaterialsPanel


def submit_allowed(service: FilingService, ref: str) -> bool:
    """Whether the service would accept a submit now."""
    return next(o for o in service.events(ref) if o.event is Event.SUBMIT).allowed


async def open_detail(app: TrackerApp, messages: list[Message], pilot: Pilot[Any], ref: str) -> DetailScreen:
    """Select `ref` in the table and open its detail view."""
    await wait_for(pilot, messages, FilingsLoaded)
    table = app.screen.query_one(FilingTable)
    table.move_cursor(next(i for i in range(table.total) if (f := table.row(i)) and f.ref == ref))
    await pilot.press("enter")
    await wait_for(pilot, messages, FilingDetailLoaded, lambda m: m.filing.ref == ref)
    assert isinstance(app.screen, DetailScreen)
    return app.screen


async def test_ticking_every_mandatory_item_in_the_dialog_lets_the_draft_be_submitted(
    service: FilingService, refs: dict[str, str]
) -> None:
    # the portfolio's organisation has an approved entity filing: only the materials block a submit
    ref = service.add_filing(FilingDraft(organisation=ORG, title="星河推荐算法")).ref
    assert not submit_allowed(service, ref)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        detail = await open_detail(app, messages, pilot, ref)
        assert "✗" in shown_text(detail.query_one(MaterialsPanel))
        await pilot.press("m")
        loaded = await wait_for(pilot, messages, MaterialsLoaded)
        dialog = app.screen
        assert isinstance(dialog, MaterialsScreen)
        options = dialog.query_one("#materials-items", OptionList)
        assert app.focused is options and options.highlighted == 0
        for index, item in enumerate(loaded.items):
            if index:
                await pilot.press("down")
            if not item.mandatory or item.provided:
                continue
            seen = len(messages)
            await pilot.press("space")
            marked = await wait_for(pilot, messages, MaterialMarked, after=seen)
            assert marked.status.key == item.key and marked.status.provided
            assert app.screen is dialog
        await wait_for(pilot, messages, MaterialsLoaded, lambda m: all(i.provided for i in m.items))
        assert "✗" not in str(options.get_option_at_index(0).prompt)
        seen = len(messages)
        await pilot.press("escape")
        reloaded = await wait_for(pilot, messages, FilingDetailLoaded, after=seen)
        assert app.screen is detail
        assert next(o for o in reloaded.outcomes if o.event is Event.SUBMIT).allowed
        assert "✗" not in shown_text(detail.query_one(MaterialsPanel))
    assert submit_allowed(service, ref)
    assert all(m.provided for m in service.rules.materials(ref))
    assert any(m.checked_by for m in service.rules.materials(ref)), "ticked under the user's name"


async def test_unticking_in_the_dialog_blocks_the_submit_again(
    service: FilingService, refs: dict[str, str]
) -> None:
    ref = refs["draft"]
    assert submit_allowed(service, ref)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await open_detail(app, messages, pilot, ref)
        await pilot.press("m")
        loaded = await wait_for(pilot, messages, MaterialsLoaded)
        await pilot.press("enter")
        marked = await wait_for(pilot, messages, MaterialMarked)
        assert marked.status.key == loaded.items[0].key and not marked.status.provided
        assert isinstance(app.screen, MaterialsScreen), "toggling never closes the dialog"
    assert not submit_allowed(service, ref)


async def test_retry_without_a_failed_sms_says_so_and_changes_nothing(
    service: FilingService, refs: dict[str, str]
) -> None:
    ref = refs["final"]
    service.notify.add_recipient("13800138000", filing=ref)
    service.advance(ref, "approve", filing_number="网信算备110108555010101260013号")
    # SMS is not configured here: the approval's message waits in the outbox as `pending`
    before = service.notify.notifications(ref)
    assert [n.status for n in before] == ["pending"]
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        detail = await open_detail(app, messages, pilot, ref)
        await pilot.press("t")
        retried = await wait_for(pilot, messages, SmsRetried)
        assert retried.notification is None
        assert any("No failed SMS" in n.message for n in app._notifications)
        assert app.screen is detail
    assert service.notify.notifications(ref) == before
