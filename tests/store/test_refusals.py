"""Storage and settings that cannot work are refused in one line with the documented exit code, nothing changed
and no password shown: unsupported URL schemes, URL typos, in-memory SQLite, no home folder, unreadable settings
files, a schema written by a newer beian, `init` on a corrupt file or another application's database, output
that cannot be written, a PostgreSQL row locked by another session."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import Beian, run_beian
from tests.helpers.dump import dump_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url", ["mysql://u:pw@localhost/db", "postgresql+asyncpg://u:pw@localhost/db", "foo://x", "oracle://h/x"]
)
def test_unsupported_schemes_name_the_supported_ones(capsys: pytest.CaptureFixture[str], url: str) -> None:
    line = run_beian(capsys, "--db", url, "list").fails_cleanly(2)
    assert "not supported" in line and "sqlite" in line and "postgresql" in line
    assert ":pw@" not in line


@pytest.mark.parametrize(
    "typo",
    [
        "postgresql+psycopg//postgres:PASSWORD@host/db",
        "postgresql:/postgres:PASSWORD@host/db",
        "postgres//u:PASSWORD@h/db",
        "postgres:PASSWORD@host/db",
        "sqlite:beian.db",
    ],
)
def test_a_url_typo_is_never_a_file_and_never_shows_the_password(
    capsys: pytest.CaptureFixture[str], typo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (("--db", typo, "list"), ("list", "--db", typo), ("--db", typo, "init")):
        result = run_beian(capsys, *args)
        line = result.fails_cleanly(2)
        assert "PASSWORD" not in result.out + result.err
        assert "://" in line or "URL" in line
    assert list(tmp_path.iterdir()) == [], "nothing created"


def test_a_url_typo_in_the_environment_is_refused_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEIAN_DATABASE_URL", "postgresql+psycopg:/postgres:PASSWORD@host/db")
    result = run_beian(capsys, "list")
    result.fails_cleanly(2)
    assert "PASSWORD" not in result.err


def test_an_unreachable_server_is_named_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_beian(capsys, "--db", "postgresql://beian:PASSWORD@127.0.0.1:1/beian", "list")
    line = result.fails_cleanly(5)
    assert "PASSWORD" not in result.err and "beian:***@127.0.0.1" in line


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file:x?mode=memory&uri=true"])
def test_an_in_memory_database_is_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    line = run_beian(capsys, "--db", url, "init").fails_cleanly(2)
    assert "in-memory" in line and "forgets" in line


def test_no_home_folder_asks_for_a_data_folder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "nonexistent"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("BEIAN_DATA_DIR")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    for args in (("list",), ("init",), ("add", "x", "--org", "y")):
        line = run_beian(capsys, *args).fails_cleanly(5)
        assert "BEIAN_DATA_DIR" in line and "BEIAN_DATABASE_URL" in line
    assert not home.exists(), "a home folder is never created"


def test_a_home_that_is_a_file_asks_for_a_data_folder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No settings file can be under it (so none is read) and no data folder: exit 5 with the way out."""
    home = tmp_path / "home"
    home.write_text("")
    monkeypatch.setenv("HOME", str(home))
    for name in ("BEIAN_DATA_DIR", "BEIAN_CONFIG_FILE", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    for args in (("list",), ("init",)):
        line = run_beian(capsys, *args).fails_cleanly(5)
        assert "BEIAN_DATA_DIR" in line and "BEIAN_DATABASE_URL" in line


def test_a_data_folder_that_cannot_be_created_is_a_storage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("BEIAN_DATA_DIR", str(blocker / "data"))
    line = run_beian(capsys, "list").fails_cleanly(5)
    assert "BEIAN_DATA_DIR" in line


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'language = "\xff\xfe"\n', "not UTF-8"),
        ('\ufefflanguage = "en"\n'.encode(), "byte-order mark"),
        (("x = " + "[" * 5000 + "]" * 5000 + "\n").encode(), "nested too deeply"),
        (("".join(f"[{'a.' * i}b]\n" for i in range(1, 3)) + "[" + "t." * 5000 + "x]\n").encode(), ""),
        (b"language = \n", "not valid TOML"),
    ],
    ids=["latin-1", "bom", "nested arrays", "nested tables", "not toml"],
)
def test_an_unreadable_settings_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], isolated_settings: Path, sqlite_url: str, content: bytes, words: str
) -> None:
    (isolated_settings / "config.toml").write_bytes(content)
    line = run_beian(capsys, "--db", sqlite_url, "list").fails_cleanly(2)
    assert "settings file" in line and words in line


