"""Through `FilingService`: an approval and its SMS rows commit together, one per recipient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.sms import NUMBER, FakeSender, World, make_world


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    """Here on SQLite and, when it answers, PostgreSQL (`db_url` from the root conftest)."""
    w = make_world(db_url)
    yield w
    w.store.dispose()


services = pytest.importorskip("tracker.filings.service", reason="the filing service is not there yet")


@pytest.mark.skipif(
    not hasattr(getattr(services, "FilingService", None), "advance"), reason="FilingService.advance missing"
)
def test_approving_a_filing_queues_exactly_one_sms_per_recipient(
    world: World, clock: FakeClock, fake: FakeSender
) -> None:
    from tracker.config import Settings

    service = services.FilingService(world.store, Settings(), clock=clock)
    service.notify.add_recipient("13800138000", organisation=world.org_id)
    service.notify.add_recipient("13800138000", filing="ALG-0001")  # the same phone for the filing too
    service.notify.add_recipient("+14155552671", filing="ALG-0001", language="en")
    service.notify.add_recipient("13900139000", organisation=world.org_id, events=["reject"])
    result = service.advance("ALG-0001", "approve", filing_number=NUMBER)
    assert result.notifications == 2
    queued = service.notify.notifications("ALG-0001")
    assert sorted(n.phone for n in queued) == ["+14155552671", "+8613800138000"]
    assert all(n.status == "pending" and n.event == "approve" for n in queued)
    assert all(NUMBER in n.body for n in queued)
    service.notify.sender = fake
    assert service.notify.dispatch_pending().sent == 2
    assert sorted(to for _, to, _ in fake.sent) == ["+14155552671", "+8613800138000"]
