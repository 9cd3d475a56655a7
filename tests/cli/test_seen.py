"""`beian list --changed`, `beian seen` and `beian show` for two people (`BEIAN_USER`) on one database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.cli import Beian
from tests.helpers.filings import algorithm, approved_org, ok
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService


@pytest.fixture
def ref(db_url: str) -> Iterator[str]:
    """ALG-0001 in draft, created by alice, with its organisation's entity filing approved."""
    store = open_store(db_url)
    alice = FilingService(store, Settings(user="alice"))
    approved_org(alice)
    yield algorithm(alice)
    store.dispose()


def changed(beian: Beian, monkeypatch: pytest.MonkeyPatch, user: str) -> dict[str, list[str]]:
    monkeypatch.setenv("BEIAN_USER", user)
    return {
        f["ref"]: [c["kind"] for c in f["changes"]] for f in ok(beian("list", "--changed", "--json")).json()
    }


def test_two_people_see_each_others_changes_and_not_their_own(
    beian: Beian, ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ref not in changed(beian, monkeypatch, "alice")
    assert changed(beian, monkeypatch, "bob")[ref] == ["new"]
    assert "1 filing marked as seen by bob" in ok(beian("seen", ref)).out
    assert ref not in changed(beian, monkeypatch, "bob")
    assert list(changed(beian, monkeypatch, "bob")) == ["ENT-0001"]  # alice's entity filing: still news
    assert "2 filings marked as seen by bob" in ok(beian("seen", "--all")).out

    monkeypatch.setenv("BEIAN_USER", "alice")
    ok(beian("advance", ref, "submit"))
    ok(beian("advance", ref, "return_for_revision", "--reason", "材料不全"))
    assert ref not in changed(beian, monkeypatch, "alice")
    news = changed(beian, monkeypatch, "bob")
    assert news[ref] == ["stage", "stage", "return_reason"]
    listed = ok(beian("list", "--changed")).out
    assert ref in listed and "材料不全" in listed and "changed since you last looked" in listed

    shown = ok(beian("show", ref, "--json")).json()  # bob opens it: he sees what changed, then it is seen
    assert [c["kind"] for c in shown["changes"]] == ["stage", "stage", "return_reason"]
    assert all(c["by"] == "alice" for c in shown["changes"])
    assert ref not in changed(beian, monkeypatch, "bob")
    assert "nothing moved since bob last looked" in ok(beian("list", "--changed")).out

    history = ok(beian("history", ref)).out
    assert "alice" in history and "cli" not in history
    assert {t["actor"] for t in ok(beian("history", ref, "--json")).json()} == {"alice"}

    ok(beian("advance", ref, "resubmit", "--by", "carol"))  # --by names someone else
    assert changed(beian, monkeypatch, "bob")[ref] == ["stage"]
    assert ref not in ok(beian("list", "--changed", "--json", "--by", "carol")).json()
    assert ok(beian("seen", "--all", "--json")).json()["person"] == "bob"
    assert changed(beian, monkeypatch, "bob") == {}


def test_seen_needs_a_filing_or_all(beian: Beian, ref: str) -> None:
    beian("seen").fails_cleanly(2)
    beian("seen", ref, "--all").fails_cleanly(2)
    beian("seen", "ALG-9999").fails_cleanly(3)
