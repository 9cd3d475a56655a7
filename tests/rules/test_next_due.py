"""The stored next due date (`filing.next_due`) that orders and filters the dashboard and `beian list` in SQL:
always the date `beian due` and `beian dates` compute, over the demo portfolio, after events, edits and
materials ticks, as days pass, and when the rules change; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.helpers.clock import FakeClock
from tests.helpers.filings import algorithm, approved_org, at, returned_twice
from tracker.config import Settings
from tracker.domain import DeadlineView, FilingQuery
from tracker.filings.demo import seed_demo
from tracker.filings.service import FilingService


def stored(service: FilingService) -> dict[int, tuple[Any, Any, Any]]:
    """(next_due, next_due_regulator, stamp) of every filing, read straight from the table."""
    with service.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, next_due, next_due_regulator, next_due_stamp FROM filing"))
        return {
            int(fid): (
                due if due is None or isinstance(due, dt.date) else dt.date.fromisoformat(due),
                reg,
                stamp,
            )
            for fid, due, reg, stamp in rows
        }


def computed(service: FilingService) -> dict[int, DeadlineView]:
    """The most urgent running deadline of every filing, as `beian due` computes it (no storage involved)."""
    from tracker.rules._facts import urgency

    best: dict[int, DeadlineView] = {}
    for filing, deadline in service.rules.due():
        if filing.id not in best or urgency(deadline) < urgency(best[filing.id]):
            best[filing.id] = deadline
    return best


def assert_stored_equals_computed(service: FilingService) -> None:
    """Every stored next due date equals the computed one, and the SQL order and filters equal the computed ones."""
    order = [f.ref for f in service.filings(FilingQuery(sort="deadline"))]  # computes what is stale
    expected = computed(service)
    rows = stored(service)
    stamp = service.rules.deadline_stamp()
    assert {fid for fid, (_, _, s) in rows.items() if s != stamp} == set()
    assert {fid: (due, bool(reg)) for fid, (due, reg, _) in rows.items() if due is not None} == {
        fid: (d.due_date, d.regulator_sla) for fid, d in expected.items()
    }
    # the order: most urgent first (the filer's before the regulator's), then filings without a deadline
    dated = sorted(expected.values(), key=lambda d: (d.working_days_left, d.regulator_sla, d.due_date))
    assert order[: len(dated)] == [d.ref for d in dated]
    overdue = {f.id for f in service.filings(FilingQuery(overdue=True))}
    assert overdue == {fid for fid, d in expected.items() if d.overdue} == service.rules.overdue_filing_ids()
    states = dict.fromkeys(service.rules.due_soon_filing_ids(), "due_soon")
    states.update(dict.fromkeys(service.rules.overdue_filing_ids(), "overdue"))
    assert service.rules.deadline_states() == states  # what "changed since you last looked" compares
    for n in (0, 5, 30):
        within = {f.id for f in service.filings(FilingQuery(due_within=n))}
        assert within == {fid for fid, d in expected.items() if d.working_days_left <= n}
        assert service.count(FilingQuery(due_within=n)) == len(within)


def test_stored_next_due_dates_equal_the_computed_ones_over_the_demo_portfolio(
    service: FilingService, clock: FakeClock
) -> None:
    assert seed_demo(service) > 0
    assert_stored_equals_computed(service)
    clock.tick(days=45)  # days pass: the stored dates stay, overdue and due-soon follow today
    assert_stored_equals_computed(service)


def test_every_writer_marks_the_stored_date_in_its_own_transaction(service: FilingService) -> None:
    approved_org(service)
    ref = algorithm(service)
    fid = service.filing(ref).id
    assert_stored_equals_computed(service)

    def stamp() -> Any:
        return stored(service)[fid][2]

    service.update_filing(ref, launch_date=dt.date(2026, 10, 20))  # D1 starts
    assert stamp() is None
    assert_stored_equals_computed(service)
    assert stored(service)[fid][0] == dt.date(2026, 11, 3)
    service.advance(ref, "submit", at=at("2026-10-22"))  # the regulator's D4 starts
    assert stamp() is None
    assert_stored_equals_computed(service)
    service.advance(ref, "return_for_revision", reason="材料不全", reopen=("algo.self_assessment",))
    assert stamp() is None
    assert_stored_equals_computed(service)
    service.rules.mark(ref, "algo.self_assessment")  # a materials tick
    assert stamp() is None
    service.advance(ref, "resubmit")
    assert_stored_equals_computed(service)


def test_a_returned_twice_filing_and_a_provisional_2027_deadline(service: FilingService) -> None:
    ref = returned_twice(service)
    late = algorithm(service, "年末上线", launch_date=dt.date(2026, 12, 25))
    assert_stored_equals_computed(service)
    rows = stored(service)
    assert rows[service.filing(late).id][0] == dt.date(2027, 1, 11)  # D1 over New Year, provisional
    assert bool(rows[service.filing(ref).id][1])  # D4 binds the regulator


def test_changed_rules_recompute_every_stored_date(
    service: FilingService, clock: FakeClock, rules_copy: Path
) -> None:
    approved_org(service)
    ref = algorithm(service, launch_date=dt.date(2026, 10, 20))
    assert_stored_equals_computed(service)
    deadlines = rules_copy / "deadlines.toml"
    body = deadlines.read_text(encoding="utf-8")
    deadlines.write_text(body.replace("working_days = 10", "working_days = 15", 1), encoding="utf-8")
    changed = FilingService(service.store, Settings(rules_dir=rules_copy), clock=clock)
    assert changed.rules.deadline_stamp() != service.rules.deadline_stamp()
    assert_stored_equals_computed(changed)
    assert stored(changed)[changed.filing(ref).id][0] == dt.date(2026, 11, 10)  # 15 working days


def test_beian_init_computes_every_stored_date(service: FilingService, db_url: str) -> None:
    from tracker.factory import init_database

    assert seed_demo(service) > 0
    assert any(s is None for _, _, s in stored(service).values())  # written, not yet read
    init_database(db_url, service.settings)
    assert {s for _, _, s in stored(service).values()} == {service.rules.deadline_stamp()}
