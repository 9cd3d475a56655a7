"""The composition root: settings → engine → service. The CLI, the dashboard and tests all build here."""

from __future__ import annotations

from pathlib import Path

from tracker import locations
from tracker.config import Settings, load_settings
from tracker.errors import StorageError
from tracker.filings.service import FilingService
from tracker.store.db import (
    SCHEMA_HEAD,
    Store,
    Upgrade,
    make_engine,
    make_private_dir,
    normalise_url,
    sqlite_path,
)
from tracker.timeutil import Clock, now_utc


def resolve_url(db: str | None, settings: Settings) -> tuple[str, bool]:
    """The database URL to use, and whether it is the embedded default (which is created on demand)."""
    if db:
        return (db if "://" in db else f"sqlite:///{Path(db).expanduser()}"), False
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
    raises `StorageError` when it fails, the database left at its old revision.
    """
    current = store.schema_revision()
    if current == SCHEMA_HEAD:
        return Upgrade(current, current)
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
        make_private_dir(locations.user_data_dir())
    timeout = lock_timeout if lock_timeout is not None else settings.lock_timeout
    store = open_store(url, create=create or embedded, lock_timeout=timeout)
    return FilingService(store, settings, clock=clock)


def open_demo_service(*, settings: Settings | None = None, path: Path | None = None) -> FilingService:
    """The demo database (kept apart from real data), seeded on first use."""
    settings = settings or load_settings()
    target = path or locations.demo_db_path()
    make_private_dir(target.parent)
    service = FilingService(open_store(f"sqlite:///{target}", create=True), settings)
    from tracker.filings.demo import seed_demo

    seed_demo(service)
    return service


def describe_target(db: str | None, settings: Settings) -> str:
    """The database in use, safe to show."""
    from tracker.store.db import describe

    url, _ = resolve_url(db, settings)
    normal = normalise_url(url)
    path = sqlite_path(normal)
    return str(path) if path is not None else describe(normal)


__all__ = [
    "StorageError",
    "describe_target",
    "ensure_schema",
    "open_demo_service",
    "open_service",
    "open_store",
]
