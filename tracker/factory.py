"""The composition root: settings → engine → service. The CLI, the dashboard and tests all build here."""

from __future__ import annotations

import re
from pathlib import Path

from tracker import locations
from tracker.config import Settings, load_settings
from tracker.errors import StorageError, UsageError
from tracker.files import ensure_data_dir, make_private_dir
from tracker.filings.service import FilingService
from tracker.store.db import (
    SCHEMA_HEAD,
    Store,
    Upgrade,
    describe,
    make_engine,
    normalise_url,
    sqlite_path,
)
from tracker.timeutil import Clock, now_utc

_URL_LIKE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]+:"  # a scheme and a colon: `sqlite:beian.db`, `postgresql:/host/db`
    r"|(?:sqlite|postgres|postgresql|mysql|mariadb|oracle|mssql)(?:\+\w+)?/"  # a known scheme, `://` lost
    r"|[^/@]*:[^/@]*@)",  # credentials: `user:password@host/db`
    re.IGNORECASE,
)


def resolve_url(db: str | None, settings: Settings) -> tuple[str, bool]:
    """The database URL to use, and whether it is the embedded default (which is created on demand).

    `db` is a URL (with `://`) or an SQLite file path. Text that looks like a URL but lacks its `://`
    (`postgresql+psycopg//user:password@host/db`) is refused, never taken for a file name. Raises `UsageError`
    (exit 2), showing the text with any password masked.
    """
    if db:
        if "://" in db:
            return db, False
        if _URL_LIKE.match(db.strip()):
            raise UsageError(
                f"{describe(db)!r} looks like a database URL but has no '://'",
                hint="e.g. postgresql://user@host/db, sqlite:///path/beian.db, or a plain file path",
            )
        return f"sqlite:///{Path(db).expanduser()}", False
    if settings.database_url:
        return settings.database_url, False
    return f"sqlite:///{locations.default_db_path()}", True


def open_store(url: str, *, create: bool = False, lock_timeout: float = 5.0) -> Store:
    """An engine on `url`. With `create`, a missing SQLite file is made (owner-only) and the schema brought
    to head. Raises `StorageError`."""
    store = Store(make_engine(url, lock_timeout=lock_timeout, create_file=create))
    if create:
        ensure_schema(store, lock_timeout=lock_timeout)
    else:
        store.check_schema()
    return store


def ensure_schema(store: Store, *, lock_timeout: float = 5.0) -> Upgrade:
    """Create or upgrade the schema only when it is not at head (so Alembic is imported only then).

    The upgrade is atomic and backs an SQLite file up first (see `tracker.store.schema.upgrade`);
    raises `StorageError` when it fails, the database left at its old revision. Refuses (`StorageError`,
    nothing changed) a database written by a newer beian, and one that holds another application's tables
    but no beian schema; a file that is not a database is refused by the driver.
    """
    current = store.schema_revision()
    if current == SCHEMA_HEAD:
        return Upgrade(current, current)
    if current is not None:
        store.refuse_unknown_revision(current)
    else:
        tables = store.table_names()
        if tables:
            shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
            raise StorageError(
                f"{describe(store.url)} holds {len(tables)} tables of another application ({shown}) "
                "and no beian schema; nothing was added to it",
                hint="choose another database or an empty one",
            )
    from tracker.store.schema import upgrade

    return upgrade(store, lock_timeout=lock_timeout)


def open_service(
    db: str | None = None,
    *,
    settings: Settings | None = None,
    create: bool = False,
    clock: Clock = now_utc,
    lock_timeout: float | None = None,
) -> FilingService:
    """Build the service on the configured database; the embedded default is created on first use."""
    settings = settings or load_settings()
    url, embedded = resolve_url(db, settings)
    if embedded:
        ensure_data_dir()
    timeout = lock_timeout if lock_timeout is not None else settings.lock_timeout
    store = open_store(url, create=create or embedded, lock_timeout=timeout)
    return FilingService(store, settings, clock=clock)


def init_database(db: str | None, settings: Settings) -> tuple[str, Upgrade]:
    """`beian init`: create the database (an SQLite file owner-only) and its schema, or upgrade it in place.

    Returns the database as safe to show and what the upgrade did. Raises `UsageError` (a bad URL),
    `StorageError` (see `ensure_schema`; a refused database is left unchanged).
    """
    url, embedded = resolve_url(db, settings)
    if embedded:
        ensure_data_dir()
    store = Store(make_engine(url, lock_timeout=settings.lock_timeout, create_file=True))
    try:
        done = ensure_schema(store, lock_timeout=settings.lock_timeout)
        _compute_next_due(store, settings)
    finally:
        store.dispose()
    return describe_target(db, settings), done


def _compute_next_due(store: Store, settings: Settings) -> None:
    """Bring every filing's stored next due date up to date (`tracker.rules.next_due`); broken rules files
    leave them to the first reader, which reports the problem."""
    from contextlib import suppress

    from tracker.errors import RulesError
    from tracker.rules.service import RulesService

    with suppress(RulesError):
        RulesService(store, settings).refresh_next_due(everything=True)


def open_demo_service(*, settings: Settings | None = None, path: Path | None = None) -> FilingService:
    """The demo database (kept apart from real data), seeded on first use."""
    settings = settings or load_settings()
    if path is None:
        target = ensure_data_dir() / locations.demo_db_path().name
    else:
        target = path
        make_private_dir(target.parent)
    service = FilingService(open_store(f"sqlite:///{target}", create=True), settings)
    from tracker.filings.demo import seed_demo

    seed_demo(service)
    return service


def describe_target(db: str | None, settings: Settings) -> str:
    """The database in use, safe to show."""
    url, _ = resolve_url(db, settings)
    normal = normalise_url(url)
    path = sqlite_path(normal)
    return str(path) if path is not None else describe(normal)


__all__ = [
    "StorageError",
    "describe_target",
    "ensure_schema",
    "init_database",
    "open_demo_service",
    "open_service",
    "open_store",
]
