"""The dashboard plugs into `beian` without making every command pay for Textual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.probes import beian_in_fresh_process
from tests.helpers.tui import fixed_clock, portfolio
from tracker.filings.service import FilingService
from tui.serve import served_command

pytestmark = pytest.mark.slow


@pytest.fixture
def service(sqlite_url: str) -> Iterator[FilingService]:
    """The dashboard's service on an SQLite file, at the dashboard tests' instant."""
    from tracker.config import Settings
    from tracker.factory import open_store

    store = open_store(sqlite_url)
    yield FilingService(store, Settings(), clock=fixed_clock)
    store.dispose()


@pytest.mark.parametrize(
    "argv", [["--help"], ["dashboard", "--help"], ["advance", "{ref}", "pass_review"]], ids=" ".join
)
def test_commands_other_than_the_dashboard_never_import_textual(
    argv: list[str], service: FilingService, sqlite_url: str
) -> None:
    ref = portfolio(service)["review"]
    full = [arg.replace("{ref}", ref) for arg in argv]
    if full[0] == "advance":
        full = ["--db", sqlite_url, *full]
    probe = beian_in_fresh_process(full)
    assert probe.code == 0
    modules = probe.modules
    heavy = sorted(m for m in modules if m.split(".")[0] in ("textual", "textual_serve"))
    assert not heavy, heavy[:5]
    assert not {"tui.app", "tui.screens", "tui.widgets"} & modules, "only the small tui.cli module is loaded"
    if "advance" in full:
        assert service.filing(ref).stage.value == "second_review"


def test_the_served_command_is_beian_dashboard_without_the_database_url() -> None:
    command = served_command(demo=True)
    assert command[1:] == ["-m", "tracker", "dashboard", "--demo"]
    assert all("://" not in part for part in command), "the URL travels in the environment, not in argv"
