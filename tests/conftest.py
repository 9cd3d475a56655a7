"""Shared fixtures: a throwaway database on SQLite and on PostgreSQL, a controllable clock, isolated settings,
the CLI runners, the SMS world and gateways (used by `notify/` and `cli/`). Helpers live in `tests.helpers`."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers.cli import Beian, bound_to
from tests.helpers.clock import FakeClock
from tests.helpers.figures import Figures, collect, long_mode, scale, seed
from tests.helpers.sms import FakeSender, World, make_world
from tests.helpers.twilio import TwilioMock, running_twilio_mock

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BEIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

os.environ["TZ"] = "Asia/Shanghai"
time.tzset()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user settings, no user data folder, no database URL leak from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BEIAN_CONFIG_FILE", str(home / "config.toml"))
    monkeypatch.setenv("BEIAN_DATA_DIR", str(home / "data"))
    for name in list(os.environ):
        if (
            name.startswith("BEIAN_")
            and not name.startswith("BEIAN_RELIABILITY_")  # the suite's own scale, seed and long mode
            and name
            not in (
                "BEIAN_CONFIG_FILE",
                "BEIAN_DATA_DIR",
                "BEIAN_TEST_PG_URL",
                "BEIAN_MOCK_TWILIO_CACHE",
            )
        ):
            monkeypatch.delenv(name)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables are cut to COLUMNS when it is set
    return home


@pytest.fixture
def clock() -> FakeClock:
    """A fixed, movable clock."""
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once; each test gets a copy."""
    from tracker.factory import open_store

    path = tmp_path_factory.mktemp("template") / "beian.db"
    store = open_store(f"sqlite:///{path}", create=True)
    store.dispose()
    return path


def _pg_available() -> str | None:
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(plain, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for this test process, migrated to head, dropped afterwards."""
    problem = _pg_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL leg required in CI but {PG_URL} is unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
    import psycopg

    schema = f"beian_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    from tracker.factory import open_store

    open_store(url, create=True).dispose()
    try:
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE digest, digest_schedule, seen, filing_edit, outbox, recipient, material, transition,"
                " filing, organisation RESTART IDENTITY CASCADE"
            )
        )
        conn.execute(text("UPDATE meta SET value = 0 WHERE key = 'revision'"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated database: a copied SQLite file, or the PostgreSQL test schema truncated."""
    if request.param == "sqlite":
        target = tmp_path / "beian.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_url")
    _reset_pg(url)
    return url


@pytest.fixture
def fresh_db(db_url: str, tmp_path: Path, sqlite_template: Path) -> Callable[[], str]:
    """Another empty database of `db_url`'s backend, on demand (on PostgreSQL the test schema, emptied again)."""

    def make() -> str:
        if db_url.startswith("sqlite"):
            target = tmp_path / f"fresh-{uuid.uuid4().hex[:8]}.db"
            shutil.copy(sqlite_template, target)
            return f"sqlite:///{target}"
        _reset_pg(db_url)
        return db_url

    return make


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated SQLite file only."""
    target = tmp_path / "beian.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def service(db_url: str, clock: FakeClock) -> Iterator[FilingService]:
    """The real service on the test database, with the fake clock."""
    from tracker.config import Settings
    from tracker.factory import open_store
    from tracker.filings.service import FilingService

    store = open_store(db_url)
    yield FilingService(store, Settings(), clock=clock)
    store.dispose()


@pytest.fixture
def beian(db_url: str, capsys: pytest.CaptureFixture[str]) -> Beian:
    """`beian --db URL ARGS` in this process, on SQLite and PostgreSQL."""
    return bound_to(capsys, db_url)


@pytest.fixture
def beian_sqlite(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> Beian:
    """`beian --db URL ARGS` in this process, on SQLite only."""
    return bound_to(capsys, sqlite_url)


# -- SMS: a database with a filing in final review, an in-process gateway, the local Twilio mock ---------


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    """A fresh SQLite database with one organisation and its filing ALG-0001 in final review."""
    w = make_world(sqlite_url)
    yield w
    w.store.dispose()


@pytest.fixture
def fake() -> FakeSender:
    """A gateway that accepts everything unless told otherwise."""
    return FakeSender()


@pytest.fixture(scope="session")
def twilio_mock(request: pytest.FixtureRequest) -> Iterator[TwilioMock]:
    """`../shared/twilio-oai/mock-twilio` on a free loopback port for the session (per xdist worker).

    Prism's npm install is cached under the pytest cache (or `BEIAN_MOCK_TWILIO_CACHE`) for later runs.
    """
    cache = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    default = (
        Path(cache.mkdir("mock-twilio")) if cache is not None else ROOT / ".pytest_cache" / "mock-twilio"
    )
    with running_twilio_mock(Path(os.environ.get("BEIAN_MOCK_TWILIO_CACHE") or default)) as mock:
        yield mock


# -- the reliability figures table ---------------------------------------------------------------


_FIGURES = Figures()
_FIGURES_SEEN: list[bool] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--long`: the reliability suite's longer counts (as `BEIAN_RELIABILITY_LONG=1`)."""
    parser.addoption("--long", action="store_true", help="reliability suite: more kills, updates and faults")


def pytest_configure(config: pytest.Config) -> None:
    """Hand `--long` to every process (xdist workers and the `beian` children read the environment)."""
    if config.getoption("--long", default=False):
        os.environ["BEIAN_RELIABILITY_LONG"] = "1"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the figures the reliability tests recorded (in the controlling process under xdist)."""
    if report.when == "call" and collect(report.user_properties, _FIGURES):
        _FIGURES_SEEN.append(True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print one figures table when reliability tests ran."""
    if not _FIGURES_SEEN:
        return
    mode = ", long mode" if long_mode() else ""
    mode += f", counts x{scale():g}" if scale() != 1 else ""
    terminalreporter.section(f"reliability figures (seed {seed()}{mode})")
    for line in _FIGURES.table():
        terminalreporter.write_line(line)
