"""Create or upgrade the schema with Alembic. Imported only by `beian init` and first use, never by `advance`.

An upgrade is all or nothing: every migration runs inside one outer transaction (SQLite and PostgreSQL both
roll back DDL), so a failure leaves the database exactly at its old revision. pysqlite would commit before
each DDL statement on its own, so on SQLite the upgrade's connection turns that off and emits
`BEGIN IMMEDIATE` itself (SQLAlchemy's recipe for transactional DDL on pysqlite); the write lock is taken at
once, so a busy file fails before anything runs. Before upgrading an existing SQLite database, a backup of
the file is written next to it (`beian.db.rev0002.bak`, owner-only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from tracker.errors import StorageError, TrackerError
from tracker.store.db import Store, Upgrade, describe, make_engine, sqlite_path, translate

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


__all__ = ["Upgrade", "backup_path", "head_revision", "known_revisions", "upgrade"]


def _config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def backup_path(db: Path, revision: str) -> Path:
    """Where the backup taken before upgrading `db` from `revision` goes: next to it, named with the revision."""
    return db.with_name(f"{db.name}.rev{revision}.bak")


def _transactional_ddl(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, begin SQLite transactions, so DDL is rolled back with everything else."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(store: Store, revision: str = "head", *, lock_timeout: float = 5.0) -> Upgrade:
    """Bring the schema to `revision` in one transaction; idempotent.

    On an SQLite file with a schema older than the target, first writes a backup next to it
    (`backup_path`). Raises `StorageError` (exit 5) when the upgrade fails: the message names the revisions,
    the object or condition that blocked it (a view, a lock, a full disk…) and says the database was left
    at its old revision.
    """
    from alembic import command

    before = store.schema_revision()
    target = head_revision() if revision == "head" else revision
    if before == target:
        return Upgrade(before, before)
    path = sqlite_path(store.url)
    backup = None
    engine = store.engine
    if path is not None:
        if before is not None:
            from tracker.store.backup import copy_sqlite

            backup = backup_path(path, before)
            copy_sqlite(path, backup, timeout=lock_timeout)
        engine = make_engine(store.url.render_as_string(hide_password=False), lock_timeout=lock_timeout)
        _transactional_ddl(engine)
    config = _config()
    sqlite = store.backend == "sqlite"
    try:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection if sqlite else None
            if raw is not None:
                # SQLite rebuilds a table to change a column (batch mode); with foreign keys on, dropping a table
                # that others reference fails. The documented procedure: keys off outside the transaction, alter,
                # check every reference still resolves, commit, keys on (sqlite.org/lang_altertable.html §7).
                # The upgrade's connection is in autocommit mode (see `_transactional_ddl`), so this runs as is.
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StorageError(
                                f"the upgrade would break {len(broken)} references (first in table {broken[0][0]})"
                            )
            finally:
                if raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")
    except Exception as exc:  # any driver or migration error becomes one line
        raise _failed(exc, store, before, target, backup) from None
    finally:
        if engine is not store.engine:
            engine.dispose()
    return Upgrade(before, store.schema_revision(), backup)


def _failed(
    exc: BaseException, store: Store, before: str | None, target: str, backup: Path | None
) -> TrackerError:
    """One line: what failed, why (the database's own words, naming the blocking object), and the state left."""
    error = translate(exc, store.url)
    if not isinstance(error, StorageError):
        return error
    orig = getattr(exc, "orig", None)
    reason = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else error.message
    detail = getattr(getattr(orig, "diag", None), "message_detail", None)
    if detail:
        reason = f"{reason} ({detail.strip().splitlines()[0]})"
    if "locked" in reason or "busy" in reason:
        reason = f"{reason}: another process is using the database"
    try:
        now = store.schema_revision()
    except TrackerError:
        now = before
    left = f"left unchanged at revision {now}" if now == before else f"now at revision {now}"
    hint = "remove or change what blocks the upgrade, then run `beian init` again"
    if backup is not None:
        hint += f"; a backup from before the upgrade is at {backup}"
    start = before or "an empty database"
    where = sqlite_path(store.url) or describe(store.url)
    return StorageError(
        f"upgrade of {where} from {start} to {target} failed: {reason}; the database is {left}",
        hint=hint,
    )


def known_revisions() -> tuple[str, ...]:
    """Every revision in the migrations folder, oldest first."""
    from alembic.script import ScriptDirectory

    return tuple(
        reversed([script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()])
    )


def head_revision() -> str:
    """The newest revision in the migrations folder."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head
