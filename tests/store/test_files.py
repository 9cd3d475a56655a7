"""Files the product creates are owner-only: the default database, its `-wal`/`-shm` files and folder, a new
`--db` file, the demo database, the settings file the dashboard writes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import run_beian


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The usual 022 umask, under which files would be world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("lax_umask")
def test_the_default_database_and_its_folder_are_owner_only(
    capsys: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    data = isolated_settings / "data"
    assert run_beian(capsys, "init").code == 0
    assert (
        run_beian(
            capsys, "org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF"
        ).code
        == 0
    )
    assert mode(data) == 0o700
    files = sorted(p.name for p in data.iterdir())
    assert "beian.db" in files
    for name in files:
        assert mode(data / name) == 0o600, name
    assert {"beian.db-wal", "beian.db-shm"} & set(files), "WAL files exist and were checked"


@pytest.mark.usefixtures("lax_umask")
def test_a_new_database_file_given_with_db_is_owner_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "team.db"
    assert run_beian(capsys, "init", "--db", str(target)).code == 0
    assert mode(target) == 0o600


@pytest.mark.usefixtures("lax_umask")
def test_the_demo_database_is_owner_only(isolated_settings: Path) -> None:
    from tracker.factory import open_demo_service

    service = open_demo_service()
    service.store.dispose()
    data = isolated_settings / "data"
    assert mode(data) == 0o700 and mode(data / "demo.db") == 0o600


@pytest.mark.usefixtures("lax_umask")
def test_the_settings_file_is_written_owner_only(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.config import load_settings, save_setting

    target = isolated_settings / "cfg" / "config.toml"
    monkeypatch.setenv("BEIAN_CONFIG_FILE", str(target))
    save_setting("theme", "nord")
    assert mode(target) == 0o600 and mode(target.parent) == 0o700
    target.write_text('# mine\nlanguage = "en"\n', encoding="utf-8")
    os.chmod(target, 0o644)
    save_setting("theme", "gruvbox")
    text = target.read_text(encoding="utf-8")
    assert "# mine" in text and "gruvbox" in text and mode(target) == 0o600
    assert load_settings().theme == "gruvbox"


def test_db_goes_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, tmp_path: Path
) -> None:
    db = sqlite_url.removeprefix("sqlite:///")
    org = ("org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF")
    assert run_beian(capsys, *org, "--db", db).code == 0
    for args in (
        ("list", "--db", db, "--json"),
        ("org", "list", "--db", db),
        ("org", "--db", db, "list"),
        ("notify", "recipients", "list", "--db", db),
        ("--db", str(tmp_path / "other.db"), "org", "list", "--db", db),
    ):
        result = run_beian(capsys, *args)
        assert result.code == 0, (args, result.err)
    assert "北京星河" in run_beian(capsys, "org", "list", "--db", db).out


def test_known_revisions_are_the_migrations() -> None:
    import re

    from tracker.store.db import SCHEMA_HEAD, known_revisions
    from tracker.store.schema import MIGRATIONS

    revisions = [
        re.search(r'^revision = "([^"]+)"', p.read_text(encoding="utf-8"), re.MULTILINE)
        for p in sorted((MIGRATIONS / "versions").glob("[0-9]*.py"))
    ]
    assert tuple(m.group(1) for m in revisions if m) == known_revisions()
    assert known_revisions()[-1] == SCHEMA_HEAD
