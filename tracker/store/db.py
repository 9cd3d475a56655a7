"""Engines and units of work, on SQLite and PostgreSQL through the same code.

SQLite gets WAL, foreign keys and a busy timeout on every connection. Database errors become one-line
`StorageError`/`Conflict` messages here, so no caller ever shows a driver traceback."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

if TYPE_CHECKING:
    from tracker.store.changes import ChangeFeed

__all__ = [
    "SCHEMA_HEAD",
    "Session",
    "Store",
    "Unit",
    "Upgrade",
    "Work",
    "describe",
    "known_revisions",
    "create_private_file",
    "file_identity",
    "make_private_dir",
    "make_engine",
    "normalise_url",
    "sqlite_path",
    "translate",
]

from tracker.errors import Conflict, StorageError, TrackerError
from tracker.files import create_private_file, make_private_dir
from tracker.store.schema_revisions import known_revisions, ours_or_empty
from tracker.store.urls import describe, normalise_url


class Unit(Protocol):
    """Anything that runs Core statements in a transaction: an ORM `Session` or a `Work`."""

    def connection(self) -> Connection: ...


SCHEMA_HEAD = "0008_fill_sort_keys"
"""The Alembic revision this code expects; `tests/test_migrations.py` checks it is the migrations' head."""


def sqlite_path(url: URL) -> Path | None:
    """The file behind an SQLite URL, or None for memory or other backends."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


FileId = tuple[int, int]
"""(st_dev, st_ino): which file a path names; a moved, replaced or deleted database changes it."""


def file_identity(path: Path) -> FileId | None:
    """The identity of the file at `path` now, or None when nothing is there."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


@dataclass(frozen=True)
class Upgrade:
    """What a schema upgrade did: the revision before and after (None: no schema), and the backup taken first."""

    before: str | None
    after: str | None
    backup: Path | None = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    from tracker.store.fold import register

    register(dbapi_connection)  # the search key SQLite's ASCII-only lower() cannot compute
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode not in ("wal", "memory") and ours_or_empty(cursor):
            cursor.execute("PRAGMA journal_mode=WAL")
        # FULL keeps every committed transition across a power cut, which a compliance record needs.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def statement_timeout(lock_timeout: float) -> float:
    """Seconds any one PostgreSQL statement may run: 60, or 12 lock waits if that is longer."""
    return max(60.0, 12 * lock_timeout)


def make_engine(raw_url: str, *, lock_timeout: float = 5.0, create_file: bool = False) -> Engine:
    """Create an engine; for SQLite, refuse a missing folder (or a missing file unless `create_file`).

    Waits are bounded on both databases by `lock_timeout` seconds: SQLite's busy timeout, and PostgreSQL's
    `lock_timeout` (a row or table locked by another session) and `statement_timeout` (see `statement_timeout`)
    set on every connection, plus its connect timeout. A new SQLite file is created owner-only (0600); SQLite
    gives its `-wal` and `-shm` files the same permissions. Raises `UsageError` (see `normalise_url`),
    `StorageError` (missing folder or file, a folder given as the file, a file that cannot be created).
    """
    url = normalise_url(raw_url)
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            if not path.parent.is_dir():
                raise StorageError(
                    f"folder {path.parent} does not exist", hint="create it, or choose another --db"
                )
            if path.is_dir():
                raise StorageError(f"{path} is a folder, not a database file")
            if not path.exists():
                if not create_file:
                    raise StorageError(f"no database at {path}", hint="run `beian init` to create it")
                from tracker.files import create_private_file

                create_private_file(path)
            # Connections stay open in a pool: closing the last one checkpoints the WAL, which costs as much
            # as the commit itself, on every unit of work.
        else:
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"timeout": lock_timeout, "check_same_thread": False}
    elif backend == "postgresql":
        waits = f"-c lock_timeout={int(lock_timeout * 1000)} -c statement_timeout={int(statement_timeout(lock_timeout) * 1000)}"
        given = url.query.get("options")
        given_text = " ".join(given) if isinstance(given, tuple) else (given or "")
        kwargs["connect_args"] = {
            "connect_timeout": max(1, int(lock_timeout)),
            "options": f"{given_text} {waits}".strip(),
        }
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


