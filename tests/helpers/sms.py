"""Helpers for SMS tests: a database with a filing in final review, seeded through the service, and an in-process gateway."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.helpers.clock import START, FakeClock
from tracker.config import Settings
from tracker.domain import Filing, FilingDraft, Kind
from tracker.filings.service import FilingService
from tracker.notify.sender import Delivery, SendError, SendResult
from tracker.store.db import Store

NUMBER = "网信算备110108823483901230031号"
ORG = "北京示例科技有限公司"
CODE = "91110108MA0000000A"
REGION = "110108"
SEEDED = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
"""When the world was seeded (organisation, entity filing, ALG-0001 taken to final review): before any test's clock."""


# -- a database with one organisation and one filing in final review ------------------------------


@dataclass
class World:
    """The store, the service that seeded it (on its own clock), and the ids of what it seeded."""

    store: Store
    service: FilingService
    clock: FakeClock
    org_id: int
    filing_id: int
    ref: str = "ALG-0001"

    def add_filing(self, ref: str, title: str = "另一个算法") -> int:
        """Another algorithm filing of the same organisation, taken to final review; `ref` is the one it must get."""
        filing = _to_final_review(self.service, title)
        assert filing.ref == ref, (filing.ref, ref)
        return filing.id

    def transition(
        self,
        event: str = "approve",
        *,
        filing_id: int | None = None,
        number: str | None = NUMBER,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Apply `event` through the service (which queues its SMS in the same transaction); returns rows queued.

        `number` is the 备案编号 given with `approve` only; `at` (UTC, default 2026-11-02 01:00) is when it happened.
        """
        when = at or START
        self.clock.now = max(self.clock.now, when)
        result = self.service.advance(
            filing_id or self.filing_id,
            event,
            filing_number=number if event == "approve" else None,
            reason=reason,
            at=when,
            source="test",
        )
        return result.notifications


def _to_final_review(service: FilingService, title: str) -> Filing:
    """An algorithm filing of `ORG` with every material provided, submitted and through both reviews."""
    filing = service.add_filing(FilingDraft(organisation=ORG, title=title))
    with contextlib.suppress(ImportError):  # without a rules layer there is no checklist
        service.rules.mark_all_provided(filing.ref, actor="test")
    for event in ("submit", "pass_review", "pass_review"):
        filing = service.advance(filing.ref, event, source="test").filing
    return filing


def make_world(url: str) -> World:
    """A migrated database with 北京示例科技有限公司, its approved entity filing, and its filing ALG-0001
    (个性化推荐算法) in final review, all recorded through `FilingService` at `SEEDED`."""
    from tracker.factory import open_store

    store = open_store(url, create=True)
    clock = FakeClock(SEEDED)
    service = FilingService(store, Settings(), clock=clock)
    org = service.add_organisation(ORG, CODE, REGION)
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    with contextlib.suppress(ImportError):
        service.rules.mark_all_provided(entity.ref, actor="test")
    service.advance(entity.ref, "submit", source="test")
    service.advance(entity.ref, "approve", source="test")
    filing = _to_final_review(service, "个性化推荐算法")
    assert filing.ref == "ALG-0001", filing.ref
    return World(store, service, clock, org.id, filing.id)


# -- an in-process gateway -----------------------------------------------------------------------


@dataclass
class FakeSender:
    """Records what it sends; `errors` are raised by the next sends, in order; `statuses` answer `fetch`."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[SendError] = field(default_factory=list)
    statuses: dict[str, Delivery] = field(default_factory=dict)
    attempts: int = 0

    def send(self, to: str, body: str) -> SendResult:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        sid = f"SM{len(self.sent) + 1:032x}"
        self.sent.append((sid, to, body))
        return SendResult(sid, "queued")

    def fetch(self, sid: str) -> Delivery:
        return self.statuses.get(sid, Delivery(sid, "sent"))

    def lookup(
        self, to: str, body: str, since: datetime, exclude: frozenset[str] = frozenset()
    ) -> Delivery | None:
        for sid, phone, text in self.sent:
            if phone == to and text == body and sid not in exclude:
                return Delivery(sid, "delivered")
        return None

    def close(self) -> None:
        pass


def retryable(code: int = 20429, status: int = 429) -> SendError:
    """What a 429/5xx looks like once classified."""
    return SendError("Too Many Requests", code=code, http_status=status, retryable=True)


def permanent(code: int = 21211) -> SendError:
    """What a 400 with a Twilio code looks like once classified."""
    return SendError(
        "The 'To' number +15005****0001 is not a valid phone number.",
        code=code,
        http_status=400,
        retryable=False,
    )
