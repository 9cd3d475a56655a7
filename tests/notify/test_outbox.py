"""Recipients and the outbox rows a transition writes in its own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from tests.helpers.clock import FakeClock
from tests.helpers.sms import NUMBER, FakeSender, World, make_world
from tracker.config import Settings
from tracker.errors import NotFound, UsageError
from tracker.notify.outbox import enqueue_overdue, parse_events
from tracker.notify.service import NotifyService
from tracker.store.tables import FilingRow, OrganisationRow, OutboxRow, TransitionRow


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    """Here on SQLite and, when it answers, PostgreSQL (`db_url` from the root conftest)."""
    w = make_world(db_url)
    yield w
    w.store.dispose()


@pytest.fixture
def notify(world: World, clock: FakeClock, fake: FakeSender) -> NotifyService:
    return NotifyService(world.store, Settings(), clock=clock, sender=fake)


def rows(world: World) -> list[OutboxRow]:
    with world.store.unit() as session:
        return list(session.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all())


def test_events_are_read_in_english_or_chinese() -> None:
    assert parse_events(["approve"]) == ("approve",)
    assert parse_events(["退回修改,不予备案"]) == ("return_for_revision", "reject")
    assert parse_events(["return for revision", "逾期"]) == ("return_for_revision", "overdue")
    assert parse_events(["all"]) == (
        "approve",
        "return_for_revision",
        "reject",
        "approve_change",
        "confirm_cancellation",
        "overdue",
        "digest",
    )
    assert parse_events(["摘要"]) == parse_events(["digest"]) == ("digest",)
    with pytest.raises(UsageError, match="does not send SMS"):
        parse_events(["submit"])
    with pytest.raises(UsageError):
        parse_events(["approvd-ish nonsense"])


def test_a_recipient_defaults_to_approvals_only(notify: NotifyService, world: World) -> None:
    r = notify.add_recipient("138 0013 8000", organisation="北京示例科技有限公司")
    assert (r.phone, r.events, r.language, r.organisation_id, r.filing_id) == (
        "+8613800138000",
        ("approve",),
        "zh",
        world.org_id,
        None,
    )
    assert notify.recipient_scopes([r]) == {r.id: "北京示例科技有限公司"}


def test_recipient_scope_must_be_one_organisation_or_one_filing(notify: NotifyService) -> None:
    with pytest.raises(UsageError):
        notify.add_recipient("13800138000")
    with pytest.raises(UsageError):
        notify.add_recipient("13800138000", organisation="北京示例科技有限公司", filing="ALG-0001")
    with pytest.raises(NotFound):
        notify.add_recipient("13800138000", filing="ALG-9999")


def test_the_same_phone_twice_for_the_same_scope_is_refused(notify: NotifyService) -> None:
    notify.add_recipient("13800138000", filing="ALG-0001")
    with pytest.raises(UsageError, match="already receives"):
        notify.add_recipient("+8613800138000", filing="ALG-0001")


def test_approval_queues_one_row_per_phone_with_the_rendered_text(
    notify: NotifyService, world: World
) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    notify.add_recipient("13800138000", filing="ALG-0001", events=["approve", "reject"])  # same phone twice
    notify.add_recipient("+14155552671", filing="ALG-0001", language="en")
    notify.add_recipient("13900139000", organisation=world.org_id, events=["reject"])  # not interested
    assert world.transition("approve") == 2
    queued = rows(world)
    assert sorted(r.phone for r in queued) == ["+14155552671", "+8613800138000"]
    zh = next(r for r in queued if r.phone == "+8613800138000")
    assert NUMBER in zh.body and "个性化推荐算法" in zh.body and "北京示例科技有限公司" in zh.body
    assert zh.status == "pending" and zh.segments == 1 and zh.transition_id is not None
    en = next(r for r in queued if r.phone == "+14155552671")
    assert en.body.startswith("Algorithm filing approved")


def test_events_nobody_subscribed_to_queue_nothing(notify: NotifyService, world: World) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    assert world.transition("return_for_revision", reason="材料不全") == 0
    assert world.transition("resubmit") == 0
    assert rows(world) == []


def test_other_filings_of_the_organisation_reach_organisation_recipients_only(
    notify: NotifyService, world: World
) -> None:
    other = world.add_filing("ALG-0002")
    notify.add_recipient("13800138000", organisation=world.org_id)
    notify.add_recipient("13900139000", filing="ALG-0001")
    assert world.transition("approve", filing_id=other, number="网信算备110108823483901230032号") == 1
    assert [r.phone for r in rows(world)] == ["+8613800138000"]


def test_a_rolled_back_transition_leaves_no_outbox_row(notify: NotifyService, world: World) -> None:
    from tracker.notify.outbox import enqueue_for_transition

    notify.add_recipient("13800138000", organisation=world.org_id)
    with pytest.raises(RuntimeError), world.store.unit() as session:
        filing = session.get(FilingRow, world.filing_id)
        assert filing is not None
        t = TransitionRow(
            filing_id=world.filing_id,
            event="approve",
            from_stage="final_review",
            to_stage="approved",
            effective_at=datetime(2026, 11, 2, tzinfo=UTC),
            recorded_at=datetime(2026, 11, 2, tzinfo=UTC),
            source="test",
            filing_number=NUMBER,
        )
        session.add(t)
        session.flush()
        assert (
            enqueue_for_transition(
                session,
                filing=filing,
                organisation_name="x",
                transition=t,
                now=datetime(2026, 11, 2, tzinfo=UTC),
            )
            == 1
        )
        raise RuntimeError("the service failed after enqueueing")
    assert rows(world) == []


def test_overdue_is_queued_once_per_deadline_and_phone(notify: NotifyService, world: World) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id, events=["overdue"])
    notify.add_recipient("13900139000", organisation=world.org_id)  # approvals only
    for _ in range(2):
        with world.store.unit() as session:
            filing = session.get(FilingRow, world.filing_id)
            org = session.get(OrganisationRow, world.org_id)
            assert filing is not None and org is not None
            enqueue_overdue(
                session,
                filing=filing,
                organisation_name=org.name,
                deadline="D4",
                label="30个工作日备案期限",
                due=date(2026, 11, 2),
                now=datetime(2026, 11, 3, tzinfo=UTC),
            )
    queued = rows(world)
    assert [(r.phone, r.event) for r in queued] == [("+8613800138000", "overdue:D4")]
    assert "30个工作日备案期限" in queued[0].body and "2026-11-02" in queued[0].body


def test_removing_a_recipient_keeps_its_queued_messages(notify: NotifyService, world: World) -> None:
    r = notify.add_recipient("13800138000", organisation=world.org_id)
    world.transition("approve")
    notify.remove_recipient(r.id)
    assert notify.recipients() == []
    assert [n.phone for n in notify.notifications("ALG-0001")] == ["+8613800138000"]
    with pytest.raises(NotFound):
        notify.remove_recipient(r.id)


def test_preview_shows_text_and_segment_count(notify: NotifyService, world: World) -> None:
    notify.add_recipient("13800138000", organisation=world.org_id)
    p = notify.preview("ALG-0001")
    assert p.event == "approve" and p.segments == 1 and p.encoding == "UCS-2" and p.recipients == 1
    assert "网信算备" in p.body  # a sample number of realistic length when the filing has none yet
    p = notify.preview("ALG-0001", event="退回修改", language="en", reason="missing report")
    assert p.event == "return_for_revision" and "missing report" in p.body and p.recipients == 0