_PG_LOCK_NOT_AVAILABLE = "55P03"
_PG_QUERY_CANCELED = "57014"


def translate(exc: BaseException, url: URL | None = None) -> TrackerError:
    """Turn a driver or SQLAlchemy error into a one-line product error."""
    if isinstance(exc, TrackerError):
        return exc
    where = describe(url) if url is not None else "the database"
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "")
        message = str(orig)
        if name == "SQLITE_BUSY_SNAPSHOT":
            return Conflict("the filing was changed by someone else meanwhile", hint="look again and retry")
        if "locked" in message or name.startswith("SQLITE_BUSY"):
            return StorageError(
                f"database {where} is locked by another process", hint="try again in a moment"
            )
        if "not a database" in message or name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            return StorageError(f"{where} is not a beian database (file is not a database or is corrupt)")
        if "unable to open" in message:
            return StorageError(f"cannot open {where}", hint="check the path and its permissions")
        if "no such table" in message:
            return StorageError(f"{where} has no beian schema", hint="run `beian init`")
        if "readonly" in message:
            return StorageError(f"{where} is read-only")
        return StorageError(f"database error on {where}: {message}")
    if isinstance(exc, OperationalError | DBAPIError) and orig is not None:
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        sqlstate = getattr(orig, "sqlstate", None)
        if sqlstate == _PG_LOCK_NOT_AVAILABLE:
            return StorageError(
                f"database {where} is locked by another session (waited BEIAN_LOCK_TIMEOUT seconds)",
                hint="try again in a moment",
            )
        if sqlstate == _PG_QUERY_CANCELED:
            return StorageError(
                f"a statement on {where} was cancelled: {first}", hint="try again in a moment"
            )
        if "does not exist" in first and "relation" in first:
            return StorageError(f"{where} has no beian schema", hint="run `beian init`")
        if isinstance(exc, OperationalError):
            return StorageError(f"cannot use {where}: {first}")
        return StorageError(f"database error on {where}: {first}")
    if isinstance(exc, SQLAlchemyError):
        return StorageError(f"database error on {where}: {type(exc).__name__}")
    return StorageError(f"database error on {where}: {exc}")


def database_error(exc: BaseException) -> TrackerError | None:
    """The one-line error for a database error that escaped, or an unreadable stored value; else None."""
    from tracker.store.unreadable import unreadable_value

    return translate(exc) if isinstance(exc, SQLAlchemyError) else unreadable_value(exc)


