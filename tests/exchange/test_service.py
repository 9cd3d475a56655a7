"""Import and export against SQLite and PostgreSQL: round trip, idempotence, reconciliation, all or nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from states import Event, Kind, Role, Stage
from tests.helpers.clock import FakeClock
from tests.helpers.exchange import CODE, DATA, ORG, close, exchange_on, portfolio
from tracker.domain import FilingDraft
from tracker.errors import Conflict, UsageError
from tracker.exchange.readers import ImportFileError
from tracker.exchange.service import ExchangeService
from tracker.exchange.writers import write_csv, write_jsonl, write_xlsx
from tracker.filings.service import FilingService


def snapshot(exchange: ExchangeService) -> list[tuple[Any, ...]]:
    service = exchange.filings
    out: list[tuple[Any, ...]] = []
    for f in service.filings():
        history = [
            (
                t.event,
                t.from_stage,
                t.to_stage,
                t.effective_at,
                t.recorded_at,
                t.actor,
                t.source,
                t.note,
                t.reason,
                t.filing_number,
            )
            for t in service.history(f.ref)
        ]
        org = service.organisation(f.organisation_id)
        out.append(
            (f.ref, f.kind, f.title, org.name, org.credit_code, org.region, f.stage, f.role, f.algorithm_type, f.filing_number,
             f.upstream_model, f.upstream_filing_number, f.launch_date, f.description, f.returned_from, f.returns, f.public_opinion,
             f.stage_entered_at, history)
        )  # fmt: skip
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_export_then_import_into_an_empty_database_reproduces_the_data(
    db_url: str, clock: FakeClock, tmp_path: Path, fresh_db: Callable[[], str], fmt: str
) -> None:
    source = exchange_on(db_url, clock)
    portfolio(source.filings, clock)
    before = snapshot(source)
    path = tmp_path / f"export.{fmt}"
    rows = list(source.export_rows(with_history=True))
    if fmt == "xlsx":
        write_xlsx(path, rows, with_history=True)
    else:
        with path.open("w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as out:
            (write_csv if fmt == "csv" else write_jsonl)(out, rows, with_history=True)
    close(source)

    target = exchange_on(fresh_db(), clock)
    try:
        result = target.import_file(path)
        assert result.plan.problems == [] and result.created == 3 and result.organisations == 1
        assert snapshot(target) == before
        # and importing it again changes nothing
        revision = target.filings.revision()
        again = target.import_file(path)
        assert {i.action for i in again.plan.items} == {"unchanged"}
        assert target.filings.revision() == revision
        assert snapshot(target) == before
    finally:
        close(target)


def test_a_cac_list_into_an_empty_database(db_url: str, clock: FakeClock) -> None:
    exchange = exchange_on(db_url, clock)
    try:
        result = exchange.import_file(DATA / "cac_genai.xlsx")
        assert result.created == 6 and result.organisations == 6
        service = exchange.filings
        central = service.organisation("中国九州通信集团有限公司")
        assert central.credit_code is None and central.region is None
        filing = next(f for f in service.filings() if f.filing_number == "ZhongYangQiYe-JiuZhou-202511050007")
        assert filing.kind is Kind.GENAI_FILING and filing.stage is Stage.APPROVED
        [fact] = service.history(filing.ref)
        assert (fact.event, fact.from_stage, fact.to_stage, fact.source) == (
            Event.APPROVE,
            Stage.DRAFT,
            Stage.APPROVED,
            "import",
        )
        assert fact.effective_at == datetime(
            2025, 12, 2, 1, 0, tzinfo=UTC
        )  # 09:00 Beijing on the list's date
        assert "cac_genai.xlsx" in (fact.note or "")
        registration = next(f for f in service.filings() if f.kind is Kind.GENAI_REGISTRATION)
        assert registration.ref == "REG-0001" and registration.filing_number.endswith("S0031")  # type: ignore[union-attr]
        assert {t.source for f in service.filings() for t in service.history(f.ref)} == {"import"}
        # imported facts are never timed by the forecasts
        assert exchange.filings.rules.stage_samples() == {}
    finally:
        close(exchange)


def test_the_organisation_region_comes_from_the_number(db_url: str, clock: FakeClock) -> None:
    exchange = exchange_on(db_url, clock)
    try:
        exchange.import_file(DATA / "cac_algorithm.xlsx")
        assert exchange.filings.organisation("厦门鹭岛出行科技有限公司").region == "350206"
    finally:
        close(exchange)


def reconciliation_db(service: FilingService, clock: FakeClock) -> dict[str, str]:
    """Filings also in cac_deep_synthesis_gbk.csv: one in final review, one in second review, one approved with
    another number, and one the list does not know."""
    clock.now = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    refs = {}
    service.add_organisation(ORG, CODE, "110108")
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    service.rules.mark_all_provided(entity.ref)
    service.advance(entity.ref, "submit")
    service.advance(entity.ref, "approve")
    service.add_organisation("上海青禾数据服务有限公司", "91310110MA1G2H3J4D", "310115")
    for key, org, title, role, events in [
        ("final", ORG, "星河写作助手生成合成算法", "provider", ["submit", "pass_review", "pass_review"]),
        (
            "second",
            "上海青禾数据服务有限公司",
            "青禾语音合成算法",
            "tech_supporter",
            ["submit", "pass_review"],
        ),
        ("other", ORG, "星河未上榜算法", "provider", ["submit"]),
    ]:
        if org != ORG:
            ent = service.add_filing(FilingDraft(organisation=org, title="主体备案", kind=Kind.ENTITY))
            service.rules.mark_all_provided(ent.ref)
            service.advance(ent.ref, "submit")
            service.advance(ent.ref, "approve")
        filing = service.add_filing(FilingDraft(organisation=org, title=title, role=Role(role)))
        service.rules.mark_all_provided(filing.ref)
        for event in events:
            clock.tick(days=3)
            service.advance(filing.ref, event)
        refs[key] = filing.ref
    clock.now = datetime(2025, 6, 30, 1, 0, tzinfo=UTC)
    return refs


def test_reconciliation_plan_then_apply(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    exchange = exchange_on(db_url, clock)
    service = exchange.filings
    try:
        refs = reconciliation_db(service, clock)
        revision = service.revision()
        plan = exchange.import_file(DATA / "cac_deep_synthesis_gbk.csv", check=True).plan
        actions = {(i.record.row, i.action, i.ref) for i in plan.items}
        assert (3, "approve", refs["final"]) in actions
        assert (4, "approve", refs["second"]) in actions  # from 线上二审: the list is the regulator's word
        assert [i.action for i in plan.items].count("new") == 2
        approve_second = next(i for i in plan.items if i.ref == refs["second"])
        assert any("not recorded" in c for c in approve_second.changes)
        assert service.revision() == revision  # --check wrote nothing

        result = exchange.import_file(DATA / "cac_deep_synthesis_gbk.csv")
        assert (result.approved, result.created, result.organisations) == (2, 2, 1)
        final = service.filing(refs["final"])
        assert final.stage is Stage.APPROVED and final.filing_number == "网信算备110108555010101250027号"
        last = service.history(refs["final"])[-1]
        assert (last.event, last.source, last.from_stage) == (Event.APPROVE, "import", Stage.FINAL_REVIEW)
        assert last.effective_at == datetime(2025, 5, 1, 1, 0, tzinfo=UTC) or last.effective_at >= datetime(
            2025, 5, 1, tzinfo=UTC
        )
        assert service.filing(refs["other"]).stage is Stage.INITIAL_REVIEW  # untouched
        # the review visit ended by the imported approval is not learnt from; earlier visits are
        samples = service.rules.stage_samples()
        timed = [(s.stage, s.filing_id) for s in samples.get(Kind.ALGORITHM, [])]
        final_id = service.filing(refs["final"]).id
        assert (Stage.INITIAL_REVIEW, final_id) in timed and (Stage.FINAL_REVIEW, final_id) not in timed
        # importing it again changes nothing
        again = exchange.import_file(DATA / "cac_deep_synthesis_gbk.csv")
        assert {i.action for i in again.plan.items} == {"unchanged"}
    finally:
        close(exchange)


def test_conflicts_refuse_the_whole_import_or_are_skipped(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    exchange = exchange_on(db_url, clock)
    service = exchange.filings
    try:
        refs = reconciliation_db(service, clock)
        # the database already holds the list's number for 星河写作助手 on another filing
        service.advance(refs["final"], "approve", filing_number="网信算备110108555010101250099号")
        revision = service.revision()
        with pytest.raises(Conflict, match="nothing imported"):
            exchange.import_file(DATA / "cac_deep_synthesis_gbk.csv")
        assert service.revision() == revision
        rejected = tmp_path / "rejected.csv"
        result = exchange.import_file(DATA / "cac_deep_synthesis_gbk.csv", skip_invalid=rejected)
        assert result.rejected == 1 and result.approved == 1 and result.created == 2
        with rejected.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][-1] == "reason" and rows[0][:3] == ["序号", "算法名称", "角色"]
        assert rows[1][1] == "星河写作助手生成合成算法" and "网信算备110108555010101250099号" in rows[1][-1]
        assert oct(rejected.stat().st_mode & 0o777) == "0o600"
    finally:
        close(exchange)


def test_invalid_rows_refuse_the_import_and_skip_invalid_imports_the_rest(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    exchange = exchange_on(db_url, clock)
    service = exchange.filings
    try:
        with pytest.raises(UsageError, match="7 problem"):
            exchange.import_file(DATA / "bad_rows.csv")
        assert service.filings() == [] and service.organisations() == [] and service.revision() == 0
        rejected = tmp_path / "fix-me.csv"
        result = exchange.import_file(DATA / "bad_rows.csv", skip_invalid=rejected)
        assert result.created == 2 and result.rejected == 7
        # the user fixes the file and imports it: the fixed rows come in, nothing is duplicated
        with rejected.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        fixed = tmp_path / "fixed.csv"
        keep = [r for r in rows if r["参考号"] in ("ALG-0009", "ALG-0010")]
        keep[0]["当前阶段"] = "线上二审"
        keep[1]["统一社会信用代码"] = CODE
        with fixed.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=[k for k in rows[0] if k != "reason"], extrasaction="ignore"
            )
            writer.writeheader()
            writer.writerows(keep)
        second = exchange.import_file(fixed)
        assert second.created == 2 and second.plan.problems == []
        assert service.organisation(ORG).credit_code == CODE  # learnt from the fixed row
        assert sorted(f.ref for f in service.filings()) == ["ALG-0001", "ALG-0002", "ALG-0009", "ALG-0010"]
    finally:
        close(exchange)


@pytest.mark.parametrize(
    "name", ["bad_not_xlsx.xlsx", "bad_truncated.xlsx", "bad_mixed_encodings.csv", "bad_xlsx_named_csv.csv"]
)
def test_unreadable_files_change_nothing(db_url: str, clock: FakeClock, name: str) -> None:
    exchange = exchange_on(db_url, clock)
    try:
        with pytest.raises(ImportFileError):
            exchange.import_file(DATA / name)
        assert exchange.filings.revision() == 0 and exchange.filings.filings() == []
    finally:
        close(exchange)


def test_an_updated_file_applies_only_the_differences(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    exchange = exchange_on(db_url, clock)
    service = exchange.filings
    try:
        exchange.import_file(DATA / "portfolio_utf8.csv")
        text = (DATA / "portfolio_utf8.csv").read_text(encoding="utf-8")
        updated = tmp_path / "portfolio.csv"
        updated.write_text(text.replace("2026-09-01", "2026-09-15"), encoding="utf-8")
        revision = service.revision()
        result = exchange.import_file(updated)
        assert [(i.action, i.ref) for i in result.plan.items if i.action != "unchanged"] == [
            ("update", "ALG-0001")
        ]
        assert result.updated == 1 and service.revision() == revision + 1
        assert service.filing("ALG-0001").launch_date == date(2026, 9, 15)
    finally:
        close(exchange)


def test_report_and_calendar_from_the_database(db_url: str, clock: FakeClock) -> None:
    exchange = exchange_on(db_url, clock)
    try:
        portfolio(exchange.filings, clock)
        data = exchange.report_data(since=date(2026, 1, 1))
        assert data.total == 3
        assert [(a.ref, a.filing_number, a.imported) for a in data.approved if a.filing_number] == [
            ("ALG-0001", "网信算备110108555010101260013号", False)
        ]
        [returned] = data.returned
        assert (
            returned.reason == "自评估报告缺少签字"
            and returned.resubmitted_on is not None
            and returned.cost_days == 5
        )
        stages = {(t.kind, t.stage): t for t in data.stage_times}
        second = stages[(Kind.ALGORITHM, Stage.SECOND_REVIEW)]
        assert second.visits == 2 and second.worst_days >= second.median_days > 0
        items = exchange.calendar_items()
        assert all(item.deadline.ref for item in items)
        assert {item.deadline.ref for item in items} == {d.ref for _, d in exchange.filings.rules.due()}
    finally:
        close(exchange)


def test_apply_and_demo_events_are_learnt_from_but_not_imported_facts(
    sqlite_url: str, clock: FakeClock
) -> None:
    exchange = exchange_on(sqlite_url, clock)
    try:
        exchange.import_file(DATA / "portfolio.jsonl")  # a real history: timed
        samples = exchange.filings.rules.stage_samples()
        assert {s.stage for s in samples[Kind.ALGORITHM]} == {
            Stage.INITIAL_REVIEW,
            Stage.SECOND_REVIEW,
            Stage.RETURNED,
            Stage.FINAL_REVIEW,
        }
    finally:
        close(exchange)


def test_the_sqlite_export_path_gives_the_same_cells_as_the_generic_one(
    sqlite_url: str, clock: FakeClock
) -> None:
    from tracker.exchange.writers import cells

    exchange = exchange_on(sqlite_url, clock)
    try:
        portfolio(exchange.filings, clock)
        exchange.import_file(DATA / "cac_genai.xlsx")
        for with_history in (False, True):
            fast = list(exchange.export_cells(with_history=with_history))
            generic = [cells(row, with_history) for row in exchange.export_rows(with_history=with_history)]
            assert fast == generic and len(fast) == 8  # 星河大模型 was matched, not added
            assert fast[0][2].startswith("'=")  # escaped like the generic path
    finally:
        close(exchange)
