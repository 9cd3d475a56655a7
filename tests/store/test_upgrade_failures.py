"""A failed `beian init` leaves the database exactly at its old revision, says why (naming what blocked it),
and can be run again once the cause is gone; an SQLite file is backed up first, owner-only."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from tests.helpers.cli import run_beian
from tests.helpers.olddb import at_revision, fill_0001, pg_schema_url
from tests.helpers.probes import ROOT
from tracker.store.db import SCHEMA_HEAD, Store, make_engine


def _rows_by_column(url: str, table: str) -> list[dict[str, Any]]:
    """The rows of `table` as column name → value, in id order."""
    store = Store(make_engine(url))
    try:
        with store.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).mappings()]
    finally:
        store.dispose()


def _sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _snapshot(url: str) -> dict[str, Any]:
    """Everything a user could tell apart: the schema objects and the rows of every table."""
    store = Store(make_engine(url))
    try:
        with store.engine.connect() as conn:
            if store.backend == "sqlite":
                objects = conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()
            else:
                objects = conn.execute(
                    text(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = current_schema() ORDER BY 1, 2"
                    )
                ).all()
            rows = {
                t: conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all()
                for t in ("alembic_version", "organisation", "filing", "transition", "outbox", "meta")
            }
        return {
            "objects": [tuple(o) for o in objects],
            "rows": {t: [tuple(r) for r in v] for t, v in rows.items()},
        }
    finally:
        store.dispose()


@pytest.fixture
def old_sqlite(tmp_path: Path) -> str:
    """An SQLite file at revision 0002 holding 0001-era rows."""
    url = f"sqlite:///{tmp_path / 'beian.db'}"
    store = at_revision(url, "0001")
    fill_0001(store)
    store.dispose()
    store = Store(make_engine(url))
    from tracker.store import schema

    assert schema.upgrade(store, "0002").after == "0002"
    store.dispose()
    return url


@pytest.fixture
def old_pg(pg_url: str) -> Iterator[str]:
    """A PostgreSQL schema at revision 0002 holding 0001-era rows."""
    with pg_schema_url("beian_upg") as url:
        store = at_revision(url, "0001")
        fill_0001(store)
        from tracker.store import schema

        assert schema.upgrade(store, "0002").after == "0002"
        store.dispose()
        yield url


def _init_fails(capsys: pytest.CaptureFixture[str], url: str, *names: str) -> str:
    result = run_beian(capsys, "--db", url, "init")
    line = result.fails_cleanly(5)
    for name in names:
        assert name in line, line
    assert f"from 0002 to {SCHEMA_HEAD} failed" in line and "left unchanged at revision 0002" in line, line
    return line


def _user_sql(url: str, *statements: str) -> None:
    store = Store(make_engine(url))
    try:
        with store.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        store.dispose()


def test_a_view_on_a_rebuilt_table_blocks_the_upgrade_and_changes_nothing(
    old_sqlite: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the 0003 migration rebuilds `outbox` (SQLite cannot add a foreign key in place); a user's own view on it
    _user_sql(
        old_sqlite, "CREATE VIEW open_messages AS SELECT id, phone, status FROM outbox WHERE status <> 'sent'"
    )
    before = _snapshot(old_sqlite)

    line = _init_fails(capsys, old_sqlite, "open_messages")
    assert "rev0002.bak" in line
    # not half-migrated: no new table, no temporary copy, the same rows, still revision 0002
    assert _snapshot(old_sqlite) == before
    code, _, err = run_beian(capsys, "--db", old_sqlite, "list")
    assert code == 5 and "0002" in err and "beian init" in err

    # the backup taken first: next to the file, owner-only, a complete copy at the old revision
    db = _sqlite_file(old_sqlite)
    backup = db.with_name("beian.db.rev0002.bak")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert _snapshot(f"sqlite:///{backup}") == before

    # once the view is gone, the same command upgrades, keeping every row
    _user_sql(old_sqlite, "DROP VIEW open_messages")
    result = run_beian(capsys, "--db", old_sqlite, "init")
    assert result.code == 0 and f"upgraded from 0002 to {SCHEMA_HEAD}" in result.out, result
    assert _snapshot(old_sqlite)["rows"]["alembic_version"] == [(SCHEMA_HEAD,)]
    # later migrations add columns (0006 a pinyin sort key); every value the old rows held is kept as it was
    for table in ("organisation", "filing", "transition", "outbox"):
        old = _rows_by_column(f"sqlite:///{backup}", table)
        new = _rows_by_column(old_sqlite, table)
        assert [{k: row[k] for k in old[0]} for row in new] == old, table


def test_an_object_in_the_way_rolls_back_every_earlier_step(
    old_sqlite: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0003 creates the `recipient` table first, then its indexes: a user table named like the second index
    # makes the upgrade fail after the first steps ran; they must be rolled back too
    _user_sql(old_sqlite, "CREATE TABLE ix_recipient_filing_id (x INTEGER)")
    before = _snapshot(old_sqlite)
    _init_fails(capsys, old_sqlite, "ix_recipient_filing_id")
    assert _snapshot(old_sqlite) == before


@pytest.mark.pg
def test_postgresql_rolls_back_a_failed_upgrade_whole(
    old_pg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _user_sql(old_pg, "CREATE TABLE ix_recipient_filing_id (x INTEGER)")
    before = _snapshot(old_pg)
    line = _init_fails(capsys, old_pg, "ix_recipient_filing_id")
    assert "bak" not in line  # no file to back up: PostgreSQL's own transaction is the safety net
    assert _snapshot(old_pg) == before
    _user_sql(old_pg, "DROP TABLE ix_recipient_filing_id")
    assert run_beian(capsys, "--db", old_pg, "init").code == 0
    assert _snapshot(old_pg)["rows"]["alembic_version"] == [(SCHEMA_HEAD,)]


def test_a_locked_file_fails_at_once_and_changes_nothing(
    old_sqlite: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEIAN_LOCK_TIMEOUT", "0.2")
    before = _snapshot(old_sqlite)
    holder = sqlite3.connect(_sqlite_file(old_sqlite), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        holder.execute("UPDATE meta SET value = value WHERE key = 'revision'")
        _init_fails(capsys, old_sqlite, "locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _snapshot(old_sqlite) == before
    assert run_beian(capsys, "--db", old_sqlite, "init").code == 0


@pytest.fixture
def full_disk() -> Iterator[None]:
    """Every SQLite connection opened meanwhile may not grow its file: what a full disk looks like to SQLite."""

    def cap(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {max(pages, 1)}")

    event.listen(Engine, "connect", cap)
    try:
        yield
    finally:
        event.remove(Engine, "connect", cap)


def test_a_full_disk_fails_the_upgrade_cleanly(
    old_sqlite: str, capsys: pytest.CaptureFixture[str], full_disk: None
) -> None:
    before = _snapshot(old_sqlite)
    _init_fails(capsys, old_sqlite, "full")
    assert _snapshot(old_sqlite) == before


def test_no_room_for_the_backup_stops_before_the_upgrade(old_sqlite: str) -> None:
    """A real `beian init` process under RLIMIT_FSIZE: writing the backup fails as on a full disk (EFBIG);
    the upgrade does not start, the message is one line, and no partial backup is left behind."""
    db = _sqlite_file(old_sqlite)
    before = _snapshot(old_sqlite)
    limit = db.stat().st_size // 2

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", old_sqlite, "init"],
        preexec_fn=limited,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 5, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "rev0002.bak" in done.stderr
    assert _snapshot(old_sqlite) == before
    assert sorted(p.name for p in db.parent.iterdir() if "rev0002" in p.name or p.name.endswith(".tmp")) == []
