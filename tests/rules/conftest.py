"""Fixtures for the rules tests: the shipped rules and calendar, and a writable copy of the rules folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tracker.locations import data_dir
from tracker.rules import RuleSet, WorkCalendar, load_calendar, load_rules


@pytest.fixture(scope="session")
def shipped_rules_dir() -> Path:
    return data_dir() / "rules"


@pytest.fixture(scope="session")
def rules(shipped_rules_dir: Path) -> RuleSet:
    return load_rules(shipped_rules_dir)


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return load_calendar(data_dir() / "calendars")


@pytest.fixture
def rules_copy(tmp_path: Path, shipped_rules_dir: Path) -> Path:
    """A copy of the shipped rules folder that a test may break."""
    target = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir, target)
    return target
