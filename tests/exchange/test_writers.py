"""Exports read back by the import; the report parsed back (HTML, XLSX, Markdown); the calendar parsed back."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from states import AlgorithmType, Event, Kind, Role, Stage
from tracker.domain import DeadlineView, Filing, Organisation, Transition
from tracker.exchange.ical import calendar_bytes, deadline_uid
from tracker.exchange.readers import read_table
from tracker.exchange.report import (
    ApprovedItem,
    DeadlineItem,
    ReportData,
    ReturnedItem,
    StageTime,
    render_html,
    render_markdown,
)
from tracker.exchange.report_xlsx import write_report_xlsx
from tracker.exchange.rows import validate_rows
from tracker.exchange.writers import ExportRow, write_csv, write_jsonl, write_xlsx

T0 = datetime(2025, 4, 1, 1, 30, tzinfo=UTC)
ORG = Organisation(1, "北京星河智算科技有限公司", "91110108MA01A2B3CF", "110108", T0)
NUMBER = "网信算备110108555010102250013号"


def filing(ref: str, title: str, stage: Stage, number: str | None = None, **kw: object) -> Filing:
    base: dict[str, object] = dict(
        id=int(ref[-4:]),
        ref=ref,
        kind=Kind.ALGORITHM,
        title=title,
        organisation_id=1,
        organisation=ORG.name,
        role=Role.PROVIDER,
        algorithm_type=AlgorithmType.RECOMMENDATION,
        upstream_model=None,
        upstream_filing_number=None,
        stage=stage,
        returned_from=None,
        returns=0,
        filing_number=number,
        version=1,
        created_at=T0,
        updated_at=T0,
        stage_entered_at=T0,
    )
    base.update(kw)
    return Filing(**base)  # type: ignore[arg-type]


def transition(event: Event, src: Stage, dst: Stage, day: int, **kw: object) -> Transition:
    at = datetime(2025, 4, day, 1, 30, tzinfo=UTC)
    return Transition(0, 2, event, src, dst, at, at, "pm", "cli", **kw)  # type: ignore[arg-type]


HISTORY = (
    transition(Event.SUBMIT, Stage.DRAFT, Stage.INITIAL_REVIEW, 1),
    transition(Event.PASS_REVIEW, Stage.INITIAL_REVIEW, Stage.SECOND_REVIEW, 8),
    transition(
        Event.RETURN_FOR_REVISION, Stage.SECOND_REVIEW, Stage.RETURNED, 10, reason='缺少签字, "盖章"\n第二行'
    ),
    transition(Event.RESUBMIT, Stage.RETURNED, Stage.SECOND_REVIEW, 14),
    transition(Event.PASS_REVIEW, Stage.SECOND_REVIEW, Stage.FINAL_REVIEW, 20),
    transition(Event.APPROVE, Stage.FINAL_REVIEW, Stage.APPROVED, 25, filing_number=NUMBER),
)
ROWS = [
    ExportRow(
        filing(
            "ALG-0002",
            "星河资讯个性化推送算法",
            Stage.APPROVED,
            NUMBER,
            returns=1,
            launch_date=date(2025, 3, 1),
        ),
        ORG,
        date(2025, 4, 25),
        HISTORY,
    ),
    # a title a spreadsheet would take for a formula, and a description over several lines
    ExportRow(
        filing(
            "ALG-0003",
            '=HYPERLINK("http://x","点我")',
            Stage.DRAFT,
            algorithm_type=AlgorithmType.GENERATIVE,
            description="第一行\n第二行, 带逗号",
            public_opinion=False,
        ),
        ORG,
    ),
]


def read_back(path: Path) -> list[tuple[object, ...]]:
    records, problems = validate_rows(read_table(path).rows)
    assert problems == []
    return [
        (
            r.ref,
            r.title,
            r.organisation,
            r.credit_code,
            r.region,
            r.stage,
            r.filing_number,
            r.description,
            r.public_opinion,
            r.launch_date,
            r.returns,
            [(h.event, h.to_stage, h.effective_at, h.reason, h.actor, h.source) for h in r.history],
        )
        for r in records
    ]


EXPECTED = [
    ("ALG-0002", "星河资讯个性化推送算法", ORG.name, ORG.credit_code, "110108", Stage.APPROVED, NUMBER, None, True, date(2025, 3, 1), 1,
     [(t.event, t.to_stage, t.effective_at, t.reason, "pm", "cli") for t in HISTORY]),
    ("ALG-0003", "=HYPERLINK(\"http://x\",\"点我\")", ORG.name, ORG.credit_code, "110108", Stage.DRAFT, None, "第一行\n第二行, 带逗号", False, None, 0, []),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_csv_export_has_a_bom_and_reads_back(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "out.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        assert write_csv(out, ROWS, with_history=True, lang=lang) == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel shows Chinese text only with it
    assert "'=HYPERLINK" in data.decode("utf-8-sig")  # never run as a formula
    assert read_back(path) == EXPECTED


def test_xlsx_export_reads_back_and_holds_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ROWS, with_history=True)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert read_back(path) == EXPECTED


def test_jsonl_export_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_jsonl(out, ROWS, with_history=True)
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["history"][-1]["filing_number"] == NUMBER and first["title"] == "星河资讯个性化推送算法"
    assert read_back(path) == EXPECTED


def test_exports_without_history_leave_the_column_out() -> None:
    out = io.StringIO()
    write_csv(out, ROWS, with_history=False)
    assert "history" not in out.getvalue().splitlines()[0]


# -- the report -------------------------------------------------------------------------------------------------


def deadline(ref: str, due: date, *, overdue: bool, provisional: bool = False) -> DeadlineView:
    return DeadlineView(
        id="d1",
        zh="算法上线后备案",
        en="file after launch",
        trigger="launch_date",
        trigger_date=date(2026, 10, 9),
        due_date=due,
        working_days=10,
        working_days_left=-3 if overdue else 4,
        overdue=overdue,
        due_soon=not overdue,
        regulator_sla=False,
        basis="算法推荐规定 Art. 24 ¶1",
        warnings=("no holiday data for 2027: Monday–Friday assumed",) if provisional else (),
        filing_id=int(ref[-4:]),
        ref=ref,
    )


DATA = ReportData(
    generated_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
    since=date(2026, 10, 1),
    until=date(2026, 11, 2),
    total=5,
    counts=((Kind.ALGORITHM, Stage.SECOND_REVIEW, 2), (Kind.ALGORITHM, Stage.APPROVED, 3)),
    approved=(ApprovedItem("ALG-0002", "星河资讯<推送>算法", ORG.name, NUMBER, date(2026, 10, 20)),),
    returned=(
        ReturnedItem("ALG-0004", "星河绘图算法", ORG.name, date(2026, 10, 10), Stage.SECOND_REVIEW, "缺少签字", date(2026, 10, 16), 4),
        ReturnedItem("ALG-0005", "星河翻译算法", ORG.name, date(2026, 10, 28), Stage.INITIAL_REVIEW, "材料不全", None, 4),
    ),
    deadlines=(
        DeadlineItem(deadline("ALG-0006", date(2026, 10, 29), overdue=True), "星河调度算法", ORG.name),
        DeadlineItem(deadline("ALG-0007", date(2027, 1, 8), overdue=False, provisional=True), "星河排序算法", ORG.name),
    ),
    stage_times=(
        StageTime(Kind.ALGORITHM, Stage.INITIAL_REVIEW, 4, 6.0, 11.0),
        StageTime(Kind.ALGORITHM, Stage.SECOND_REVIEW, 3, 12.5, 30.0),
    ),
)  # fmt: skip


class Collect(HTMLParser):
    """Tables as lists of cell texts by class; SVG text elements; rect attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svg_text: list[str] = []
        self.bars: list[dict[str, str | None]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_text = False
        self._in_svg_title = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("class") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "text":
            self._in_text = True
            self.svg_text.append("")
        elif tag == "rect" and a.get("class") == "median":
            self.bars.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "text":
            self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_text:
            self.svg_text[-1] += data


def test_html_report_figures_parse_back() -> None:
    page = render_html(DATA)
    parsed = Collect()
    parsed.feed(page)
    assert parsed.tables["counts"][1:] == [
        ["算法备案 (algorithm)", "线上二审 (second review)", "2"],
        ["算法备案 (algorithm)", "已备案 (approved)", "3"],
    ]
    assert parsed.tables["approved"][1] == ["ALG-0002", "星河资讯<推送>算法", ORG.name, NUMBER, "2026-10-20"]
    assert "<推送>" not in page  # escaped
    returned = parsed.tables["returned"]
    assert [r[4] for r in returned[1:]] == ["缺少签字", "材料不全"] and returned[2][5] == "4 (still returned)"
    assert "8 working days lost" in page
    deadlines = parsed.tables["deadlines"]
    assert deadlines[1][0] == "ALG-0006" and deadlines[2][3] == "2027-01-08 (provisional)"
    assert "1 overdue" in page
    # the chart: labels are text, bars carry their figures
    assert "资质初审 (initial review)" in parsed.svg_text and "线上二审 (second review)" in parsed.svg_text
    assert [
        (b["data-stage"], float(b["data-median"] or 0), float(b["data-worst"] or 0)) for b in parsed.bars
    ] == [
        ("initial_review", 6.0, 11.0),
        ("second_review", 12.5, 30.0),
    ]
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_xlsx_report_figures_parse_back_with_a_native_chart(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_report_xlsx(DATA, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "概览 Summary",
        "已备案 Approved",
        "退回 Returned",
        "期限 Deadlines",
        "用时 Stage times",
    ]
    summary = [[c.value for c in row] for row in book["概览 Summary"].iter_rows()]
    assert ["算法备案 (algorithm)", "已备案 (approved)", 3] in summary and [
        "filings tracked",
        5,
        None,
    ] in summary
    approved = [[c.value for c in row] for row in book["已备案 Approved"].iter_rows(min_row=2)]
    assert approved[0][3] == NUMBER and approved[0][4] == datetime(2026, 10, 20)
    times = [[c.value for c in row] for row in book["用时 Stage times"].iter_rows(min_row=2)]
    assert times == [["资质初审 (initial review)", 4, 6, 11], ["线上二审 (second review)", 3, 12.5, 30]]
    deadlines = [[c.value for c in row] for row in book["期限 Deadlines"].iter_rows(min_row=2)]
    assert deadlines[0][5] == "yes" and deadlines[1][6] == "yes"
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert charts
        chart = archive.read(charts[0]).decode()
    assert "<barChart>" in chart and '<barDir val="bar"' in chart
    assert "'用时 Stage times'!$C$2:$C$3" in chart and "'用时 Stage times'!$A$2:$A$3" in chart


def test_markdown_report() -> None:
    text = render_markdown(DATA)
    assert f"| ALG-0002 | 星河资讯<推送>算法 | {ORG.name} | {NUMBER} | 2026-10-20 |" in text
    assert "| 线上二审 (second review) | 3 | 12.5 | 30 |" in text
    assert "(2, 8 working days lost)" in text and "1 overdue" in text
    assert "| ALG-0006 |" in text and "**overdue**" in text


# -- the calendar ---------------------------------------------------------------------------------------------------


def test_calendar_has_one_event_per_deadline_with_stable_uids() -> None:
    from icalendar import Calendar

    stamp = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    raw = calendar_bytes(DATA.deadlines, stamp=stamp)
    again = calendar_bytes(DATA.deadlines, stamp=datetime(2026, 11, 3, 1, 0, tzinfo=UTC))
    events = Calendar.from_ical(raw).walk("VEVENT")
    assert len(events) == 2
    uids = [str(e["UID"]) for e in events]
    assert uids == [str(e["UID"]) for e in Calendar.from_ical(again).walk("VEVENT")]
    assert uids[0] == deadline_uid(DATA.deadlines[0]) == "alg-0006.d1.2026-10-09@beian-tracker"
    first, second = events
    assert first.decoded("DTSTART") == date(2026, 10, 29)
    assert "ALG-0006" in str(first["SUMMARY"]) and "overdue" in str(first["SUMMARY"])
    description = str(first["DESCRIPTION"])
    assert (
        "星河调度算法" in description
        and "算法推荐规定 Art. 24 ¶1" in description
        and "Provisional: no" in description
    )
    assert "provisional" in str(second["SUMMARY"]) and str(second["X-BEIAN-PROVISIONAL"]) == "TRUE"
