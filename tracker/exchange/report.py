"""The status report a manager forwards: HTML (inline SVG chart), XLSX (native chart) or Markdown.

The service gathers a `ReportData`; the renderers here are pure. Durations are in Chinese working days (工作日,
调休 make-up days count, holidays do not) as the rules layer counts them; dates are Beijing calendar dates.
In HTML every label of the chart is SVG `<text>`, so the reader's browser draws the Chinese with its own fonts
and the machine making the report needs no CJK font.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime

from states import Kind, Stage, label
from tracker.domain import DeadlineView

REPORT_FORMATS = ("html", "xlsx", "md")


@dataclass(frozen=True, slots=True)
class StageTime:
    """Working days spent in one stage over every finished visit: median and worst."""

    kind: Kind
    stage: Stage
    visits: int
    median_days: float
    worst_days: float

    @property
    def label(self) -> str:
        """`线上二审 (second review)`, with the kind when it is not an algorithm filing."""
        text = label(self.stage, "both", self.kind)
        return text if self.kind is Kind.ALGORITHM else f"{label(self.kind, 'zh')} · {text}"


def stage_time_rows(spent: dict[tuple[Kind, Stage], dict[float, int]]) -> tuple[StageTime, ...]:
    """`StageTime`s from tallies {(kind, stage): {working days: visits}}, by kind then stage in the machines'
    order; the median is that of every visit (the mean of the two middle ones for an even count)."""
    kinds, stages = {k: i for i, k in enumerate(Kind)}, {s: i for i, s in enumerate(Stage)}
    out = []
    for kind, stage in sorted(spent, key=lambda ks: (kinds[ks[0]], stages[ks[1]])):
        tally = sorted(spent[(kind, stage)].items())
        visits = sum(n for _, n in tally)
        middle = [_nth(tally, (visits - 1) // 2), _nth(tally, visits // 2)]
        out.append(StageTime(kind, stage, visits, (middle[0] + middle[1]) / 2, tally[-1][0]))
    return tuple(out)


def _nth(tally: list[tuple[float, int]], index: int) -> float:
    for value, n in tally:
        if index < n:
            return value
        index -= n
    raise IndexError(index)


@dataclass(frozen=True, slots=True)
class ApprovedItem:
    """A filing approved in the period, with its number."""

    ref: str
    title: str
    organisation: str
    filing_number: str | None
    approved_on: date
    imported: bool = False
    """The approval was recorded by an import (a CAC list), not as it happened."""


@dataclass(frozen=True, slots=True)
class ReturnedItem:
    """A return for revision (退回修改) in the period, its reason and what it cost."""

    ref: str
    title: str
    organisation: str
    returned_on: date
    returned_from: Stage
    reason: str
    resubmitted_on: date | None
    cost_days: int
    """Working days from the return to the resubmission (or to the report date, while still returned)."""


@dataclass(frozen=True, slots=True)
class DeadlineItem:
    """A running statutory deadline with the filing it belongs to."""

    deadline: DeadlineView
    title: str
    organisation: str

    @property
    def provisional(self) -> bool:
        """The due date rests on a holiday calendar not yet published (a warning says which year)."""
        return bool(self.deadline.warnings)


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the status report shows; gathered by `ExchangeService.report_data`."""

    generated_at: datetime
    since: date
    until: date
    total: int
    counts: tuple[tuple[Kind, Stage, int], ...]
    approved: tuple[ApprovedItem, ...] = ()
    returned: tuple[ReturnedItem, ...] = ()
    deadlines: tuple[DeadlineItem, ...] = ()
    stage_times: tuple[StageTime, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def overdue(self) -> tuple[DeadlineItem, ...]:
        """Deadlines past their due date."""
        return tuple(d for d in self.deadlines if d.deadline.overdue)

    @property
    def return_cost(self) -> int:
        """Working days all returns of the period cost together."""
        return sum(r.cost_days for r in self.returned)


def _days(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


# -- Markdown ----------------------------------------------------------------------------------------------------


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def render_markdown(data: ReportData) -> str:
    """The report as Markdown (GitHub tables), for a chat or an e-mail."""
    out = [
        f"# 备案状态报告 Filing status report {data.since.isoformat()} – {data.until.isoformat()}",
        "",
        f"{data.total} filings tracked; generated {data.generated_at.isoformat(timespec='minutes')}.",
        "",
        "## 各阶段数量 Filings per stage",
        "",
        "| kind | stage | filings |",
        "|---|---|---:|",
    ]
    out += [f"| {label(k, 'both')} | {label(s, 'both', k)} | {n} |" for k, s, n in data.counts]
    out += ["", f"## 本期已备案 Approved in the period ({len(data.approved)})", ""]
    if data.approved:
        out += ["| ref | filing | organisation | number | approved on |", "|---|---|---|---|---|"]
        out += [
            f"| {a.ref} | {_md(a.title)} | {_md(a.organisation)} | {_md(a.filing_number or '')} | "
            f"{a.approved_on.isoformat()}{' (imported)' if a.imported else ''} |"
            for a in data.approved
        ]
    else:
        out.append("None.")
    out += [
        "",
        f"## 退回修改 Returned for revision ({len(data.returned)}, {data.return_cost} working days lost)",
        "",
    ]
    if data.returned:
        out += [
            "| ref | filing | returned on | by stage | reason | cost (working days) |",
            "|---|---|---|---|---|---:|",
        ]
        out += [
            f"| {r.ref} | {_md(r.title)} | {r.returned_on.isoformat()} | {label(r.returned_from, 'zh')} | "
            f"{_md(r.reason)} | {r.cost_days}{'' if r.resubmitted_on else ' (still returned)'} |"
            for r in data.returned
        ]
    else:
        out.append("None.")
    out += [
        "",
        f"## 法定期限 Running statutory deadlines ({len(data.deadlines)}, {len(data.overdue)} overdue)",
        "",
    ]
    if data.deadlines:
        out += ["| ref | deadline | due | working days left | basis |", "|---|---|---|---:|---|"]
        for item in data.deadlines:
            d = item.deadline
            flag = " **overdue**" if d.overdue else ""
            provisional = " (provisional)" if item.provisional else ""
            out.append(
                f"| {d.ref} | {_md(d.label)} | {d.due_date.isoformat()}{provisional} | {d.working_days_left}{flag} | "
                f"{_md(d.basis)} |"
            )
    else:
        out.append("None.")
    out += ["", "## 各阶段用时 Time per stage (working days)", ""]
    if data.stage_times:
        out += ["| stage | visits | median | worst |", "|---|---:|---:|---:|"]
        out += [
            f"| {_md(t.label)} | {t.visits} | {_days(t.median_days)} | {_days(t.worst_days)} |"
            for t in data.stage_times
        ]
    else:
        out.append("No finished stage visits yet.")
    out += [f"\n> {_md(n)}" for n in data.notes]
    return "\n".join(out) + "\n"


# -- HTML with an inline SVG chart --------------------------------------------------------------------------------


def stage_chart_svg(times: tuple[StageTime, ...], *, width: int = 720) -> str:
    """A horizontal bar chart of median working days per stage, the worst case as a thin bar; labels are text."""
    if not times:
        return '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="10" height="10"></svg>'
    bar, gap, left, right = 18, 10, 250, 60
    height = len(times) * (bar + gap) + 40
    scale = max(max(t.worst_days for t in times), 1.0)
    span = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        "<title>各阶段用时（工作日）Time per stage (working days)</title>",
    ]
    for i, t in enumerate(times):
        y = 10 + i * (bar + gap)
        median_w = span * t.median_days / scale
        worst_w = span * t.worst_days / scale
        name = html.escape(t.label)
        parts += [
            f'<text class="label" x="{left - 8}" y="{y + bar - 5}" text-anchor="end">{name}</text>',
            f'<rect class="worst" x="{left}" y="{y + bar // 2 - 2}" width="{worst_w:.1f}" height="4" fill="#c0c0c0">'
            f"<title>{name}: worst {_days(t.worst_days)}</title></rect>",
            f'<rect class="median" x="{left}" y="{y}" width="{median_w:.1f}" height="{bar}" fill="#3b6ea8" '
            f'data-stage="{t.stage.value}" data-kind="{t.kind.value}" data-median="{t.median_days}" '
            f'data-worst="{t.worst_days}"><title>{name}: median {_days(t.median_days)}</title></rect>',
            f'<text class="value" x="{left + max(median_w, worst_w) + 6:.1f}" y="{y + bar - 5}">'
            f"{_days(t.median_days)} / {_days(t.worst_days)}</text>",
        ]
    axis_y = height - 14
    parts.append(
        f'<text class="axis" x="{left}" y="{axis_y}">median / worst, working days (工作日中位数 / 最长)</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
td.n,th.n{text-align:right}.overdue{color:#b00020;font-weight:bold}.muted{color:#777}
"""


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None, cls: str = "") -> str:
    numeric = numeric or set()
    head = "".join(
        f"<th{' class=n' if i in numeric else ''}>{html.escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=n' if i in numeric else ''}>{html.escape(str(v))}</td>" for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def render_html(data: ReportData) -> str:
    """A self-contained HTML page (no scripts, no external resources); every value is HTML-escaped."""
    e = html.escape
    title = f"备案状态报告 Filing status report {data.since.isoformat()} – {data.until.isoformat()}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="muted">{data.total} filings tracked; generated {e(data.generated_at.isoformat(timespec="minutes"))}.</p>',
        '<h2 id="counts">各阶段数量 Filings per stage</h2>',
        _table(
            ["kind", "stage", "filings"],
            [[label(k, "both"), label(s, "both", k), str(n)] for k, s, n in data.counts],
            {2},
            "counts",
        ),
        f'<h2 id="approved">本期已备案 Approved in the period ({len(data.approved)})</h2>',
        _table(
            ["ref", "filing", "organisation", "number", "approved on"],
            [
                [
                    a.ref,
                    a.title,
                    a.organisation,
                    a.filing_number or "",
                    a.approved_on.isoformat() + (" (imported)" if a.imported else ""),
                ]
                for a in data.approved
            ],
            cls="approved",
        ),
        f'<h2 id="returned">退回修改 Returned for revision ({len(data.returned)}; '
        f"{data.return_cost} working days lost)</h2>",
        _table(
            ["ref", "filing", "returned on", "by stage", "reason", "cost (working days)"],
            [
                [
                    r.ref,
                    r.title,
                    r.returned_on.isoformat(),
                    label(r.returned_from, "zh"),
                    r.reason,
                    f"{r.cost_days}{'' if r.resubmitted_on else ' (still returned)'}",
                ]
                for r in data.returned
            ],
            {5},
            "returned",
        ),
        f'<h2 id="deadlines">法定期限 Running statutory deadlines ({len(data.deadlines)}; '
        f'<span class="overdue">{len(data.overdue)} overdue</span>)</h2>',
        _deadline_table(data.deadlines),
        '<h2 id="stage-times">各阶段用时 Time per stage (working days)</h2>',
        stage_chart_svg(data.stage_times),
        _table(
            ["stage", "visits", "median", "worst"],
            [[t.label, str(t.visits), _days(t.median_days), _days(t.worst_days)] for t in data.stage_times],
            {1, 2, 3},
            "stage-times",
        ),
        *(f'<p class="muted">{e(n)}</p>' for n in data.notes),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _deadline_table(items: tuple[DeadlineItem, ...]) -> str:
    rows = []
    for item in items:
        d = item.deadline
        cls = ' class="overdue"' if d.overdue else ""
        cells = [
            d.ref,
            item.title,
            d.label,
            d.due_date.isoformat() + (" (provisional)" if item.provisional else ""),
            str(d.working_days_left),
            d.basis,
        ]
        rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>" for h in ("ref", "filing", "deadline", "due", "working days left", "basis")
    )
    return f'<table class="deadlines"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# -- XLSX with a native chart -----------------------------------------------------------------------------------
