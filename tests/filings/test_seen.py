"""Changed since you last looked, for two people on one database: one person's change is news to the other,
never to themselves; opening a filing or marking it seen clears the news until something moves again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.filings import NUMBER, algorithm, approved_org
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.store.db import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.dispose()


def person(store: Store, name: str, clock: FakeClock) -> FilingService:
    """The service as `name` would use it (`BEIAN_USER=name`)."""
    return FilingService(store, Settings(user=name), clock=clock)


def kinds(service: FilingService) -> dict[str, tuple[str, ...]]:
    return {c.ref: c.kinds for c in service.changes_since_seen().values()}


def test_one_persons_change_is_news_to_the_other_not_to_themselves(store: Store, clock: FakeClock) -> None:
    alice, bob = person(store, "alice", clock), person(store, "bob", clock)
    approved_org(alice)
    ref = algorithm(alice)
    alice.advance(ref, "submit")
    assert alice.person == "alice" and alice.history(ref)[-1].actor == "alice"
    assert ref not in kinds(alice)  # she created and submitted it herself
    assert kinds(bob)[ref] == ("new", "stage")

    assert bob.mark_seen() >= 2  # `beian seen --all`
    assert kinds(bob) == {}

    clock.tick(hours=2)
    alice.advance(ref, "return_for_revision", reason="自评估报告缺少签字")
    [change] = [c for c in bob.changes_since_seen().values() if c.ref == ref]
    assert change.kinds == ("stage", "return_reason")
    assert "自评估报告缺少签字" in change.summary and "alice" in change.summary
    assert "退回修改" in change.summary
    assert change.seen_at is not None
    assert ref not in kinds(alice)

    bob.advance(ref, "resubmit")  # his own event is not news to him; alice's return still is
    assert kinds(bob)[ref] == ("stage", "return_reason")
    bob.mark_seen(ref)  # `beian show` / opening the filing
    assert ref not in kinds(bob)
    assert kinds(alice)[ref] == ("stage",)
    assert "bob" in alice.changes_since_seen()[alice.filing(ref).id].summary

    bob.update_filing(ref, title="星河写作助手 V2")
    assert kinds(alice)[ref] == ("stage", "edit")
    assert "edited title (bob)" in alice.changes_since_seen()[alice.filing(ref).id].summary
    assert ref not in kinds(bob)

    alice.mark_seen(ref)
    for event in ("pass_review", "pass_review"):
        bob.advance(ref, event)
    bob.advance(ref, "approve", filing_number=NUMBER)
    assert kinds(alice)[ref] == ("stage", "filing_number")
    assert NUMBER in alice.changes_since_seen()[alice.filing(ref).id].summary


def test_a_deadline_becoming_due_soon_or_overdue_is_news_to_everyone(store: Store, clock: FakeClock) -> None:
    alice, bob = person(store, "alice", clock), person(store, "bob", clock)
    approved_org(alice)
    ref = algorithm(alice, launch_date=date(2026, 11, 2))  # D1: file within 10 working days, due 11-16
    for who in (alice, bob):
        who.mark_seen()
        assert ref not in kinds(who)
    clock.tick(days=7)  # Monday 11-09: 5 working days left, due soon
    assert kinds(alice)[ref] == kinds(bob)[ref] == ("deadline",)
    assert "due soon" in bob.changes_since_seen()[bob.filing(ref).id].summary
    bob.mark_seen(ref)
    assert ref not in kinds(bob)
    clock.tick(days=8)  # Tuesday 11-17: overdue
    assert kinds(bob)[ref] == ("deadline",)
    assert "overdue" in bob.changes_since_seen()[bob.filing(ref).id].summary


def test_marks_are_per_person_and_ids_narrow_the_question(store: Store, clock: FakeClock) -> None:
    alice, bob = person(store, "alice", clock), person(store, "bob", clock)
    approved_org(alice)
    first, second = algorithm(alice, "一"), algorithm(alice, "二")
    one = bob.filing(first).id
    assert set(bob.changes_since_seen(ids=[one])) == {one}
    assert bob.mark_seen(first) == 1
    assert {c.ref for c in bob.changes_since_seen().values()} >= {second}
    assert first not in {c.ref for c in bob.changes_since_seen().values()}
    assert first in {c.ref for c in alice.changes_since_seen(person="carol").values()}
