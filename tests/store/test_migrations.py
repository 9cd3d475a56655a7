"""Schema migrations: an old database is upgraded in place by `beian init`, keeping every row; the code and migrations agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from states import Stage
from tests.helpers.cli import run_beian as _beian
from tests.helpers.olddb import WHEN, at_revision, fill_0001, pg_schema_url
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.store import schema
from tracker.store.db import SCHEMA_HEAD, Store, make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) when PostgreSQL is unreachable
    with pg_schema_url("beian_mig") as url:
        yield url


_at_revision = at_revision
_fill_0001 = fill_0001


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
    report = __import__("json").loads(out)
    assert {k: v for k, v in report.items() if k not in ("database", "backup")} == {
        "from_revision": "0001",
        "revision": SCHEMA_HEAD,
    }
    # an SQLite file is backed up before the upgrade, next to it and named with the old revision
    assert (report["backup"] or "").endswith(".rev0001.bak") == empty_url.startswith("sqlite")

    store = open_store(empty_url)  # refuses anything but head
    try:
        with store.engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("organisation", "filing", "transition", "outbox")
            }
            outbox = conn.execute(text("SELECT phone, body, status, recipient_id FROM outbox")).one()
            # `beian init` computed every filing's stored next due date (migration 0007 added the columns)
            uncomputed = conn.execute(
                text("SELECT count(*) FROM filing WHERE next_due_stamp IS NULL")
            ).scalar()
        assert counts == {"organisation": 1, "filing": 1, "transition": 1, "outbox": 1}
        assert tuple(outbox) == ("+8613800138000", "已提交", "sent", None)
        assert uncomputed == 0

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


@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")  # SQLite cannot reflect them
@pytest.mark.filterwarnings("ignore:.*expression-based index")
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


def test_init_gives_rows_imported_without_a_sort_key_their_pinyin_key(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _at_revision(empty_url, "0007_next_due")
    _fill_0001(store)
    with store.engine.begin() as conn:  # as an import before 0008 left them: no keys at all
        conn.execute(
            text(
                "INSERT INTO organisation (id, name, created_at) VALUES (2, '上海云帆数据服务有限公司', :t)"
            ).bindparams(t=WHEN)
        )
        conn.execute(text("UPDATE organisation SET name_key = NULL"))
        conn.execute(text("UPDATE filing SET title_key = NULL"))
    store.dispose()

    code, out, err = _beian(capsys, "--db", empty_url, "init")
    assert code == 0, err

    store = open_store(empty_url)
    try:
        with store.engine.connect() as conn:
            keys: dict[str, str] = dict(conn.execute(text("SELECT name, name_key FROM organisation")).all())
            missing = conn.execute(text("SELECT count(*) FROM filing WHERE title_key IS NULL")).scalar()
    finally:
        store.dispose()
    assert missing == 0 and None not in keys.values()
    # 北京 (běijīng) before 上海 (shànghǎi), which code-point order would reverse
    assert keys["北京星河智算科技有限公司"] < keys["上海云帆数据服务有限公司"]
