"""A database's whole content, to show that a refused command changed nothing."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, select
from sqlalchemy.pool import StaticPool


@cache
def _engine(url: str) -> Engine:
    """One engine per URL for the test process; between dumps its connection sits idle, holding no lock."""
    return (
        create_engine(url, poolclass=StaticPool)
        if url.startswith("sqlite")
        else create_engine(url, pool_size=1)
    )


@cache
def _tables(url: str) -> tuple[Table, ...]:
    """The database's tables, reflected once per URL (the schema does not change within a test run)."""
    meta = MetaData()
    meta.reflect(bind=_engine(url))
    return tuple(table for _, table in sorted(meta.tables.items()))


def dump_database(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the schema's own bookkeeping included), sorted, as plain tuples."""
    with _engine(url).connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in _tables(url)
        }
