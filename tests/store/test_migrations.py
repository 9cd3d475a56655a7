"""Schema migrations: an old database is upgraded in place by `beian init`, keeping every row; the code and migrations agree."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import DateTime, bindparam, text

from states import Stage
from tests.helpers.cli import run_beian as _beian
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.store import schema
from tracker.store.db import SCHEMA_HEAD, Store, make_engine

PG_URL = os.environ.get("BEIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WHEN = datetime(2026, 10, 8, 1, 30, tzinfo=UTC)


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) when PostgreSQL is unreachable
    import psycopg

    name = f"beian_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(_plain(PG_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _at_revision(url: str, revision: str) -> Store:
    store = Store(make_engine(url, create_file=True))
    before, after = schema.upgrade(store, revision)
    assert (before, after) == (None, revision)
    return store


def _fill_0001(store: Store) -> None:
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
        if (
            store.backend == "postgresql"
        ):  # explicit ids leave the sequences behind; a real 0001 database has them in step
            for table in ("organisation", "filing", "transition", "outbox"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))


def test_schema_head_in_the_code_is_the_newest_migration() -> None:
    assert schema.head_revision() == SCHEMA_HEAD


def test_init_upgrades_a_0001_database_keeping_every_row(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _at_revision(empty_url, "0001")
    _fill_0001(store)
    store.dispose()

    code, out, err = _beian(capsys, "--db", empty_url, "list")
    assert code == 5 and len(err.splitlines()) == 1
    assert "0001" in err and "beian init" in err and "Traceback" not in err

    code, out, err = _beian(capsys, "--db", empty_url, "init", "--json")
    assert code == 0, err
    assert {k: v for k, v in __import__("json").loads(out).items() if k != "database"} == {
        "from_revision": "0001",
        "revision": SCHEMA_HEAD,
    }

    store = open_store(empty_url)  # refuses anything but head
    try:
        with store.engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("organisation", "filing", "transition", "outbox")
            }
            outbox = conn.execute(text("SELECT phone, body, status, recipient_id FROM outbox")).one()
        assert counts == {"organisation": 1, "filing": 1, "transition": 1, "outbox": 1}
        assert tuple(outbox) == ("+8613800138000", "已提交", "sent", None)

        service = FilingService(store, Settings())
        assert service.revision() == 3
        filing = service.filing("ENT-0001")
        assert (filing.stage, filing.version, filing.organisation) == (
            Stage.UNDER_REVIEW,
            2,
            "北京星河智算科技有限公司",
        )
        assert filing.created_at == WHEN
        [old] = service.history("ENT-0001")
        assert (old.event.value, old.actor, old.note, old.effective_at) == (
            "submit",
            "pm",
            "旧版本记录",
            WHEN,
        )

        moved = service.advance("ENT-0001", "approve", actor="pm")
        assert moved.filing.stage is Stage.APPROVED and moved.filing.version == 3
        assert len(service.history("ENT-0001")) == 2
        assert service.revision() == 4
        assert service.add_organisation("上海云帆数据服务有限公司", "91310110MA1G2H3J4D").id == 2
    finally:
        store.dispose()

    code, out, err = _beian(capsys, "--db", empty_url, "init")
    assert code == 0 and "up to date" in out


def test_migrated_schema_matches_the_tables(empty_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import tracker.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)

    store = _at_revision(empty_url, SCHEMA_HEAD)
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        store.dispose()
    assert differences == []


def test_a_command_on_an_old_database_asks_for_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _at_revision(url, "0002").dispose()
    for args in (
        ["list"],
        ["show", "ALG-0001"],
        ["advance", "ALG-0001", "submit"],
        ["org", "list", "--json"],
    ):
        code, out, err = _beian(capsys, "--db", url, *args)
        assert code == 5, (args, err)
        assert out == "" and len(err.splitlines()) == 1
        assert "0002" in err and SCHEMA_HEAD in err and "beian init" in err
    store = Store(make_engine(url))
    try:
        assert store.schema_revision() == "0002"  # nothing but init upgrades
    finally:
        store.dispose()
