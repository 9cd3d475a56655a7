"""Filings in known states, recorded through `FilingService` or the CLI: shared by the clock, changed-since and
digest tests. Effective times are 10:00 Beijing on the day given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from states import Kind
from tests.helpers.cli import Beian, Result
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
OTHER_ORG = "上海示例人工智能有限公司"
OTHER_CODE = "91310115MA1K4LXX18"
NUMBER = "网信算备110108555010101260041号"


def at(day: str) -> datetime:
    """10:00 in Beijing on `day` (YYYY-MM-DD), as aware UTC."""
    return datetime.fromisoformat(f"{day}T02:00:00").replace(tzinfo=UTC)


def approved_org(
    service: FilingService, name: str = ORG, code: str = CODE, *, actor: str | None = None
) -> None:
    """An organisation with its entity filing (主体备案) approved."""
    service.add_organisation(name, code, "110108")
    entity = service.add_filing(FilingDraft(organisation=name, title=f"{name} 主体备案", kind=Kind.ENTITY))
    service.rules.mark_all_provided(entity.ref, actor="test")
    service.advance(entity.ref, "submit", actor=actor)
    service.advance(entity.ref, "approve", actor=actor)


def algorithm(service: FilingService, title: str = "星河写作助手", *, org: str = ORG, **kw: Any) -> str:
    """A new algorithm filing in draft with every checklist item provided; returns its reference."""
    ref = service.add_filing(FilingDraft(organisation=org, title=title, **kw)).ref
    service.rules.mark_all_provided(ref, actor="test")
    return ref


RETURNED_TWICE = (
    ("submit", "2026-09-14", None),
    ("pass_review", "2026-09-21", None),
    ("return_for_revision", "2026-09-28", "自评估报告缺少签字"),
    ("resubmit", "2026-10-12", None),
    ("return_for_revision", "2026-10-19", "拟公示内容不完整"),
    ("resubmit", "2026-10-26", None),
)
"""Submitted 09-14, returned 09-28 and 10-19 (over 中秋 and National Day 2026), resubmitted 10-12 and 10-26."""


def returned_twice(service: FilingService) -> str:
    """An algorithm filing through `RETURNED_TWICE`, back in 线上二审; returns its reference."""
    approved_org(service)
    ref = algorithm(service)
    for event, day, reason in RETURNED_TWICE:
        service.advance(ref, event, reason=reason, at=at(day))
    return ref


def ok(result: Result) -> Result:
    """Assert a `beian` run succeeded."""
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def cli_returned_twice(beian: Beian, service: FilingService) -> str:
    """The same filing recorded with `beian advance … --at`, after `service` set up the organisation."""
    approved_org(service)
    ref = algorithm(service)
    for event, day, reason in RETURNED_TWICE:
        ok(beian("advance", ref, event, "--at", f"{day} 10:00", *(("--reason", reason) if reason else ())))
    return ref
