"""The wheel carries the data, the migrations and the `beian` entry points; data is found from any folder."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout by `uv build`."""
    uv = shutil.which("uv")
    if uv is None:
        if IN_CI:
            pytest.fail("uv is not on PATH in CI")
        pytest.skip("uv is not on PATH")
    out = tmp_path_factory.mktemp("wheel")
    # offline outside CI: the build backend comes from uv's cache, never from the network
    command = [uv, "build", "--wheel", "-o", str(out), *(() if IN_CI else ("--offline",))]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    [built] = out.glob("beian_tracker-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_data_and_migrations(wheel: Path) -> None:
    names = _names(wheel)
    for required in (
        "tracker/data/seed/demo.toml",
        "tracker/store/migrations/versions/0001_initial.py",
        "tracker/store/migrations/env.py",
        "tracker/store/migrations/script.py.mako",
        "states/__init__.py",
        "tui/cli.py",
    ):
        assert required in names, required
    templates = {n for n in names if n.startswith("tracker/data/templates/") and not n.endswith("/")}
    assert templates, "no SMS templates in the wheel"
    for source in (ROOT / "data" / "templates").iterdir():
        assert f"tracker/data/templates/{source.name}" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_wheel_declares_the_console_script_and_command_plugins(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode("utf-8"))
    assert parser["console_scripts"]["beian"] == "tracker.cli:main"
    assert "beian.commands" in parser
    assert parser["beian.commands"]["dashboard"] == "tui.cli:dashboard"


def _data_dir_from(cwd: Path, pythonpath: Path | None = None) -> Path:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    probe = "import tracker.locations as l, tracker; print(l.data_dir()); print(tracker.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    data_dir, package = done.stdout.splitlines()
    if pythonpath is not None:  # the unpacked wheel, not the checkout, was imported
        assert Path(package).resolve().is_relative_to(pythonpath.resolve())
    return Path(data_dir)


def test_installed_wheel_finds_its_data_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = _data_dir_from(elsewhere, site)
    assert found.resolve().is_relative_to(site.resolve())
    assert (found / "seed" / "demo.toml").is_file()


def test_checkout_finds_its_data_from_another_folder(tmp_path: Path) -> None:
    found = _data_dir_from(tmp_path)
    assert (found / "seed" / "demo.toml").is_file()
    assert (found / "templates").is_dir()
