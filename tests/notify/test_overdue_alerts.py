"""An overdue statutory deadline of the filer's own reaches `overdue` subscribers once, and only them."""

from __future__ import annotations

from datetime import date

from states import Kind
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService

ORG = "北京星河智算科技有限公司"


def test_an_overdue_launch_deadline_is_announced_once_per_phone(service: FilingService) -> None:
    service.add_organisation(ORG, "91110108MA01A2B3CF", "110108")
    late = service.add_filing(
        FilingDraft(organisation=ORG, title="上线未备案", launch_date=date(2026, 10, 1))
    )
    service.add_filing(FilingDraft(organisation=ORG, title="刚上线", launch_date=date(2026, 11, 1)))
    service.add_filing(FilingDraft(organisation=ORG, title="主体", kind=Kind.ENTITY))
    service.notify.add_recipient("13800138000", organisation=ORG, events=["overdue"])
    service.notify.add_recipient("13900139000", organisation=ORG)  # approvals only

    assert service.rules.notify_overdue() == 1
    assert service.rules.notify_overdue() == 0  # already announced to that phone

    [alert] = service.notify.notifications()
    assert alert.filing_ref == late.ref
    assert alert.phone == "+8613800138000"
    assert alert.event == "overdue:D1"
    assert alert.status == "pending"
