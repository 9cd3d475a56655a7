"""The digest of a seeded week: what moved (approved with its number, returned with its reason, submitted, new),
deadlines due soon and overdue, stalled filings; its text, Markdown, HTML and SMS forms; schedules that queue
it exactly once per period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.filings import NUMBER, algorithm, approved_org, at
from tracker.config import Settings
from tracker.domain import FilingDraft
from tracker.factory import open_store
from tracker.filings.service import FilingService
from tracker.notify.digest_text import render, sms_summary
from tracker.notify.digests import DigestService, period_of
from tracker.notify.segments import count_segments
from tracker.timeutil import BEIJING

MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 Beijing
WEEK = (datetime(2026, 11, 23, tzinfo=BEIJING), datetime(2026, 11, 30, tzinfo=BEIJING))


@pytest.fixture
def week(db_url: str) -> Iterator[tuple[FilingService, dict[str, str]]]:
    """A portfolio whose week of 2026-11-23 saw an approval, a return, a new filing submitted; with a long-stuck
    filing (regulator overdue), and a draft whose launch deadline (D1) is due within ten working days."""
    store = open_store(db_url)
    clock = FakeClock(at("2026-09-01"))
    service = FilingService(store, Settings(user="pm"), clock=clock)
    approved_org(service)
    refs = {name: algorithm(service, name) for name in ("approved", "returned", "stuck")}
    service.advance(refs["stuck"], "submit", at=at("2026-09-01"))
    clock.now = at("2026-11-27")
    service.advance(refs["approved"], "submit", at=at("2026-11-10"))
    for day in ("2026-11-12", "2026-11-16"):
        service.advance(refs["approved"], "pass_review", at=at(day))
    service.advance(refs["approved"], "approve", filing_number=NUMBER, at=at("2026-11-25"), actor="王经理")
    service.advance(refs["returned"], "submit", at=at("2026-11-16"))
    service.advance(refs["returned"], "return_for_revision", reason="材料不全", at=at("2026-11-24"))
    clock.now = at("2026-11-26")
    refs["new"] = algorithm(service, "new")
    clock.now = at("2026-11-27")
    service.advance(refs["new"], "submit", at=at("2026-11-27"))
    refs["launch"] = service.add_filing(
        FilingDraft(organisation="北京星河智算科技有限公司", title="launch", launch_date=date(2026, 11, 20))
    ).ref
    clock.now = MONDAY
    yield service, refs
    store.dispose()


def test_the_digest_of_a_seeded_week(week: tuple[FilingService, dict[str, str]]) -> None:
    service, refs = week
    d = DigestService(service).build(*WEEK)
    assert [(e.ref, e.detail, e.by) for e in d.of("approved")] == [(refs["approved"], NUMBER, "王经理")]
    assert [(e.ref, e.detail) for e in d.of("returned")] == [(refs["returned"], "材料不全")]
    assert [e.ref for e in d.of("submitted")] == [refs["new"]]
    assert [(e.ref, e.by) for e in d.of("new")] == [(refs["new"], "pm"), (refs["launch"], "pm")]
    assert [(x.ref, x.deadline.split()[0], x.due_date) for x in d.due] == [
        (refs["launch"], "D1", date(2026, 12, 4))
    ]
    assert [(x.ref, x.deadline.split()[0], x.regulator) for x in d.overdue] == [(refs["stuck"], "D4", True)]
    [stalled] = d.stalled
    assert stalled.ref == refs["stuck"] and stalled.working_days > stalled.usual == 10
    assert "资质初审" in stalled.stage

    text = render(d, "text")
    for needle in (NUMBER, "材料不全", "Due in the next 10 working days (1)", "Overdue (1)", "usually 10"):
        assert needle in text
    md = render(d, "md")
    assert md.startswith("## Digest for all filings") and "## Approved (已备案) (1)" in md
    html = render(d, "html")
    assert html.startswith("<!DOCTYPE html>") and "<li>" in html and NUMBER in html
    sms = sms_summary(d)
    assert "批准1" in sms and "退回1" in sms and "已逾期1" in sms and NUMBER in sms
    assert count_segments(sms).segments <= 2
    assert count_segments(sms_summary(d, "en")).segments <= 3


def test_a_digest_narrowed_to_one_organisation(week: tuple[FilingService, dict[str, str]]) -> None:
    service, _ = week
    d = DigestService(service).build(*WEEK)
    mine = d.for_organisation(1, "北京星河智算科技有限公司")
    assert mine.moved == d.moved and mine.scope == "北京星河智算科技有限公司"
    assert d.for_organisation(99, "nobody").empty


def test_periods_are_yesterday_and_last_week() -> None:
    assert period_of("daily", date(2026, 11, 30))[0] == "day:2026-11-29"
    key, since, until = period_of("weekly", date(2026, 12, 2))
    assert key == "week:2026-W48" and (since, until) == WEEK


def test_schedules_queue_each_period_exactly_once(week: tuple[FilingService, dict[str, str]]) -> None:
    service, _ = week
    digests = DigestService(service)
    digests.add_schedule("pm@example.com", "weekly", fmt="html")
    digests.add_schedule("13800138000", "daily")
    assert digests.queue_scheduled() == 2
    assert digests.queue_scheduled() == 0  # a second round, or a second `notify run`, queues nothing
    [email] = digests.deliveries()
    assert (email.recipient, email.period, email.status) == ("pm@example.com", "week:2026-W48", "pending")
    [sms] = service.notify.notifications()
    assert (sms.phone, sms.event, sms.filing_ref, sms.filing_id) == (
        "+8613800138000",
        "digest",
        "digest",
        None,
    )
    service.clock.now = MONDAY.replace(day=1, month=12)  # type: ignore[attr-defined]
    assert digests.queue_scheduled() == 1  # the next day's SMS; the week is still the same
    assert len(service.notify.notifications()) == 2


def test_the_sms_summary_goes_through_the_sms_outbox_once_per_recipient_and_period(
    week: tuple[FilingService, dict[str, str]],
) -> None:
    service, _ = week
    service.notify.add_recipient("13800138000", organisation="北京星河智算科技有限公司", events=["digest"])
    service.notify.add_recipient("13900139000", organisation="北京星河智算科技有限公司", events=["approve"])
    digests = DigestService(service)
    d = digests.build(*WEEK)
    assert digests.queue_sms(d, period="week:2026-W48") == 1
    assert digests.queue_sms(d, period="week:2026-W48") == 0
    [row] = service.notify.notifications()
    assert row.phone == "+8613800138000" and "批准1" in row.body and "北京星河智算科技有限公司" in row.body
