"""The source tree keeps its shape: a short list of top-level modules in `tracker/`, and no module over 400 lines."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400

TOP_LEVEL_MODULES = {
    "__init__.py",
    "__main__.py",
    "config.py",  # settings
    "errors.py",  # the error hierarchy and exit codes
    "factory.py",  # the composition root
    "files.py",  # creating files and folders owner-only
    "locations.py",  # where data and settings live
    "timeutil.py",  # the clock, UTC and Beijing days
}
PACKAGES = {"cli", "domain", "exchange", "filings", "notify", "rules", "store"}


def test_tracker_has_only_the_designed_top_level() -> None:
    entries = {p.name for p in (ROOT / "tracker").iterdir() if p.name != "__pycache__"}
    modules = {name for name in entries if name.endswith(".py")}
    packages = {name for name in entries if (ROOT / "tracker" / name / "__init__.py").exists()}
    assert modules == TOP_LEVEL_MODULES, (
        "a new top-level module belongs in a slice (filings/, rules/, notify/…)"
    )
    assert packages == PACKAGES
    assert entries == modules | packages, sorted(entries - modules - packages)


def _python_files() -> list[Path]:
    return sorted(path for folder in ("tracker", "states", "tui") for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by what it does"


def test_every_package_declares_itself() -> None:
    for folder in ("tracker", "states", "tui"):
        for path in (ROOT / folder).rglob("*.py"):
            assert (path.parent / "__init__.py").exists(), path.parent