def _stamp(url: str, revision: str) -> None:
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_a_database_from_a_newer_beian_says_so(beian_sqlite: Beian, sqlite_url: str) -> None:
    _stamp(sqlite_url, "0042")
    before = dump_database(sqlite_url)
    for args in (("list",), ("init",), ("show", "1")):
        line = beian_sqlite(*args).fails_cleanly(5)
        assert "written by a newer beian (revision 0042)" in line and "upgrade beian" in line
        assert "beian init" not in line
    assert dump_database(sqlite_url) == before


def test_init_refuses_a_file_that_is_not_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database at all " * 500)
    content = corrupt.read_bytes()
    for args in (("init",), ("list",)):
        line = run_beian(capsys, "--db", str(corrupt), *args).fails_cleanly(5)
        assert "not a beian database" in line and "up to date" not in line
    assert corrupt.read_bytes() == content


def test_init_refuses_another_applications_sqlite_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    foreign = tmp_path / "crm.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers VALUES (1, 'x')")
    content = foreign.read_bytes()
    for args in (("init",), ("list",)):
        line = run_beian(capsys, "--db", str(foreign), *args).fails_cleanly(5)
        assert "up to date" not in line
    line = run_beian(capsys, "--db", str(foreign), "init").fails_cleanly(5)
    assert "another application" in line and "customers" in line
    assert foreign.read_bytes() == content
    with sqlite3.connect(foreign) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == [
            "customers"
        ]


@pytest.mark.pg
def test_init_refuses_another_applications_postgresql_schema(
    capsys: pytest.CaptureFixture[str], pg_url: str
) -> None:
    import uuid

    import psycopg

    pg = os.environ.get("BEIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    plain = pg.replace("postgresql+psycopg://", "postgresql://")
    schema = f"foreign_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".invoices (id int)')
    try:
        url = f"{pg}?options=-csearch_path%3D{schema}"
        line = run_beian(capsys, "--db", url, "init").fails_cleanly(5)
        assert "another application" in line and "invoices" in line
        with psycopg.connect(plain) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            ).fetchall()
        assert tables == [("invoices",)]
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _beian_process(
    args: list[str], env: dict[str, str], stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=stdout,
        stderr=stderr,
        timeout=120,
        check=False,
    )


def _filled(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    run_beian(
        capsys,
        "--db",
        sqlite_url,
        "org",
        "add",
        "北京星河智算科技有限公司",
        "--credit-code",
        "91110108MA01A2B3CF",
    )
    run_beian(capsys, "--db", sqlite_url, "add", "星河写作助手", "--org", "北京星河智算科技有限公司")
    return sqlite_url.removeprefix("sqlite:///")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_one_line(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _filled(sqlite_url, capsys)
    err = tmp_path / "err"
    with open("/dev/full", "wb") as full, err.open("wb") as errors:
        done = _beian_process(["--db", path, "list"], {}, stdout=full, stderr=errors)
    text = err.read_text()
    assert done.returncode == 5, text
    assert text.splitlines() == ["beian: error: cannot write the output: No space left on device"]


def test_an_ascii_only_locale_writes_escapes_not_a_traceback(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _filled(sqlite_url, capsys)
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    for args in (["list"], ["show", "ALG-0001"], ["show", "不存在"]):
        done = _beian_process(["--db", path, *args], env)
        assert b"Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 3), done.stderr
        done.stdout.decode("ascii")  # nothing but ASCII was written
    done = _beian_process(["--db", path, "show", "ALG-0001", "--json"], env)
    assert done.returncode == 0 and b"\\u" in done.stdout


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite's busy timeout: the racing writers
def test_a_row_locked_on_postgresql_is_a_storage_error_after_the_lock_timeout(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    pg_url = db_url
    beian = lambda *a: run_beian(capsys, "--db", pg_url, *a)  # noqa: E731
    assert beian("org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF").code == 0
    assert beian("add", "星河写作助手", "--org", "北京星河智算科技有限公司").code == 0
    before = dump_database(pg_url)
    monkeypatch.setenv("BEIAN_LOCK_TIMEOUT", "1")
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as holder:
        holder.execute("SELECT * FROM filing FOR UPDATE")
        for args in (("advance", "ALG-0001", "withdraw"), ("dates", "ALG-0001", "--launch", "2026-11-02")):
            line = beian(*args).fails_cleanly(5)
            assert "locked by another session" in line
        holder.rollback()
    assert dump_database(pg_url) == before
    assert beian("advance", "ALG-0001", "withdraw").code == 0


def test_a_copied_database_keeps_working(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), copy)
    assert run_beian(capsys, "--db", str(copy), "list").code == 0
