"""The status report as an XLSX workbook: one sheet per section and a native bar chart of time per stage."""

from __future__ import annotations

from pathlib import Path

from states import label
from tracker.exchange.report import ReportData


def write_report_xlsx(data: ReportData, path: Path) -> None:
    """A workbook: summary, approved, returned, deadlines, and time per stage with a native bar chart."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "概览 Summary"
    summary.append([f"备案状态报告 Filing status report {data.since.isoformat()} – {data.until.isoformat()}"])
    summary.append(["filings tracked", data.total])
    summary.append(["generated", data.generated_at.isoformat(timespec="minutes")])
    summary.append([])
    summary.append(["kind", "stage", "filings"])
    for k, s, n in data.counts:
        summary.append([label(k, "both"), label(s, "both", k), n])
    approved = book.create_sheet("已备案 Approved")
    approved.append(["ref", "filing", "organisation", "number", "approved on", "imported"])
    for a in data.approved:
        approved.append(
            [
                a.ref,
                _safe(a.title),
                _safe(a.organisation),
                a.filing_number,
                a.approved_on,
                "yes" if a.imported else "",
            ]
        )
    returned = book.create_sheet("退回 Returned")
    returned.append(
        ["ref", "filing", "returned on", "by stage", "reason", "cost (working days)", "resubmitted on"]
    )
    for r in data.returned:
        returned.append(
            [
                r.ref,
                _safe(r.title),
                r.returned_on,
                label(r.returned_from, "zh"),
                _safe(r.reason),
                r.cost_days,
                r.resubmitted_on,
            ]
        )
    deadlines = book.create_sheet("期限 Deadlines")
    deadlines.append(
        ["ref", "filing", "deadline", "due", "working days left", "overdue", "provisional", "basis"]
    )
    for item in data.deadlines:
        d = item.deadline
        deadlines.append(
            [
                d.ref,
                _safe(item.title),
                d.label,
                d.due_date,
                d.working_days_left,
                "yes" if d.overdue else "",
                "yes" if item.provisional else "",
                d.basis,
            ]
        )
    times = book.create_sheet("用时 Stage times")
    times.append(["stage", "visits", "median (working days)", "worst (working days)"])
    for t in data.stage_times:
        times.append([t.label, t.visits, t.median_days, t.worst_days])
    if data.stage_times:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "各阶段用时（工作日）Time per stage (working days)"
        chart.y_axis.title = "working days"
        last = len(data.stage_times) + 1
        chart.add_data(Reference(times, min_col=3, max_col=4, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(times, min_col=1, min_row=2, max_row=last))
        chart.height, chart.width = 3 + 0.8 * len(data.stage_times), 20
        times.add_chart(chart, "F2")
    book.save(path)


def _safe(text: str) -> str:
    from tracker.exchange.writers import escape_cell

    return escape_cell(text)
