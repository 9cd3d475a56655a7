"""Reading import files: encodings, workbooks, JSON Lines, the CAC list layouts, and every kind of bad input."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

import tracker.exchange.fields as fields_module
from states import AlgorithmType, Kind, Role, Stage
from tracker.errors import UsageError
from tracker.exchange.fields import Layout, field_table_markdown, parse_maps
from tracker.exchange.readers import ImportFileError, read_table
from tracker.exchange.rows import ImportRecord, Problem, validate_rows

DATA = Path(__file__).parent.parent / "data" / "exchange"


def load(name: str, **kw: object) -> tuple[list[ImportRecord], list[Problem]]:
    table = read_table(DATA / name, **kw)  # type: ignore[arg-type]
    return validate_rows(table.rows)


def essentials(records: list[ImportRecord]) -> list[tuple[object, ...]]:
    return [
        (
            r.ref,
            r.kind,
            r.title,
            r.organisation,
            r.credit_code,
            r.stage,
            r.algorithm_type,
            r.role,
            r.filing_number,
            r.approved_on,
        )
        for r in records
    ]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("portfolio_utf8.csv", "utf-8"),
        ("portfolio_utf8_bom.csv", "utf-8-sig"),
        ("portfolio_gbk.csv", "gb18030"),
        ("portfolio.xlsx", None),
    ],
)
def test_the_same_spreadsheet_in_every_encoding_and_format_reads_the_same(
    name: str, encoding: str | None
) -> None:
    table = read_table(DATA / name)
    assert table.encoding == encoding
    assert table.layout is Layout.SPREADSHEET
    records, problems = validate_rows(table.rows)
    assert problems == []
    reference, _ = load("portfolio_utf8.csv")
    assert essentials(records) == essentials(reference)
    by_ref = {r.ref: r for r in records}
    assert by_ref["ENT-0001"].kind is Kind.ENTITY and by_ref["ENT-0001"].stage is Stage.APPROVED
    assert by_ref["ALG-0001"].stage is Stage.SECOND_REVIEW and by_ref["ALG-0001"].launch_date == date(
        2026, 9, 1
    )
    approved = by_ref["ALG-0002"]
    assert approved.filing_number == "网信算备110108555010102250013号"
    assert approved.approved_on == date(2025, 6, 20)
    assert approved.algorithm_type is AlgorithmType.RECOMMENDATION
    assert by_ref["ALG-0003"].role is Role.TECH_SUPPORTER and by_ref["ALG-0003"].credit_code is None
    assert (
        by_ref["GAI-0001"].kind is Kind.GENAI_FILING and by_ref["GAI-0001"].stage is Stage.PROVINCIAL_REVIEW
    )
    registration = by_ref["REG-0001"]
    assert registration.kind is Kind.GENAI_REGISTRATION
    assert registration.filing_number == "Zhejiang-YunQiWenDa-20260310S0012"
    assert "备注：调用已备案大模型" in (registration.description or "")


def test_jsonl_with_history() -> None:
    records, problems = load("portfolio.jsonl")
    assert problems == []
    approved = next(r for r in records if r.ref == "ALG-0002")
    assert [h.event.value for h in approved.history] == [
        "submit",
        "pass_review",
        "return_for_revision",
        "resubmit",
        "pass_review",
        "approve",
    ]
    assert approved.stage is Stage.APPROVED and approved.filing_number == "网信算备110108555010102250013号"
    assert approved.history[2].reason == "自评估报告缺少签字"
    assert approved.history[3].to_stage is Stage.SECOND_REVIEW  # back to the stage that returned it


def test_cac_algorithm_list() -> None:
    table = read_table(DATA / "cac_algorithm.xlsx")
    assert table.layout is Layout.CAC_ALGORITHM
    records, problems = validate_rows(table.rows)
    assert problems == [] and len(records) == 5
    assert all(r.stage is Stage.APPROVED and r.kind is Kind.ALGORITHM for r in records)
    assert all(r.approved_on == date(2025, 6, 1) for r in records)  # from the list's title line
    assert [r.algorithm_type.code for r in records if r.algorithm_type] == ["02", "03", "05", "04", "01"]
    assert (
        records[0].filing_number == "网信算备110108555010102250013号"
    )  # spaces of the published list removed
    assert records[1].region == "310115" and records[1].credit_code is None
    assert records[0].description == "应用产品：星河资讯APP\n主要用途：根据用户浏览记录推荐资讯内容"


def test_cac_algorithm_list_with_bare_digits_and_a_list_date() -> None:
    table = read_table(DATA / "cac_algorithm_bare_digits.csv")
    records, problems = validate_rows(table.rows, list_date=date(2025, 6, 12))
    assert problems == []
    assert records[2].filing_number == "网信算备350206712345605250017号"
    assert any("bare 21 digits" in n for n in records[2].notes)
    assert {r.approved_on for r in records} == {date(2025, 6, 12)}


def test_cac_deep_synthesis_list_in_gbk() -> None:
    table = read_table(DATA / "cac_deep_synthesis_gbk.csv")
    assert table.encoding == "gb18030" and table.layout is Layout.CAC_DEEP_SYNTHESIS
    records, problems = validate_rows(table.rows)
    assert problems == []
    assert [r.role for r in records] == [
        Role.PROVIDER,
        Role.TECH_SUPPORTER,
        Role.PROVIDER,
        Role.TECH_SUPPORTER,
    ]
    assert all(r.algorithm_type is AlgorithmType.GENERATIVE for r in records)
    # one algorithm filed in both roles: two filings, two numbers
    assert records[2].title == records[3].title and records[2].filing_number != records[3].filing_number
    assert records[0].approved_on == date(2025, 5, 1)


def test_cac_genai_list_with_both_series() -> None:
    table = read_table(DATA / "cac_genai.xlsx")
    assert table.layout is Layout.CAC_GENAI
    records, problems = validate_rows(table.rows)
    assert problems == []
    filed = [r for r in records if r.kind is Kind.GENAI_FILING]
    registered = [r for r in records if r.kind is Kind.GENAI_REGISTRATION]
    assert len(filed) == 4 and len(registered) == 2
    assert registered[0].filing_number == "Guangdong-ZhuJiangXieZuo-20251118S0031"
    assert {r.approved_on for r in records} == {date(2025, 12, 2)}
    central = next(r for r in filed if r.filing_number and r.filing_number.startswith("ZhongYangQiYe-"))
    assert central.organisation == "中国九州通信集团有限公司" and central.region is None
    assert filed[0].region == "110000"  # 北京


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("bad_not_xlsx.xlsx", "is not an XLSX workbook"),
        ("bad_truncated.xlsx", "truncated or damaged"),
        ("bad_xlsx_named_csv.csv", "is a ZIP file"),
        ("bad_mixed_encodings.csv", "mixes encodings: line 1 is UTF-8, line 3 is not"),
    ],
)
def test_files_that_cannot_be_read_get_one_clear_line(name: str, fragment: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_table(DATA / name)
    assert fragment in str(caught.value)
    assert name in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_rows_are_reported_by_row_column_value_and_reason() -> None:
    records, problems = load("bad_rows.csv")
    found = {(p.row, p.column): p for p in problems}
    assert "duplicate reference: row 2" in found[(3, "参考号")].reason
    assert "unknown stage '二审中了'" in found[(4, "当前阶段")].reason
    assert "check character" in found[(5, "统一社会信用代码")].reason
    assert found[(5, "统一社会信用代码")].value == "91110108MA01A2B3CX"
    assert "type digits 03" in found[(6, "备案编号")].reason
    assert "placeholder" in found[(7, "备案编号")].reason and found[(7, "备案编号")].value == "待定"
    assert "issued only on approval" in found[(8, "备案编号")].reason
    assert "organisation" in found[(9, "主体名称")].reason
    assert len(problems) == 7
    assert [r.ref for r in records] == ["ALG-0001", "ALG-0002"]


def test_a_formula_cell_is_reported_not_evaluated() -> None:
    records, problems = load("bad_formula.xlsx")
    [problem] = problems
    assert problem.row == 3 and problem.column == "算法名称" and problem.sheet == "台账"
    assert problem.value.startswith("=CONCATENATE(") and "not evaluated" in problem.reason
    assert [r.ref for r in records] == ["ALG-0001"]


def test_history_backwards_in_time_or_along_no_transition() -> None:
    _, problems = load("bad_history.jsonl")
    first, second = problems
    assert first.row == 1 and "goes backwards" in first.reason
    assert second.row == 2 and "not possible in stage initial_review" in second.reason


def test_100_mb_of_garbage_gets_a_clear_report(tmp_path: Path) -> None:
    random = tmp_path / "garbage.csv"
    with random.open("wb") as handle:
        for _ in range(100):
            handle.write(os.urandom(1 << 20))
    with pytest.raises(ImportFileError, match="binary data"):
        read_table(random)
    text = tmp_path / "garbage.xlsx"
    text.write_bytes(b"x" * (100 << 20))
    with pytest.raises(ImportFileError, match="not an XLSX workbook"):
        read_table(text)
    plain = tmp_path / "garbage.jsonl"
    plain.write_bytes(b"{" * (100 << 20))
    with pytest.raises(ImportFileError, match="line 1"):
        read_table(plain)
    letters = tmp_path / "letters.csv"
    letters.write_bytes((b"lorem,ipsum,dolor\n" * 6_000_000)[: 100 << 20])
    with pytest.raises(ImportFileError, match="no header row"):
        read_table(letters)


def test_unknown_columns_need_a_map(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "公司,产品名,号码\n北京星河智算科技有限公司,星河写作助手生成合成算法,网信算备110108555010101250027号\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError, match="no header row") as caught:
        read_table(path)
    assert "--map" in str(caught.value)
    maps = parse_maps(["公司=主体名称", "产品名=title", "号码=filing_number"])
    records, problems = validate_rows(read_table(path, maps=maps).rows)
    assert problems == [] and records[0].stage is Stage.APPROVED
    with pytest.raises(UsageError, match="unknown field"):
        parse_maps(["公司=公司"])
    with pytest.raises(UsageError, match="COLUMN=FIELD"):
        parse_maps(["公司"])


def test_unknown_extra_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text(
        "主体名称,算法名称,负责人\n北京星河智算科技有限公司,星河写作助手,张三\n", encoding="utf-8"
    )
    table = read_table(path)
    assert table.ignored_columns == ["负责人"]
    dropped = read_table(path, maps=parse_maps(["负责人=-"]))
    assert dropped.ignored_columns == []


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b'{"title": "a", "title": "b"}\n', "appears twice"),
        (b"[1, 2]\n", "expected a JSON object"),
        (b'{"title": "\xff"}\n', "not UTF-8"),
        (b"[" * 100_000 + b"\n", "line 1"),
    ],
)
def test_bad_json_lines(tmp_path: Path, line: bytes, fragment: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(line)
    with pytest.raises(ImportFileError, match=fragment):
        read_table(path)


def test_duplicates_within_a_file_by_number_and_name(tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    rows = [
        {"organisation": "甲公司", "title": "甲算法", "filing_number": "Beijing-DeepseekChat-202404280016"},
        {"organisation": "乙公司", "title": "乙算法", "filing_number": "Beijing-DeepSeekChat-202404280016"},
        {"organisation": "甲公司 ", "title": "甲算法", "kind": "genai_filing", "stage": "草稿"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    records, problems = load_path(path)
    assert [p.row for p in problems] == [2, 3]
    assert "duplicate filing number: row 1" in problems[0].reason
    assert "same organisation and name" in problems[1].reason


def load_path(path: Path) -> tuple[list[ImportRecord], list[Problem]]:
    return validate_rows(read_table(path).rows)


def test_dates_outside_the_plausible_window_and_odd_values(tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(
        "主体名称,算法名称,上线时间,舆论属性,属地\n"
        "甲公司,甲算法,9999-12-31,是,110108\n"
        "甲公司,乙算法,2026年2月30日,maybe,000000\n"
        "甲公司,丙算法,2026/3/1,否,广东省\n",
        encoding="utf-8",
    )
    records, problems = load_path(path)
    reasons = [(p.row, p.column, p.reason) for p in problems]
    assert any(r == 2 and c == "上线时间" and "2000–2100" in why for r, c, why in reasons)
    assert any(r == 3 and c == "上线时间" and "not a date" in why for r, c, why in reasons)
    assert any(r == 3 and c == "舆论属性" for r, c, _ in reasons)
    assert any(r == 3 and c == "属地" for r, c, _ in reasons)
    [good] = records
    assert good.launch_date == date(2026, 3, 1) and good.public_opinion is False and good.region == "440000"


def test_the_documented_mapping_is_the_one_used() -> None:
    assert field_table_markdown() in (fields_module.__doc__ or "")
