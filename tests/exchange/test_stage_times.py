"""Time per stage, as the report and the dashboard's chart show it: the same figures as the rules' forecasts learn
from, visit by visit, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta
from pathlib import Path

from states import Kind, Stage
from tests.helpers.clock import FakeClock
from tests.helpers.exchange import DATA, close, exchange_on, portfolio
from tracker.exchange.service import ExchangeService


def from_samples(exchange: ExchangeService) -> list[tuple[Kind, Stage, int, float, float]]:
    """Median and worst per stage computed visit by visit from the rules' samples."""
    out = []
    samples = exchange.filings.rules.stage_samples()
    for kind in Kind:
        by_stage: dict[Stage, list[float]] = {}
        for sample in samples.get(kind, []):
            by_stage.setdefault(sample.stage, []).append(sample.working_days)
        for stage in sorted(by_stage, key=list(Stage).index):
            values = by_stage[stage]
            out.append((kind, stage, len(values), float(statistics.median(values)), float(max(values))))
    return out


def figures(exchange: ExchangeService) -> list[tuple[Kind, Stage, int, float, float]]:
    return [(t.kind, t.stage, t.visits, t.median_days, t.worst_days) for t in exchange.stage_times()]


def histories(path: Path, count: int) -> None:
    """Filings with varied histories: returns, offline checks, events either side of midnight in Beijing, some
    still under review, over holidays and 调休 make-up days."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            day = date(2025, 9, 20) + timedelta(days=i * 3)
            clock = ["23:59:59", "00:00:00", "16:00:00", "08:00:00"]
            steps = ["submit", "pass_review"]
            if i % 3 == 0:
                steps += ["return_for_revision", "resubmit"]
            steps += ["start_offline_check", "pass_review"] if i % 4 == 1 else ["pass_review"]
            steps += [] if i % 5 == 4 else ["approve"]
            history = []
            for n, event in enumerate(steps):
                day += timedelta(days=(i * 7 + n * 5) % 23 + 1)
                event_row = {"event": event, "effective_at": f"{day.isoformat()}T{clock[(i + n) % 4]}+08:00"}
                if event == "return_for_revision":
                    event_row["reason"] = "自评估报告缺少签字"
                if event == "approve":
                    event_row["filing_number"] = f"网信算备110108{i:07d}0125{i:04d}号"
                history.append(event_row)
            row = {"ref": f"ALG-{i + 101:04d}", "organisation": f"星河智算第{i % 3 + 1}号有限公司",
                   "title": f"对话生成算法 v{i}", "kind": "algorithm", "algorithm_type": "generative", "history": history}  # fmt: skip
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def test_stage_times_equal_the_figures_learnt_visit_by_visit(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    exchange = exchange_on(db_url, clock)
    try:
        portfolio(exchange.filings, clock)
        histories(tmp_path / "histories.jsonl", 41)
        assert exchange.import_file(tmp_path / "histories.jsonl").created == 41
        exchange.import_file(DATA / "cac_algorithm.xlsx")  # approvals as imported facts: not timed
        expected = from_samples(exchange)
        assert figures(exchange) == expected
        assert {Stage.OFFLINE_CHECK, Stage.RETURNED} <= {stage for _, stage, _, _, _ in expected}
        assert any(visits % 2 == 0 for _, _, visits, _, _ in expected)  # a median between two visits
        # a new event shows at once (the figures are cached per database revision)
        clock.tick(days=2)
        exchange.filings.advance("GAI-0001", "pass_review")
        assert figures(exchange) == from_samples(exchange) != expected
    finally:
        close(exchange)
