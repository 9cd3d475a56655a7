"""Create or upgrade the schema with Alembic. Imported only by `beian init` and first use, never by `advance`."""

from __future__ import annotations

from pathlib import Path

from tracker.store.db import Store, translate

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(store: Store, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (before, after). Idempotent."""
    from alembic import command

    before = store.schema_revision()
    config = _config()
    sqlite = store.backend == "sqlite"
    try:
        with store.engine.connect() as connection:
            if sqlite:
                # SQLite rebuilds a table to change a column (batch mode); with foreign keys on, dropping a table
                # that others reference fails. The documented procedure: keys off outside the transaction, alter,
                # check every reference still resolves, commit, keys on (sqlite.org/lang_altertable.html §7).
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(
                                f"the upgrade would break {len(broken)} references; nothing changed"
                            )
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    except Exception as exc:  # any driver or migration error becomes one line
        raise translate(exc, store.url) from None
    return before, store.schema_revision()


def head_revision() -> str:
    """The newest revision in the migrations folder."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head
