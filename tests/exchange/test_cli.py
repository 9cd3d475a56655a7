"""`beian import`, `export`, `report` and `calendar` as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import Beian

DATA = Path(__file__).parent.parent / "data" / "exchange"


def test_import_check_reports_and_changes_nothing(beian: Beian) -> None:
    assert beian("init").code == 0
    result = beian("import", str(DATA / "bad_rows.csv"), "--check")
    assert result.code == 2
    assert (
        "7 problem(s) in 7 row(s)" in result.out
        and "二审中了" in result.out
        and "checked: nothing written" in result.out
    )
    assert "\r" not in result.err  # no progress bar when not on a terminal
    report = beian("import", str(DATA / "bad_rows.csv"), "--check", "--json")
    assert report.code == 2
    data = report.json()
    assert data["written"] is False and len(data["problems"]) == 7
    assert {"row": 4, "sheet": None, "column": "当前阶段", "value": "二审中了"}.items() <= data["problems"][
        1
    ].items()
    assert beian("list", "--json").json() == []


def test_import_all_or_nothing_then_skip_invalid(beian: Beian, tmp_path: Path) -> None:
    beian("init")
    refused = beian("import", str(DATA / "bad_rows.csv"))
    line = refused.fails_cleanly(2)
    assert "nothing imported" in line and "--check" in line
    assert beian("list", "--json").json() == []
    rejected = tmp_path / "rejected.csv"
    done = beian("import", str(DATA / "bad_rows.csv"), "--skip-invalid", str(rejected))
    assert done.code == 0, done.err
    assert "imported: 2 created" in done.out and "7 rejected row(s)" in done.out
    assert rejected.read_bytes().startswith(b"\xef\xbb\xbf")
    assert oct(rejected.stat().st_mode & 0o777) == "0o600"


def test_unreadable_files_exit_2_with_one_line(beian: Beian, tmp_path: Path) -> None:
    beian("init")
    for name in ("bad_truncated.xlsx", "bad_not_xlsx.xlsx", "bad_mixed_encodings.csv"):
        line = beian("import", str(DATA / name)).fails_cleanly(2)
        assert name in line
    assert "cannot read" in beian("import", str(tmp_path / "missing.csv")).fails_cleanly(2)
    assert "--map" in beian("import", str(DATA / "portfolio.xlsx"), "--map", "nonsense").fails_cleanly(2)
    assert "--list-date" in beian(
        "import", str(DATA / "cac_algorithm.xlsx"), "--list-date", "9999-01-01"
    ).fails_cleanly(2)


def test_reconciliation_needs_apply(beian: Beian) -> None:
    beian("init")
    assert beian("import", str(DATA / "portfolio_gbk.csv")).code == 0
    plan = beian("import", str(DATA / "cac_deep_synthesis_gbk.csv"))
    assert plan.code == 0
    assert "approve" in plan.out and "run again with --apply" in plan.err
    assert beian("show", "ALG-0001", "--json").json()["stage"] == "second_review"
    applied = beian("import", str(DATA / "cac_deep_synthesis_gbk.csv"), "--apply", "--json")
    assert applied.code == 0, applied.err
    assert applied.json()["approved"] == 1
    shown = beian("show", "ALG-0001", "--json").json()
    assert shown["stage"] == "approved" and shown["filing_number"] == "网信算备110108555010101250027号"
    history = beian("history", "ALG-0001", "--json").json()
    assert history[-1]["source"] == "import" and history[-1]["event"] == "approve"
    again = beian("import", str(DATA / "cac_deep_synthesis_gbk.csv"), "--json").json()
    assert {item["action"] for item in again["plan"]} == {"unchanged"}


def test_export_report_and_calendar(beian: Beian, tmp_path: Path) -> None:
    beian("init")
    beian("import", str(DATA / "portfolio.jsonl"))
    exported = beian("export", "--history")
    assert exported.code == 0 and exported.out.startswith("\ufeffref,kind,title")
    assert "网信算备110108555010102250013号" in exported.out
    out = tmp_path / "filings.xlsx"
    assert beian("export", "--out", str(out), "--lang", "zh").code == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    jsonl = beian("export", "--format", "jsonl", "--kind", "algorithm")
    assert [json.loads(line)["ref"] for line in jsonl.out.splitlines()] == ["ALG-0001", "ALG-0002"]
    html = tmp_path / "report.html"
    done = beian("report", "--out", str(html), "--since", "2025-01-01")
    assert done.code == 0, done.err
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "网信算备110108555010102250013号" in page and "自评估报告缺少签字" in page
    assert beian("report", "--format", "xlsx").fails_cleanly(2)
    assert beian("report", "--since", "2026-13-40").fails_cleanly(2)
    markdown = beian("report", "--since", "2025-01-01")
    assert markdown.out.startswith("# 备案状态报告")
    ics = beian("calendar")
    assert ics.code == 0 and ics.out.startswith("BEGIN:VCALENDAR")
    cal = tmp_path / "deadlines.ics"
    assert beian("calendar", "--out", str(cal)).code == 0 and cal.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_export_never_contains_secrets(beian: Beian, monkeypatch: object) -> None:
    beian("init")
    beian("import", str(DATA / "portfolio_utf8.csv"))
    beian("notify", "recipients", "add", "+8613800138000", "--org", "北京星河智算科技有限公司")
    exported = beian("export", "--history", "--format", "jsonl").out
    assert "13800138000" not in exported and "token" not in exported.lower()
