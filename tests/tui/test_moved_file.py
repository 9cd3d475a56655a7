"""The dashboard notices that its database file was moved or replaced, says so, and writes nothing anywhere."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from textual.message import Message

from states import Stage
from tests.helpers.tui import SIZE, wait_for
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.messages import ActionFailed, FilingsLoaded, LoadFailed, RefreshFailed
from tui.screens.dialogs.advance import AdvanceScreen
from tui.widgets.filing_table import FilingTable


def _counter(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])


async def test_a_replaced_file_is_reported_and_never_written(
    service: FilingService, refs: dict[str, str], sqlite_url: str, sqlite_template: Path
) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    ref = refs["review"]
    messages: list[Message] = []
    app = make_app(service)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        # from another terminal: the file is moved aside and another database copied into its place
        old = db.with_name("before-restore.db")
        for suffix in ("", "-wal", "-shm"):
            if db.with_name(db.name + suffix).exists():
                os.rename(db.with_name(db.name + suffix), old.with_name(old.name + suffix))
        incoming = db.with_name("incoming.db")
        shutil.copy(sqlite_template, incoming)
        os.replace(incoming, db)
        witnesses = {old: _counter(old), db: _counter(db)}

        failed = await wait_for(pilot, messages, RefreshFailed)
        assert "replaced" in failed.error and str(db) in failed.error
        await pilot.pause()
        assert any("replaced" in str(n.message) for n in app._notifications)

        table = app.screen.query_one(FilingTable)
        table.move_cursor(next(i for i in range(table.total) if (f := table.row(i)) and f.ref == ref))
        await pilot.press("a")
        await pilot.pause()
        if isinstance(app.screen, AdvanceScreen):  # the dialog may open on what the table already holds
            await pilot.press("ctrl+s")
        # opening the dialog needs the filing's events: that read is refused already, or else the write is
        refused = await wait_for(pilot, messages, Message, lambda m: isinstance(m, ActionFailed | LoadFailed))
        assert isinstance(refused, ActionFailed | LoadFailed) and "replaced" in refused.error
    assert {p: _counter(p) for p in witnesses} == witnesses
    with sqlite3.connect(old) as conn:
        stage = conn.execute("SELECT stage FROM filing WHERE ref = ?", (ref,)).fetchone()[0]
    assert stage == Stage.INITIAL_REVIEW.value
