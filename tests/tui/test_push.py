"""Changes made elsewhere reach an open dashboard without polling: PostgreSQL pushes them (LISTEN/NOTIFY)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from textual.message import Message

from states import Stage
from tests.helpers.tui import SIZE, fixed_clock, portfolio, settle, wait_for
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tui.app import TrackerApp, make_app
from tui.messages import FilingsLoaded, StoreChanged
from tui.widgets.filing_table import FilingTable

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_services(pg_url: str) -> Iterator[tuple[FilingService, FilingService]]:
    """The dashboard's service and a colleague's, on two engines of the same PostgreSQL schema."""
    stores = [open_store(pg_url), open_store(pg_url)]
    with stores[0].engine.begin() as conn:  # empty, as the shared `db_url` fixture leaves it
        conn.execute(
            text(
                "TRUNCATE outbox, recipient, material, transition, filing, organisation RESTART IDENTITY CASCADE"
            )
        )
    # a poll interval far below the idle window: if the app polled, the window would show it
    ours = FilingService(stores[0], Settings(poll_seconds=0.05), clock=fixed_clock)
    theirs = FilingService(stores[1], Settings(), clock=fixed_clock)
    yield ours, theirs
    for store in stores:
        store.dispose()


async def test_a_colleagues_commit_reaches_an_idle_dashboard_that_sends_no_queries(
    pg_services: tuple[FilingService, FilingService],
) -> None:
    ours, theirs = pg_services
    refs = portfolio(theirs)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(ours.store.engine, "before_cursor_execute", count)
    messages: list[Message] = []
    app = make_app(ours)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        await settle(pilot)
        assert isinstance(app, TrackerApp) and app.live is True
        statements.clear()
        await pilot.pause(0.5)  # ten poll intervals of idleness
        assert statements == [], "an idle dashboard on PostgreSQL sends no query"
        seen = len(messages)
        theirs.advance(refs["review"], "pass_review")
        await wait_for(pilot, messages, StoreChanged, after=seen)
        loaded = await wait_for(pilot, messages, FilingsLoaded, after=seen)
        assert loaded.revision == theirs.revision()
        table = app.screen.query_one(FilingTable)
        shown = {f.ref: f for f in (table.row(i) for i in range(table.total)) if f is not None}
        assert shown[refs["review"]].stage is Stage.SECOND_REVIEW
    event.remove(ours.store.engine, "before_cursor_execute", count)


def test_a_rolled_back_write_notifies_no_one(pg_services: tuple[FilingService, FilingService]) -> None:
    ours, theirs = pg_services
    feed = ours.change_feed()
    try:
        assert feed.push
        with pytest.raises(RuntimeError), theirs.store.unit() as session:
            from tracker.store.revision import bump_revision

            bump_revision(session)
            raise RuntimeError("roll back")
        assert not feed.wait(0.2)
        theirs.add_organisation("北京星河智算科技有限公司", "91110108MA01A2B3CF")
        assert feed.wait(5.0)
    finally:
        feed.close()
