"""A portfolio that can take events forever, and the checks that a database full of them is consistent.

Filings wait in 资质初审 (initial review); `return_for_revision` sends one back and `resubmit` returns it to
the stage that returned it, so writers can cycle through events for as long as a test needs.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tracker.domain import FilingDraft, Kind
from tracker.filings.service import FilingService

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
PHONE = "+8613800138000"


def seed_cycling(service: FilingService, count: int, *, recipient: bool = True) -> list[str]:
    """An organisation with its approved entity filing and `count` algorithm filings in initial review;
    with `recipient`, someone who gets an SMS for every return for revision (so events queue outbox rows).
    Returns the algorithm filings' references."""
    service.add_organisation(ORG, CODE, "110108")
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    _tick(service, entity.ref)
    service.advance(entity.ref, "submit")
    service.advance(entity.ref, "approve")
    if recipient:
        service.notify.add_recipient(PHONE, organisation=ORG, events=["return_for_revision"])
    refs = []
    for i in range(count):
        ref = service.add_filing(FilingDraft(organisation=ORG, title=f"星河算法{i:03d}")).ref
        _tick(service, ref)
        service.advance(ref, "submit")
        refs.append(ref)
    return refs


def _tick(service: FilingService, ref: str) -> None:
    with contextlib.suppress(ImportError):
        service.rules.mark_all_provided(ref, actor="test")


def next_event(stage: str) -> dict[str, str]:
    """The event (with what it needs) that moves a cycling filing on from `stage`."""
    if stage == "initial_review":
        return {"event": "return_for_revision", "reason": "材料不全"}
    if stage == "returned":
        return {"event": "resubmit"}
    raise AssertionError(f"a cycling filing is never in {stage}")


NEXT_STAGE = {"initial_review": "returned", "returned": "initial_review"}


@dataclass(frozen=True)
class FilingState:
    """One filing as stored: stage, version and return count, with what its history and outbox say."""

    ref: str
    stage: str
    version: int
    returns: int
    transitions: int
    last_to: str | None
    return_transitions: int
    outbox_rows: int
    outbox_for_returns: int


_STATE = """
SELECT f.ref, f.stage, f.version, f.returns,
  (SELECT count(*) FROM transition t WHERE t.filing_id = f.id),
  (SELECT t.to_stage FROM transition t WHERE t.filing_id = f.id ORDER BY t.id DESC LIMIT 1),
  (SELECT count(*) FROM transition t WHERE t.filing_id = f.id AND t.event = 'return_for_revision'),
  (SELECT count(*) FROM outbox o WHERE o.filing_id = f.id),
  (SELECT count(*) FROM outbox o JOIN transition t ON t.id = o.transition_id
     WHERE o.filing_id = f.id AND t.event = 'return_for_revision')
FROM filing f WHERE f.kind = 'algorithm' ORDER BY f.ref
"""


class Inspector:
    """Reads a database straight through SQL (one pooled-free engine): states, notes, integrity."""

    def __init__(self, url: str, *, pooled: bool = False) -> None:
        """`pooled`: keep one connection open between reads (a reader asking many times)."""
        self.url = url
        self.engine = create_engine(url, pool_size=1) if pooled else create_engine(url, poolclass=NullPool)

    def stage_version(self, ref: str) -> tuple[str, int]:
        """One filing's stage and version, as a writer reads them before a conditional update."""
        with self.engine.connect() as conn:
            stage, version = conn.execute(
                text("SELECT stage, version FROM filing WHERE ref = :ref"), {"ref": ref}
            ).one()
            return str(stage), int(version)

    def states(self) -> dict[str, FilingState]:
        """Every algorithm filing's stored state, by reference."""
        with self.engine.connect() as conn:
            return {row[0]: FilingState(*row) for row in conn.execute(text(_STATE))}

    def notes(self) -> Counter[str]:
        """How many history rows carry each note (the kill tests tag every event with a unique note)."""
        with self.engine.connect() as conn:
            return Counter(
                r[0] for r in conn.execute(text("SELECT note FROM transition WHERE note IS NOT NULL"))
            )

    def history_rows(self) -> int:
        """Transitions of algorithm filings."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM transition t JOIN filing f ON f.id = t.filing_id WHERE f.kind = 'algorithm'"
                    )
                ).scalar_one()
            )

    def integrity(self) -> list[str]:
        """`PRAGMA integrity_check` on SQLite (['ok'] when clean); ['ok'] on PostgreSQL, which has none."""
        if not self.url.startswith("sqlite"):
            return ["ok"]
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]

    def dispose(self) -> None:
        """Close the engine."""
        self.engine.dispose()


def disagreements(before: dict[str, FilingState], after: dict[str, FilingState]) -> list[str]:
    """Where stage, version, history and outbox of a cycling filing do not tell the same story.

    `before` is the state right after seeding; every later event adds exactly one history row and one
    version, moves the stage to the row's target, and a return adds one return and one outbox row.
    """
    problems = []
    for ref, now in after.items():
        base = before[ref]
        events = now.transitions - base.transitions
        returns = now.return_transitions - base.return_transitions
        if now.version - base.version != events:
            problems.append(f"{ref}: version moved {now.version - base.version}, history {events}")
        if now.last_to != now.stage:
            problems.append(f"{ref}: stage {now.stage}, last history row says {now.last_to}")
        if now.returns - base.returns != returns:
            problems.append(f"{ref}: returns moved {now.returns - base.returns}, history {returns}")
        if now.outbox_for_returns != now.return_transitions or now.outbox_rows - base.outbox_rows != returns:
            problems.append(f"{ref}: {now.outbox_rows} outbox rows for {now.return_transitions} returns")
    return problems
