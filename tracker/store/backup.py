"""Backups and restores of the database: SQLite through its online backup API, PostgreSQL through `pg_dump`.

A plain copy of an SQLite file in WAL mode misses every change still in its `-wal` file; the online backup
API reads through SQLite itself, WAL included, in one read transaction, so the snapshot is consistent even
while other processes write. Every file written here is owner-only (0600) and appears under its final name
only once complete (written next to it, then renamed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL

from tracker.errors import StorageError, UsageError
from tracker.store.db import SCHEMA_HEAD, create_private_file, describe


@dataclass(frozen=True)
class Snapshot:
    """What a backup file holds: its schema revision and how many organisations and filings."""

    path: Path
    revision: str
    organisations: int
    filings: int


@contextlib.contextmanager
def _sqlite(path: Path, *, timeout: float = 5.0, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, closed afterwards; errors become `StorageError`."""
    target = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    try:
        conn = sqlite3.connect(target, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path}: {exc}") from None
    try:
        yield conn
    except sqlite3.Error as exc:
        raise _sqlite_error(path, exc) from None
    finally:
        conn.close()


def _sqlite_error(path: Path, exc: sqlite3.Error) -> StorageError:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return StorageError(f"database {path} is locked by another process", hint="try again in a moment")
    if "not a database" in message or "malformed" in message:
        return StorageError(f"{path} is not a beian database (file is not a database or is corrupt)")
    return StorageError(f"database error on {path}: {message}")


def _temporary_next_to(dest: Path) -> Path:
    """An owner-only empty file in `dest`'s folder, to be renamed onto `dest` once complete."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    create_private_file(tmp)
    return tmp


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_sqlite(source: Path, dest: Path, *, timeout: float = 5.0) -> None:
    """Write a consistent snapshot of the SQLite database `source` to `dest` (replaced atomically, 0600).

    Uses the online backup API in one step: one read transaction, so writers in other processes carry on
    and the copy holds exactly the transactions committed when it started, including those still in the WAL.
    The copy is a self-contained file (rollback journal mode, no `-wal` needed) that passes
    `PRAGMA integrity_check`. Raises `StorageError` when the source cannot be read or the copy cannot be
    written or checked; `dest` is then untouched.
    """
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    tmp = _temporary_next_to(dest)
    try:
        with _sqlite(source, timeout=timeout) as src, _sqlite(tmp, timeout=timeout) as out:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(out, dest)
        _fsync(tmp)
        os.replace(tmp, dest)
    except OSError as exc:
        raise StorageError(f"cannot write {dest}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        raise StorageError(f"{path} fails SQLite's integrity check: {rows[0]}")


def inspect_snapshot(path: Path) -> Snapshot:
    """Check a backup file before it is restored: SQLite's integrity check passes, it holds a beian schema,
    and its revision is one this beian knows (not newer). Opens the file read-only.

    Raises `StorageError` (exit 5) saying which check failed.
    """
    if not path.is_file():
        raise StorageError(f"no backup file at {path}")
    with _sqlite(path, readonly=True) as conn:
        _check_integrity(conn, path)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "filing", "organisation", "meta"} <= tables:
            raise StorageError(f"{path} is not a beian database (no beian schema in it)")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        from tracker.store.schema import known_revisions

        if revision is None or revision[0] not in known_revisions():
            found = revision[0] if revision else "none"
            raise StorageError(
                f"{path} is at schema revision {found}, which this beian does not know (it knows up to {SCHEMA_HEAD})",
                hint="restore it with a newer beian",
            )
        organisations = conn.execute("SELECT count(*) FROM organisation").fetchone()[0]
        filings = conn.execute("SELECT count(*) FROM filing").fetchone()[0]
    return Snapshot(path, revision[0], organisations, filings)


def _holds_data(path: Path, timeout: float) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with _sqlite(path, timeout=timeout) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return False
        if not {"filing", "organisation"} <= tables:
            return True  # somebody else's database: never overwrite it without --force
        return any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in ("filing", "organisation"))


def restore_sqlite(snapshot: Path, target: Path, *, force: bool = False, timeout: float = 5.0) -> Snapshot:
    """Replace the contents of the SQLite database `target` with the backup `snapshot`.

    Checks the snapshot first (`inspect_snapshot`), and refuses (`UsageError`, exit 2) to overwrite a
    database that holds organisations or filings unless `force`. The copy goes through the backup API into
    the target file itself, under SQLite's locks, so processes that have it open see the restored data (the
    change counter moves past both old values, so open dashboards reload) and never a torn file.
    A missing target is created owner-only. Raises `StorageError` for an unusable snapshot or a locked or
    unwritable target. Returns what was restored.
    """
    found = inspect_snapshot(snapshot)
    if not target.parent.is_dir():
        raise StorageError(f"folder {target.parent} does not exist")
    if not force and _holds_data(target, timeout):
        raise UsageError(
            f"{target} already holds data; restoring would replace it",
            hint="back it up first with `beian backup`, then restore with --force",
        )
    create_private_file(target)
    with _sqlite(snapshot, readonly=True) as src, _sqlite(target, timeout=timeout) as out:
        before = _revision_counter(out)
        src.backup(out)
        out.execute("PRAGMA journal_mode=WAL")
        out.execute("UPDATE meta SET value = max(value, ?) + 1 WHERE key = 'revision'", (before,))
    return found


def _revision_counter(conn: sqlite3.Connection) -> int:
    with contextlib.suppress(sqlite3.Error):
        row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        if row is not None:
            return int(row[0])
    return 0


# -- PostgreSQL ---------------------------------------------------------------------------------------


def _search_path(url: URL) -> str | None:
    options = url.query.get("options")
    text = unquote(options if isinstance(options, str) else " ".join(options or ()))
    for part in text.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0].strip('"') or None
    return None


def pg_dump_command(url: URL, dest: Path) -> list[str]:
    """The `pg_dump` command line that writes `url`'s database (only its schema, when the URL selects one
    with `options=-csearch_path=…`) to `dest` in pg_dump's custom format. Never contains the password."""
    argv = ["pg_dump", "--format=custom", "--no-owner", f"--file={dest}"]
    if url.host:
        argv += ["--host", url.host]
    if url.port:
        argv += ["--port", str(url.port)]
    if url.username:
        argv += ["--username", url.username]
    schema = _search_path(url)
    if schema:
        argv += ["--schema", schema]
    argv += ["--dbname", url.database or "postgres"]
    return argv


def dump_postgresql(url: URL, dest: Path, *, timeout: float = 3600.0) -> None:
    """Back up a PostgreSQL database with `pg_dump` into `dest` (0600, replaced atomically).

    The password travels in the child's `PGPASSWORD` environment variable, never on its command line.
    Raises `StorageError` when `pg_dump` is not installed (the message gives the exact command to run, with
    the password left out) or when it fails (its first error line).
    """
    argv = pg_dump_command(url, dest)
    program = shutil.which("pg_dump")
    if program is None:
        shown = " ".join(_quote(a) for a in argv)
        raise StorageError(
            "pg_dump is not installed here, so beian cannot back up " + describe(url),
            hint=f"install the PostgreSQL client tools, or run: {shown} (it asks for the password)",
        )
    tmp = _temporary_next_to(dest)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    argv = [program, *(f"--file={tmp}" if a.startswith("--file=") else a for a in argv[1:])]
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
            raise StorageError(f"pg_dump failed: {first}")
        _fsync(tmp)
        os.replace(tmp, dest)
    except subprocess.TimeoutExpired:
        raise StorageError(f"pg_dump did not finish within {timeout:.0f} s") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
