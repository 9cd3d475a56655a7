"""An exchange service on a test database, and a small portfolio to export, report on and import back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from states import Kind
from tests.helpers.clock import FakeClock
from tracker.config import Settings
from tracker.domain import FilingDraft
from tracker.exchange.service import ExchangeService
from tracker.factory import open_store
from tracker.filings.service import FilingService

DATA = Path(__file__).resolve().parents[1] / "data" / "exchange"
ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"


def exchange_on(url: str, clock: FakeClock) -> ExchangeService:
    return ExchangeService(FilingService(open_store(url), Settings(), clock=clock))


def close(exchange: ExchangeService) -> None:
    exchange.store.dispose()


def portfolio(service: FilingService, clock: FakeClock) -> None:
    """A small portfolio with a return, an approval, an upstream number and odd text."""
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    service.add_organisation(ORG, CODE, "110108")
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    service.rules.mark_all_provided(entity.ref, actor="test")
    service.advance(entity.ref, "submit", actor="pm")
    clock.tick(days=5)
    service.advance(entity.ref, "approve", actor="pm")
    algo = service.add_filing(
        FilingDraft(
            organisation=ORG,
            title='=星河写作助手, "生成"算法',
            upstream_model="豆包",
            upstream_filing_number="网信算备110108823483901230065号",
            launch_date=date(2026, 2, 20),
            description="第一行\n第二行",
        )
    )
    service.rules.mark_all_provided(algo.ref, actor="test")
    for event, kw in [
        ("submit", {}),
        ("pass_review", {}),
        ("return_for_revision", {"reason": "自评估报告缺少签字"}),
        ("resubmit", {"note": "已补签"}),
        ("pass_review", {}),
        ("approve", {"filing_number": "网信算备110108555010101260013号"}),
    ]:
        clock.tick(days=7)
        service.advance(algo.ref, event, actor="张三", **kw)  # type: ignore[arg-type]
    clock.tick(days=1)
    other = service.add_filing(FilingDraft(organisation=ORG, title="星河大模型", kind=Kind.GENAI_FILING))
    service.rules.mark_all_provided(other.ref, actor="test")
    service.advance(other.ref, "submit")
    clock.tick(days=1)
