"""Being told that the database changed, without asking it over and over.

PostgreSQL: every write bumps the revision counter and, in the same transaction, sends
`NOTIFY beian_changes, '<schema>'` (`tracker.store.revision.bump_revision`); PostgreSQL delivers it at commit,
and only if the transaction commits. `PgListener` holds one dedicated connection that `LISTEN`s: waiting sends
no query, so fifty idle dashboards cost the team's database nothing.

SQLite: a commit by any process writes the database file or its `-wal` file. `FileWatcher` compares their
size and modification time (a `stat`, no query and no lock); only a change costs a revision read.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

from tracker.errors import StorageError

CHANNEL = "beian_changes"
"""The PostgreSQL notification channel; the payload is the writer's schema (several databases may share one
server and several schemas one database)."""


class ChangeFeed(Protocol):
    """Tells a waiting thread that the database may have changed."""

    push: bool
    """True when the database itself pushes changes (no polling at all)."""

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a change may have happened. Raises `StorageError` when the
        feed is lost (the caller falls back to polling)."""
        ...

    def close(self) -> None:
        """Release the connection or the file handles; a waiting `wait` returns within its timeout."""
        ...


class PgListener:
    """A dedicated autocommit psycopg connection that `LISTEN`s on `CHANNEL` for this schema's writes."""

    push = True

    def __init__(self, engine: Any) -> None:
        """Connect with the engine's own connection arguments (host, user, `options` such as search_path).

        Raises `StorageError` when the server cannot be reached.
        """
        import psycopg

        args, kwargs = engine.dialect.create_connect_args(engine.url)
        try:
            self._conn = psycopg.connect(*args, **{**kwargs, "autocommit": True})
            self.schema = str(self._conn.execute("SELECT current_schema()").fetchone()[0])  # type: ignore[index]
            self._conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            raise StorageError(f"cannot listen for changes: {_first_line(exc)}") from None
        self._closed = threading.Event()

    def wait(self, timeout: float) -> bool:
        """True once a notification for this schema arrived within `timeout` seconds (others are ignored)."""
        import psycopg

        if self._closed.is_set():
            return False
        changed = False
        try:
            for note in self._conn.notifies(timeout=timeout, stop_after=1):
                changed = changed or note.payload == self.schema
            if changed:  # a burst of commits needs one refresh: drain what is already queued
                for note in self._conn.notifies(timeout=0):
                    changed = changed or note.payload == self.schema
        except psycopg.Error as exc:
            if self._closed.is_set():
                return False
            raise StorageError(f"lost the change notifications: {_first_line(exc)}") from None
        return changed

    def close(self) -> None:
        """Close the listening connection."""
        self._closed.set()
        self._conn.close()


class FileWatcher:
    """Watches an SQLite file every `interval` seconds: `PRAGMA data_version` on a connection of its own, and the
    database file's and write-ahead log's size and modification time.

    The counter changes with every commit made by any other connection, which a `stat` alone can miss (after a
    checkpoint the log is rewritten in place at the same size, and two commits may fall within one tick of the
    file system's clock). The `stat` still catches a file moved, replaced or deleted, which the counter of a
    connection to the old file cannot see. Reading the counter takes no lock and touches no page.
    """

    push = False

    def __init__(self, path: Path, interval: float) -> None:
        """`interval`: seconds between two looks at the files."""
        self.path = path
        self.interval = interval
        self._closed = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._seen = self._signature()

    def _data_version(self) -> int:
        """The file's commit counter as this watcher's connection sees it (-1 when it cannot be read)."""
        try:
            if self._conn is None:
                # read-write without create: a missing file stays missing; autocommit holds no read transaction
                uri = f"{self.path.resolve().as_uri()}?mode=rw"
                self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except (sqlite3.Error, OSError):
            return -1

    def _signature(self) -> tuple[tuple[int, int], ...]:
        # the counter first: opening its connection may create the log, which the `stat` then sees as it is
        out = [(self._data_version(), 0)]
        for suffix in ("", "-wal"):
            try:
                st = Path(f"{self.path}{suffix}").stat()
            except FileNotFoundError:
                out.append((0, 0))
            except OSError as exc:
                raise StorageError(f"cannot watch {self.path}: {exc.strerror}") from None
            else:
                out.append((st.st_mtime_ns, st.st_size))
        return tuple(out)

    def wait(self, timeout: float) -> bool:
        """True once the files or the commit counter differ from the last look; looks every `interval` seconds
        until `timeout`."""
        waited = 0.0
        while waited < timeout and not self._closed.is_set():
            step = min(self.interval, timeout - waited)
            if self._closed.wait(step):
                return False
            waited += step
            now = self._signature()
            if now != self._seen:
                self._seen = now
                return True
        return False

    def close(self) -> None:
        """Stop watching and close the counter's connection."""
        self._closed.set()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
