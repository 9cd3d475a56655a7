"""The dashboard through Pilot: behaviour asserted on the messages it posts and on widget state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.widgets import Input, OptionList, Static

from states import Stage
from tests.helpers.tui import SIZE, shown_text, wait_for
from tracker.errors import StorageError
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.messages import (
    ActionFailed,
    ChangeFeedLost,
    FilingAdvanced,
    FilingsLoaded,
    OutcomesLoaded,
    RefreshFailed,
    SmsDispatched,
    StageCountsLoaded,
    StoreChanged,
)
from tui.screens.dashboard import DashboardScreen
from tui.screens.dialogs.advance import AdvanceScreen
from tui.widgets.filing_table import FilingTable
from tui.widgets.stage_funnel import StageFunnel


def refs_in(table: FilingTable) -> list[str]:
    """The references the table has loaded, top to bottom."""
    return [f.ref for f in (table.row(i) for i in range(table.total)) if f is not None]


async def test_advancing_from_the_modal_moves_the_filing_and_adds_history(
    service: FilingService, refs: dict[str, str]
) -> None:
    ref = refs["review"]
    before = len(service.history(ref))
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = app.screen.query_one(FilingTable)
        table.move_cursor(refs_in(table).index(ref))
        await pilot.press("a")
        loaded = await wait_for(pilot, messages, OutcomesLoaded)
        assert isinstance(app.screen, AdvanceScreen)
        assert app.screen.chosen is not None and app.screen.chosen.value == "pass_review"
        await pilot.press("ctrl+s")
        advanced = await wait_for(pilot, messages, FilingAdvanced)
        assert advanced.result.filing.stage is Stage.SECOND_REVIEW
        assert advanced.result.transition.from_stage is loaded.filing.stage is Stage.INITIAL_REVIEW
        assert advanced.result.transition.source == "dashboard"
        assert isinstance(app.screen, DashboardScreen)
        await wait_for(pilot, messages, FilingsLoaded, lambda m: m.revision == service.revision())
        shown = table.selected
        assert shown is not None and shown.ref == ref and shown.stage is Stage.SECOND_REVIEW
    assert service.filing(ref).stage is Stage.SECOND_REVIEW
    history = service.history(ref)
    assert len(history) == before + 1
    assert history[-1].to_stage is Stage.SECOND_REVIEW and history[-1].actor


async def test_a_refused_event_shows_its_reason_and_changes_nothing(
    service: FilingService, refs: dict[str, str]
) -> None:
    blocked, final = refs["blocked"], refs["final"]
    history = service.history(final)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = app.screen.query_one(FilingTable)
        # a guard the user cannot fix here: the organisation's entity filing is not approved
        table.move_cursor(refs_in(table).index(blocked))
        await pilot.press("a")
        await wait_for(pilot, messages, OutcomesLoaded, lambda m: m.filing.ref == blocked)
        options = app.screen.query_one("#advance-events", OptionList)
        submit = options.get_option("submit")
        assert submit.disabled
        assert "主体备案" in str(submit.prompt)
        await pilot.press("escape")
        # a refusal only the service can tell: approving with a malformed filing number
        table.move_cursor(refs_in(table).index(final))
        await pilot.press("a")
        await wait_for(pilot, messages, OutcomesLoaded, lambda m: m.filing.ref == final)
        screen = app.screen
        assert isinstance(screen, AdvanceScreen)
        options = screen.query_one("#advance-events", OptionList)
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == "approve"
        )
        await pilot.pause()
        screen.query_one("#advance-number", Input).value = "网信算备123号"
        screen.query_one("#advance-note", Input).value = "typed by hand"
        await pilot.press("ctrl+s")
        refused = await wait_for(pilot, messages, ActionFailed)
        assert app.screen is screen, "an error never closes the dialog"
        error = shown_text(screen.query_one("#advance-error", Static))
        assert refused.error in error and "filing number" in error
        assert screen.query_one("#advance-number", Input).value == "网信算备123号"
        assert screen.query_one("#advance-note", Input).value == "typed by hand"
        assert not any(isinstance(m, FilingAdvanced) for m in messages)
    assert service.filing(final).stage is Stage.FINAL_REVIEW
    assert service.history(final) == history


async def test_the_filter_narrows_the_table_and_survives_a_refresh(
    service: FilingService, refs: dict[str, str], make_service: Callable[..., FilingService]
) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        first = await wait_for(pilot, messages, FilingsLoaded)
        assert first.total == 5
        await pilot.press("slash", *"灵犀", "enter")
        narrowed = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.text == "灵犀")
        table = app.screen.query_one(FilingTable)
        assert narrowed.total == 1 and refs_in(table) == [refs["blocked"]]
        assert app.focused is table
        await pilot.press("escape")
        await wait_for(
            pilot,
            messages,
            FilingsLoaded,
            lambda m: m.query.text is None and m.generation > narrowed.generation,
        )
        # the stage funnel filters too
        app.screen.query_one(StageFunnel).post_message(StageFunnel.StageChosen(Stage.DRAFT))
        drafts = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.stages == (Stage.DRAFT,))
        assert sorted(refs_in(table)) == sorted([refs["draft"], refs["blocked"]])
        counts = await wait_for(
            pilot, messages, StageCountsLoaded, lambda m: m.generation == drafts.generation
        )
        assert counts.counts[Stage.DRAFT] == 2 and counts.counts[Stage.FINAL_REVIEW] == 1, (
            "other stages still counted"
        )
        # a change elsewhere reloads the table but keeps the filter
        make_service().advance(refs["draft"], "withdraw")
        after = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.revision > drafts.revision)
        assert after.query.stages == (Stage.DRAFT,)
        assert refs_in(table) == [refs["blocked"]]


async def test_a_write_from_another_service_appears_and_keeps_the_selection(
    service: FilingService, refs: dict[str, str], make_service: Callable[..., FilingService]
) -> None:
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        loaded = await wait_for(pilot, messages, FilingsLoaded)
        table = app.screen.query_one(FilingTable)
        table.move_cursor(refs_in(table).index(refs["final"]))
        other = make_service()  # a second process on the same SQLite file
        other.advance(refs["review"], "pass_review", actor="colleague")
        changed = await wait_for(pilot, messages, StoreChanged, lambda m: m.revision > loaded.revision)
        await wait_for(pilot, messages, FilingsLoaded, lambda m: m.revision >= changed.revision)
        moved = table.row(refs_in(table).index(refs["review"]))
        assert moved is not None and moved.stage is Stage.SECOND_REVIEW
        assert table.selected is not None and table.selected.ref == refs["final"]


class UnreachableService(FilingService):
    """The real service whose revision read and change feed fail while `down` is set, as when the database is
    unreachable (the listening connection drops first, then every poll fails)."""

    down = False

    def revision(self) -> int:
        if self.down:
            raise StorageError("cannot use the database: connection refused")
        return super().revision()

    def change_feed(self) -> Any:
        feed, service = super().change_feed(), self

        class Dropping:
            push = feed.push

            def wait(self, timeout: float) -> bool:
                if service.down:
                    raise StorageError("lost the change notifications: connection refused")
                return feed.wait(timeout)

            def close(self) -> None:
                feed.close()

        return Dropping()


async def test_a_failing_refresh_shows_a_notice_and_the_app_keeps_running(
    make_service: Callable[..., FilingService], refs: dict[str, str]
) -> None:
    service = make_service(UnreachableService)
    assert isinstance(service, UnreachableService)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        service.down = True
        await wait_for(pilot, messages, ChangeFeedLost)
        await wait_for(pilot, messages, RefreshFailed)
        await pilot.pause()
        titles = [n.title for n in app._notifications]
        assert any("Refresh failed" in (t or "") for t in titles)
        assert sum("Live updates off" in (t or "") for t in titles) == 1, (
            "falls back to polling, says so once"
        )
        table = app.screen.query_one(FilingTable)
        await pilot.press("down")
        assert table.cursor == 1, "the dashboard still answers the keyboard"
        await wait_for(pilot, messages, RefreshFailed, after=len(messages))
        assert sum("Refresh failed" in (n.title or "") for n in app._notifications) == 1, (
            "one notice per outage"
        )
        service.down = False
        await wait_for(pilot, messages, StoreChanged, after=len(messages))
        await pilot.pause()
        assert any("Refresh resumed" in (n.title or "") for n in app._notifications)
        assert app.is_running


async def test_approving_in_the_dashboard_hands_the_sms_to_the_dispatcher(
    service: FilingService, refs: dict[str, str]
) -> None:
    ref = refs["final"]
    service.notify.add_recipient("13800138000", filing=ref)
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = app.screen.query_one(FilingTable)
        table.move_cursor(refs_in(table).index(ref))
        await pilot.press("a")
        await wait_for(pilot, messages, OutcomesLoaded, lambda m: m.filing.ref == ref)
        assert isinstance(app.screen, AdvanceScreen)
        app.screen.query_one("#advance-number", Input).value = "网信算备110108555010101260013号"
        await pilot.press("ctrl+s")
        advanced = await wait_for(pilot, messages, FilingAdvanced)
        assert advanced.result.notifications == 1
        dispatched = await wait_for(pilot, messages, SmsDispatched)
        # Twilio is not configured in tests: the message waits in the outbox, nothing is lost
        assert "not configured" in dispatched.summary
    [queued] = service.notify.notifications(ref)
    assert queued.status == "pending" and queued.phone == "+8613800138000"
