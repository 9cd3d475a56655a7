"""`beian backup` and `beian restore`: consistent owner-only snapshots while writers run (WAL included),
checked before they are restored, never over data without --force; PostgreSQL through pg_dump."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.helpers.cli import Beian, run_beian
from tests.helpers.load import Inspector, disagreements, next_event, seed_cycling
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.store.backup import pg_dump_command
from tracker.store.db import SCHEMA_HEAD, normalise_url


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


_NEEDS_REASON = {"return_for_revision", "reject", "revoke"}
"""Events that take a reason; the others refuse one."""


class Writer(threading.Thread):
    """Another connection advancing filings in a loop until told to stop."""

    def __init__(self, url: str, refs: list[str]) -> None:
        super().__init__(daemon=True)
        self.store = open_store(url)
        self.service = FilingService(self.store, Settings())
        self.refs = refs
        self.stop = threading.Event()
        self.done = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                ref = self.refs[self.done % len(self.refs)]
                step = next_event(self.service.filing(ref).stage.value)
                reason = step.get("reason") if step["event"] in _NEEDS_REASON else None
                self.service.advance(ref, step["event"], reason=reason, note=f"w{self.done}")
                self.done += 1
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.store.dispose()


def test_backups_taken_while_a_writer_runs_are_consistent_and_owner_only(
    sqlite_url: str, beian_sqlite: Beian, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    service = FilingService(store, Settings())
    refs = seed_cycling(service, 10)
    base = Inspector(sqlite_url).states()
    writer = Writer(sqlite_url, refs)
    writer.start()
    try:
        for i in range(5):
            dest = tmp_path / f"snap{i}.db"
            result = beian_sqlite("backup", str(dest))
            assert result.code == 0 and str(dest) in result.out, result
            assert dest.stat().st_mode & 0o777 == 0o600
            snap = Inspector(f"sqlite:///{dest}")
            assert snap.integrity() == ["ok"]
            assert disagreements(base, snap.states()) == []
            assert set(snap.notes().values()) <= {1}
            assert not Path(f"{dest}-wal").exists()  # one self-contained file
            snap.dispose()
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None and writer.done > 0

    # the latest change sits in the -wal file only: a copy of beian.db alone misses it, a backup has it
    db = _path(sqlite_url)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    event = next_event(service.filing(refs[0]).stage.value)["event"]
    service.advance(refs[0], event, reason="x" if event in _NEEDS_REASON else None, note="latest")
    assert Path(f"{db}-wal").stat().st_size > 0
    shutil.copy(db, tmp_path / "plain-copy.db")
    assert Inspector(f"sqlite:///{tmp_path / 'plain-copy.db'}").notes()["latest"] == 0
    assert beian_sqlite("backup", str(tmp_path / "last.db")).code == 0
    assert Inspector(f"sqlite:///{tmp_path / 'last.db'}").notes()["latest"] == 1
    store.dispose()


def test_a_folder_gets_a_file_named_after_the_time(beian_sqlite: Beian, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    result = beian_sqlite("backup", str(folder), "--json")
    assert result.code == 0, result
    made = Path(result.json()["backup"])
    assert made.parent == folder and made.name.startswith("beian-") and made.suffix == ".db"
    assert beian_sqlite("backup", str(tmp_path / "missing" / "x.db")).fails_cleanly(5)


@pytest.fixture
def snapshot(sqlite_url: str, beian_sqlite: Beian, tmp_path: Path) -> Path:
    """A backup of a database with an organisation and a filing in initial review."""
    store = open_store(sqlite_url)
    seed_cycling(FilingService(store, Settings()), 1)
    store.dispose()
    dest = tmp_path / "snapshot.db"
    assert beian_sqlite("backup", str(dest)).code == 0
    return dest


def test_restore_refuses_to_overwrite_data_without_force(
    snapshot: Path, sqlite_url: str, beian_sqlite: Beian
) -> None:
    before = Inspector(sqlite_url).notes()
    line = beian_sqlite("restore", str(snapshot)).fails_cleanly(2)
    assert "already holds data" in line and "--force" in line
    assert Inspector(sqlite_url).notes() == before
    # --force replaces it; a service open on the file sees the restored data and a new change counter
    store = open_store(sqlite_url)
    service = FilingService(store, Settings())
    counter = service.revision()
    service.advance("ALG-0001", "return_for_revision", reason="after the backup", note="after-backup")
    result = beian_sqlite("restore", str(snapshot), "--force")
    assert result.code == 0 and "2 filings" in result.out, result
    assert service.filing("ALG-0001").stage.value == "initial_review"
    assert Inspector(sqlite_url).notes()["after-backup"] == 0
    assert service.revision() > counter + 1
    service.advance("ALG-0001", "return_for_revision", reason="after the restore")  # still writable
    store.dispose()


def test_restore_into_a_new_file_is_owner_only(
    snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fresh" / "beian.db"
    target.parent.mkdir()
    result = run_beian(capsys, "--db", str(target), "restore", str(snapshot), "--json")
    assert result.code == 0, result
    assert result.json()["revision"] == SCHEMA_HEAD and result.json()["filings"] == 2
    assert target.stat().st_mode & 0o777 == 0o600
    listed = run_beian(capsys, "--db", str(target), "list", "--json")
    assert {f["ref"] for f in listed.json()} == {"ENT-0001", "ALG-0001"}


def _broken(snapshot: Path, how: str) -> Path:
    bad = snapshot.with_name(f"{how}.db")
    if how == "garbage":
        bad.write_bytes(b"not a database at all" * 100)
    elif how == "corrupt":
        data = bytearray(snapshot.read_bytes())
        page = 4096
        data[page * 3 : page * 3 + 200] = b"\xff" * 200  # a b-tree page trampled
        bad.write_bytes(bytes(data))
    elif how == "foreign":
        with sqlite3.connect(bad) as conn:
            conn.execute("CREATE TABLE notes (x TEXT)")
    elif how == "newer":
        shutil.copy(snapshot, bad)
        with sqlite3.connect(bad) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
    return bad


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("garbage", "not a beian database"),
        ("corrupt", ""),
        ("foreign", "not a beian database"),
        ("newer", "9999"),
        ("missing", "no backup file"),
    ],
)
def test_restore_checks_the_backup_first(
    snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, says: str
) -> None:
    bad = _broken(snapshot, how) if how != "missing" else tmp_path / "nowhere.db"
    target = tmp_path / "target.db"
    line = run_beian(capsys, "--db", str(target), "restore", str(bad), "--force").fails_cleanly(5)
    assert says in line
    assert not target.exists() or target.stat().st_size == 0


@pytest.mark.pg
def test_postgresql_backup_runs_pg_dump(
    pg_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import subprocess

    dest = tmp_path / "beian.dump"
    result = run_beian(capsys, "--db", pg_url, "backup", str(dest))
    assert result.code == 0, result
    assert dest.stat().st_mode & 0o777 == 0o600
    listing = subprocess.run(["pg_restore", "--list", str(dest)], capture_output=True, text=True, check=True)
    assert "TABLE public filing" in listing.stdout or " filing " in listing.stdout


def test_the_pg_dump_command_never_holds_the_password(tmp_path: Path) -> None:
    url = normalise_url("postgresql://beian:Pa55-w0rd@db.internal:5433/beian?options=-csearch_path%3Dteam")
    argv = pg_dump_command(url, tmp_path / "x.dump")
    assert "Pa55-w0rd" not in " ".join(argv)
    assert argv[:2] == ["pg_dump", "--format=custom"]
    assert argv[4:12] == [
        "--host",
        "db.internal",
        "--port",
        "5433",
        "--username",
        "beian",
        "--schema",
        "team",
    ]


@pytest.mark.pg
def test_without_pg_dump_the_command_to_run_is_given(
    pg_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump anywhere
    url = pg_url.replace("postgres@", "postgres:Pa55-w0rd@")
    line = run_beian(capsys, "--db", url, "backup", str(tmp_path / "x.dump")).fails_cleanly(5)
    assert "pg_dump --format=custom" in line and "--dbname" in line
    assert "Pa55-w0rd" not in line
    assert not (tmp_path / "x.dump").exists()
