"""The SQLite change check of an open dashboard: a commit by another connection is seen even when the files'
size and modification time come out the same (the write-ahead log rewritten in place within one tick of the
file system's clock), and a file moved away is still noticed."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tracker.store.changes import FileWatcher


def _times(path: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (path, Path(f"{path}-wal")) if p.exists()}


def test_a_commit_that_leaves_size_and_time_unchanged_is_still_seen(tmp_path: Path) -> None:
    path = tmp_path / "beian.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (v INTEGER)")
    writer.execute("INSERT INTO t VALUES (1)")
    writer.execute("INSERT INTO t VALUES (2)")
    writer.execute("PRAGMA wal_checkpoint(RESTART)")  # the next commit rewrites the log from its start
    wal = Path(f"{path}-wal")
    size = wal.stat().st_size
    watcher = FileWatcher(path, interval=0.01)
    try:
        assert not watcher.wait(0.05)  # nothing changed since it started
        before = _times(path)
        writer.execute("UPDATE t SET v = 3 WHERE v = 1")
        for file, ns in before.items():  # as if the commit fell within the same tick of the clock
            os.utime(file, ns=(ns, ns))
        assert _times(path) == before and wal.stat().st_size == size  # `stat` sees nothing
        assert watcher.wait(0.2)
        assert not watcher.wait(0.05)  # seen once
    finally:
        watcher.close()
        writer.close()


def test_a_file_moved_away_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "beian.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (v INTEGER)")
    writer.close()
    watcher = FileWatcher(path, interval=0.01)
    try:
        assert not watcher.wait(0.05)
        path.rename(tmp_path / "elsewhere.db")
        assert watcher.wait(0.2)
    finally:
        watcher.close()
