"""Saved views on the command line: `beian list --view NAME` and the deadline filters it shares with the dashboard."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.helpers.cli import Beian
from tracker.domain import FilingQuery
from tracker.filings.views import find_view, load_current, save_current, save_view

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"


def _seed(beian: Beian) -> None:
    assert beian("org", "add", ORG, "--credit-code", CODE).code == 0
    for title, launch in (("迟到算法", "2024-03-01"), ("将到算法", None)):
        extra = ["--launch-date", launch] if launch else []
        assert beian("add", title, "--org", ORG, *extra).code == 0


def test_list_view_gives_the_rows_of_the_same_query(beian: Beian) -> None:
    _seed(beian)
    overdue = beian("list", "--view", "overdue", "--json").json()
    assert [f["title"] for f in overdue] == ["迟到算法"]
    assert beian("list", "--overdue", "--sort", "deadline", "--json").json() == overdue
    waiting = beian("list", "--view", "waiting-us", "--json").json()
    assert [f["title"] for f in waiting] == ["迟到算法", "将到算法"]  # by deadline, the undated last
    assert beian("list", "--waiting-on", "regulator", "--json").json() == []
    # other options narrow a view
    assert beian("list", "--view", "waiting-us", "--search", "将到", "--json").json() == waiting[1:]


def test_unknown_view_is_a_usage_error(beian: Beian) -> None:
    line = beian("list", "--view", "nonsense").fails_cleanly(2)
    assert "no view named 'nonsense'" in line and "overdue" in line
    assert "my_organisation" in beian("list", "--view", "my-organisation").fails_cleanly(2)


def test_saved_views_live_owner_only_beside_the_settings(isolated_settings: Path, beian: Beian) -> None:
    _seed(beian)
    save_view("mine", FilingQuery(text="将到", sort="title", descending=True))
    save_current(FilingQuery(overdue=True, sort="deadline"))
    path = isolated_settings / "views.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert find_view("MINE").query == FilingQuery(text="将到", sort="title", descending=True)
    assert load_current() == FilingQuery(overdue=True, sort="deadline")
    assert [f["title"] for f in beian("list", "--view", "mine", "--json").json()] == ["将到算法"]
