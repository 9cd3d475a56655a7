"""An open store never writes to an SQLite file that is no longer at its configured path: moved, replaced
(a restore by copy, another database put in its place) or deleted. The CLI and the dashboard share this."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.tui import portfolio
from tracker.config import Settings
from tracker.errors import StorageError
from tracker.factory import open_store
from tracker.filings.service import FilingService


def _counter(path: Path) -> tuple[int, int]:
    """(change counter, history rows) read straight from the file."""
    with sqlite3.connect(path) as conn:
        revision = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM transition").fetchone()[0]
    return int(revision), int(rows)


def _moved(db: Path) -> None:
    db.rename(db.with_name("elsewhere.db"))
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            side.rename(db.with_name("elsewhere.db" + suffix))


def _replaced(db: Path) -> None:
    other = db.with_name("other.db")
    shutil.copy(db.with_name("template.db"), other)
    os.replace(other, db)


def _deleted(db: Path) -> None:
    db.unlink()


@pytest.mark.parametrize("change", [_moved, _replaced, _deleted], ids=["moved", "replaced", "deleted"])
def test_a_store_refuses_a_file_no_longer_at_its_path(
    sqlite_url: str, sqlite_template: Path, change: Callable[[Path], None]
) -> None:
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    shutil.copy(sqlite_template, db.with_name("template.db"))
    store = open_store(sqlite_url)
    try:
        service = FilingService(store, Settings())
        refs = portfolio(service)
        service.revision()
        change(db)
        elsewhere = db.with_name("elsewhere.db")
        witnesses = {p: _counter(p) for p in (db, elsewhere) if p.exists()}
        with pytest.raises(StorageError) as refused:
            service.advance(refs["review"], "pass_review")
        message = str(refused.value)
        assert str(db) in message and "nothing was written" in message
        assert ("moved or deleted" if change is not _replaced else "replaced") in message
        with pytest.raises(StorageError):
            service.revision()  # the dashboard's poll learns it the same way
        with pytest.raises(StorageError):
            service.notify.dispatch_pending()
        assert {p: _counter(p) for p in witnesses} == witnesses  # neither file changed
    finally:
        store.dispose()


def test_the_cli_reports_a_replaced_file_in_one_line(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh process opens whatever is at the path now: nothing to refuse, the file is simply the new one."""
    from tests.helpers.cli import run_beian

    db = Path(sqlite_url.removeprefix("sqlite:///"))
    assert (
        run_beian(
            capsys,
            "--db",
            sqlite_url,
            "org",
            "add",
            "北京星河智算科技有限公司",
            "--credit-code",
            "91110108MA01A2B3CF",
        ).code
        == 0
    )
    db.unlink()
    result = run_beian(capsys, "--db", sqlite_url, "org", "list")
    assert "no database" in result.fails_cleanly(5)