class Work:
    """One transaction on one connection, for the write path; an ORM session joins it only when asked for.

    Core statements run on `connection()` directly, which saves the ORM's bookkeeping on every update; code
    that works on rows (rules, outbox) gets `session`, bound to the same connection and transaction.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._session: Session | None = None

    def connection(self) -> Connection:
        """The connection, inside the transaction."""
        return self._connection

    @property
    def session(self) -> Session:
        """An ORM session in the same transaction (flushed before the commit)."""
        if self._session is None:
            self._session = Session(bind=self._connection, expire_on_commit=False, autoflush=False)
        return self._session

    def finish(self) -> None:
        """Write what the session holds; the caller commits the connection."""
        if self._session is not None:
            self._session.flush()
            self._session.close()


@dataclass
class Store:
    """An engine plus units of work. One `unit()` per transaction; nothing holds a session longer.

    On an SQLite file the store remembers which file it opened (device and inode). Every unit of work first
    checks that the configured path still names that file: once the file has been moved, replaced (a restore,
    another copy put in its place) or deleted, reads and writes raise `StorageError` instead of silently
    going on in a file nobody will find at that path.
    """

    engine: Engine
    _path: Path | None = field(init=False, default=None, repr=False)
    _identity: FileId | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self._path = sqlite_path(self.engine.url)
        if self._path is not None:
            self._identity = file_identity(self._path)

    def check_file(self) -> None:
        """Refuse to go on when the SQLite file at the configured path is no longer the one this store opened.

        Raises `StorageError` (exit 5) naming the path and what happened (moved or deleted, or replaced).
        A no-op on PostgreSQL and in-memory databases; costs one `stat`.
        """
        if self._path is None:
            return
        now = file_identity(self._path)
        if self._identity is None:  # created after the engine (by `beian init`): adopt it
            self._identity = now
            return
        if now == self._identity:
            return
        what = "moved or deleted" if now is None else "replaced by another file"
        raise StorageError(
            f"the database file {self._path} was {what} while it was open; nothing was written",
            hint="close and reopen beian to use the file now at that path",
        )

    @property
    def url(self) -> URL:
        """The database URL (render with `describe`)."""
        return self.engine.url

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.url.get_backend_name()

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        Raises `StorageError` when the database file was moved or replaced (see `check_file`), or for any
        driver error; `IntegrityError` passes through for the caller to explain.
        """
        self.check_file()
        try:
            with Session(self.engine, expire_on_commit=False, autoflush=False) as session, session.begin():
                yield session
        except IntegrityError:
            raise  # the service turns constraint violations into refusals with context
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise translate(exc, self.engine.url) from None

    @contextmanager
    def work(self) -> Iterator[Work]:
        """A connection-level transaction (see `Work`): committed on success, rolled back on any error.

        Raises like `unit`.
        """
        self.check_file()
        try:
            with self.engine.begin() as connection:
                work = Work(connection)
                yield work
                work.finish()
        except IntegrityError:
            raise
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise translate(exc, self.engine.url) from None

    def database_role(self) -> str | None:
        """The PostgreSQL role this store connects as (the URL's user, else `current_user`); None on SQLite.

        Raises `StorageError` when the server cannot be asked.
        """
        if self.backend != "postgresql":
            return None
        if self.url.username:
            return self.url.username
        try:
            with self.engine.connect() as conn:
                return str(conn.execute(text("SELECT current_user")).scalar())
        except (OperationalError, DBAPIError) as exc:
            raise translate(exc, self.engine.url) from None

    def schema_revision(self) -> str | None:
        """The Alembic revision stamped in the database, or None when it has no schema."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, DBAPIError) as exc:
            message = str(getattr(exc, "orig", exc))
            if "no such table" in message or ("alembic_version" in message and "does not exist" in message):
                return None
            raise translate(exc, self.engine.url) from None

    def table_names(self) -> list[str]:
        """The tables in the database (PostgreSQL: in the schema on the search path). Raises `StorageError`."""
        from sqlalchemy import inspect

        try:
            with self.engine.connect() as conn:
                return sorted(inspect(conn).get_table_names())
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise translate(exc, self.engine.url) from None

    def check_schema(self) -> None:
        """Refuse to work on a database without our schema, or at another revision.

        Raises `StorageError`: no schema (run `beian init`), an older revision (`beian init` upgrades it), a
        revision this code does not know (written by a newer beian: upgrade beian).
        """
        revision = self.schema_revision()
        if revision is None:
            raise StorageError(f"{describe(self.url)} has no beian schema", hint="run `beian init`")
        self.refuse_unknown_revision(revision)
        if revision != SCHEMA_HEAD:
            raise StorageError(
                f"{describe(self.url)} is at schema revision {revision}, this beian needs {SCHEMA_HEAD}",
                hint="run `beian init` to upgrade it in place",
            )

    def refuse_unknown_revision(self, revision: str) -> None:
        """Raise `StorageError` when `revision` is not one of `known_revisions()` (a newer beian wrote it)."""
        if revision not in known_revisions():
            raise StorageError(
                f"{describe(self.url)} was written by a newer beian (revision {revision}); "
                f"this beian knows revisions up to {SCHEMA_HEAD}",
                hint="upgrade beian",
            )

    def change_feed(self, interval: float) -> ChangeFeed:
        """What tells a dashboard that the database changed: a PostgreSQL `LISTEN` connection, or a watcher
        of the SQLite file that looks every `interval` seconds. Raises `StorageError` (no listening connection,
        or an in-memory database that nothing else can change)."""
        from tracker.store.changes import FileWatcher, PgListener

        if self.backend == "postgresql":
            return PgListener(self.engine)
        path = sqlite_path(self.url)
        if path is None:
            raise StorageError("an in-memory database has no other writers to watch")
        return FileWatcher(path, interval)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
