"""A database's content as plain data, to show that a refused command changed nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every beian table (and the change counter), ordered by primary key."""
    from sqlalchemy import create_engine, select
    from sqlmodel import SQLModel

    import tracker.store.tables  # noqa: F401  (registers the tables)

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            content: dict[str, list[tuple[Any, ...]]] = {}
            for table in SQLModel.metadata.sorted_tables:
                order = list(table.primary_key.columns)
                content[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            return content
    finally:
        engine.dispose()
