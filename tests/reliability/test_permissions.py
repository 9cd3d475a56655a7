"""Every file and folder the product creates is owner-only (0600 / 0700), whatever the umask: the data
folder and database (with its -wal and -shm), backups, the backup taken before an upgrade, restored files,
and the settings file the dashboard writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers.figures import Recorder
from tests.helpers.olddb import at_revision
from tests.helpers.spawn import Spawner

pytestmark = pytest.mark.slow


def test_everything_the_product_creates_is_owner_only(
    tmp_path: Path,
    fork: Spawner,
    child_env: dict[str, str],
    figures: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = os.umask(0o022)  # the usual umask: group and others could read new files
    try:
        home = tmp_path / "home"
        env = {
            **child_env,
            "BEIAN_DATA_DIR": str(home / "data"),
            "BEIAN_CONFIG_FILE": str(home / "cfg" / "config.toml"),
        }
        steps = [
            ["init"],  # the embedded default database, in a data folder created on demand
            ["org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF"],
            ["backup", str(home / "data" / "snapshot.db")],
            ["--db", str(home / "data" / "restored.db"), "restore", str(home / "data" / "snapshot.db")],
            ["--db", str(home / "data" / "explicit.db"), "init"],
        ]
        for argv in steps:
            done = fork.run(argv, env)
            assert done.status == 0, (argv, done)
        # an old database upgraded by `beian init`: its backup
        old_db = home / "data" / "old.db"
        at_revision(f"sqlite:///{old_db}", "0002").dispose()
        os.chmod(old_db, 0o600)
        assert fork.run(["--db", str(old_db), "init"], env).status == 0
        # the dashboard's preference switch writes the settings file
        monkeypatch.setenv("BEIAN_CONFIG_FILE", env["BEIAN_CONFIG_FILE"])
        from tracker.config import save_setting

        save_setting("language", "zh")
        # a database while a process has it open: -wal and -shm exist
        from tracker.factory import open_store

        store = open_store(f"sqlite:///{home / 'data' / 'beian.db'}")
        with store.unit() as session:
            session.connection().exec_driver_sql("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
        created = sorted(p for p in home.rglob("*") if p.name != "old.db")
        loose = [
            f"{p.relative_to(home)} {stat.filemode(p.stat().st_mode)}"
            for p in created
            if p.stat().st_mode & 0o077
        ]
        names = {p.name for p in created}
        store.dispose()
    finally:
        os.umask(old)
    figures.add(permissions_checked=len(created), not_owner_only=len(loose))
    assert {
        "data",
        "beian.db",
        "beian.db-wal",
        "beian.db-shm",
        "snapshot.db",
        "restored.db",
        "old.db.rev0002.bak",
        "config.toml",
    } <= names
    assert loose == []
