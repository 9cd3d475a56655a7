"""Databases as older beians left them: a schema at an old revision, and rows a 0001-era beian wrote."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, bindparam, text

from tracker.store import schema
from tracker.store.db import Store, make_engine

PG_URL = os.environ.get("BEIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WHEN = datetime(2026, 10, 8, 1, 30, tzinfo=UTC)
"""When the old rows were written."""


def plain(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq (psycopg) spells it."""
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def pg_schema_url(prefix: str = "beian_old") -> Iterator[str]:
    """A URL on a new, empty PostgreSQL schema (dropped afterwards)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(plain(PG_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def at_revision(url: str, revision: str) -> Store:
    """A store on `url` (no schema yet) with the schema created up to `revision` only."""
    store = Store(make_engine(url, create_file=True))
    done = schema.upgrade(store, revision)
    assert (done.before, done.after, done.backup) == (None, revision, None)
    return store


def fill_0001(store: Store) -> None:
    """Rows as a 0001-era beian wrote them: an organisation, an entity filing under review, its history and an SMS."""
    stamp = bindparam("t", WHEN, type_=DateTime(timezone=True))
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisation (id, name, credit_code, region, created_at) VALUES (1, :name, :code, '110108', :t)"
            ).bindparams(stamp, name="北京星河智算科技有限公司", code="91110108MA01A2B3CF")
        )
        conn.execute(
            text(
                "INSERT INTO filing (id, ref, seq, kind, title, organisation_id, stage, returns, version, public_opinion,"
                " created_at, updated_at, stage_entered_at)"
                " VALUES (1, 'ENT-0001', 1, 'entity', '星河主体备案', 1, 'under_review', 0, 2, :yes, :t, :t, :t)"
            ).bindparams(stamp, yes=True)
        )
        conn.execute(
            text(
                "INSERT INTO transition (id, filing_id, event, from_stage, to_stage, effective_at, recorded_at, actor, source, note)"
                " VALUES (1, 1, 'submit', 'draft', 'under_review', :t, :t, 'pm', 'cli', '旧版本记录')"
            ).bindparams(stamp)
        )
        conn.execute(
            text(
                "INSERT INTO outbox (id, filing_id, transition_id, channel, phone, event, body, segments, status, attempts,"
                " created_at, updated_at) VALUES (1, 1, 1, 'sms', '+8613800138000', 'submit', '已提交', 1, 'sent', 1, :t, :t)"
            ).bindparams(stamp)
        )
        conn.execute(text("UPDATE meta SET value = 3 WHERE key = 'revision'"))
        if store.backend == "postgresql":
            # explicit ids leave the sequences behind; a real 0001 database has them in step
            for table in ("organisation", "filing", "transition", "outbox"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))
