"""What one line of the filings table shows: the header, a filing's row, a row still loading, a deadline cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from states import Lang
from tracker.domain import Deadline, Filing
from tui.view.columns import Column
from tui.view.labels import RETURN_STYLE, days_in_stage, fit, kind_label, stage_label, stage_style

OVERDUE_STYLE = Style(color="#ff5f5f", bold=True)
REGULATOR_MARK = "§"
"""Marks a deadline the regulator has overrun (Art. 25's 30 working days)."""
NUMBER_PREFIX = "网信算备"
CHANGED_MARK = "*"
"""After the reference of a filing that moved since the person last looked (ASCII: every font has it)."""
CHANGED_STYLE = Style(bold=True)
SOON_STYLE = Style(color="#ffaf00")
PROVISIONAL_MARK = "~"
"""After a deadline counted through a year whose holiday schedule (调休) is not yet published (ASCII)."""
PROVISIONAL_ZH = "暂定：调休安排尚未公布"
PROVISIONAL_EN = "provisional: 调休 not yet published"


@dataclass(frozen=True, slots=True)
class DeadlineCell:
    """What the table shows for one filing's most urgent running deadline."""

    working_days_left: int
    overdue: bool
    due_soon: bool = False
    regulator: bool = False
    """The period binds the regulator (Art. 25): its overrun is the regulator's, not the filer's."""
    provisional: bool = False
    """Counted through a year whose 调休 schedule is not yet published: the figure may still move."""

    def render(self) -> tuple[str, Style | None]:
        """`12wd`; `!3wd` in red once the filer is late; `§3wd` in amber once the regulator is (§, the statute's
        period, is in Latin-1: every terminal and browser font has it); `12wd~` when provisional."""
        mark = PROVISIONAL_MARK if self.provisional else ""
        if self.overdue:
            sign, style = (REGULATOR_MARK, SOON_STYLE) if self.regulator else ("!", OVERDUE_STYLE)
            return f"{sign}{abs(self.working_days_left)}wd{mark}", style
        return f"{self.working_days_left}wd{mark}", SOON_STYLE if self.due_soon else None


def deadline_cell(deadline: Deadline) -> DeadlineCell:
    """The table's cell for a running deadline (working days, as the rules layer counts them)."""
    return DeadlineCell(
        int(deadline.working_days_left),
        bool(deadline.overdue),
        bool(deadline.due_soon),
        bool(deadline.regulator_sla),
        bool(deadline.provisional),
    )


Layout = Sequence[tuple[Column, int]]
"""Each column with its width in cells."""


def cell(
    column: Column, filing: Filing, lang: Lang, now: datetime, deadline: DeadlineCell | None
) -> tuple[str, Style | None]:
    """The text of one cell and its own style (None: the row's)."""
    key = column.key
    if key == "stage":
        return stage_label(filing.stage, lang, filing.kind), stage_style(filing.stage)
    if key == "kind":
        return kind_label(filing.kind, lang, short=True), None
    if key == "days":
        return str(days_in_stage(filing, now)), None
    if key == "returns":
        return (str(filing.returns), RETURN_STYLE) if filing.returns else ("", None)
    if key == "deadline":
        return deadline.render() if deadline is not None else ("", None)
    return getattr(filing, key) or "", None


def short_number(number: str, width: int) -> str:
    """A filing number in `width` cells: whole when it fits, else its distinctive part.

    An algorithm filing number is 网信算备 + region (6) + entity (7) + type (2) + year (2) + serial (4) + 号
    (README, "The review process"): the prefix and the 号 are the same on every number and the region on
    every number of one province, so a narrow column shows the tail ("…5550101260013"), where numbers differ.
    Generative-AI numbers (`Beijing-DeepseekChat-202404280016`) are cut the same way, from the left.
    """
    if cell_len(number) <= width:
        return number
    digits = number.removeprefix(NUMBER_PREFIX).removesuffix("号")
    if cell_len(digits) <= width:
        return digits
    return "…" + digits[len(digits) - max(0, width - 1) :] if width > 1 else digits[-width:]


def row_strip(
    layout: Layout,
    filing: Filing,
    lang: Lang,
    now: datetime,
    deadline: DeadlineCell | None,
    base: Style,
    *,
    changed: bool = False,
) -> Strip:
    """A filing's line: every cell cut to its column (CJK-aware), one space between columns; a filing that
    moved since the person last looked has `CHANGED_MARK` after its reference."""
    segments = []
    for column, width in layout:
        text, style = cell(column, filing, lang, now, deadline)
        if column.key == "ref" and changed:
            text, style = f"{text}{CHANGED_MARK}", CHANGED_STYLE
        if column.key == "filing_number" and text:
            text = short_number(text, width)
        segments.append(Segment(fit(text, width, column.right) + " ", base + style if style else base))
    return Strip(segments)


def header_strip(layout: Layout, lang: Lang, sort_column: str, descending: bool, style: Style) -> Strip:
    """Column titles, with an arrow on the sorted one: ▲ when the values shown grow down the column."""
    segments = []
    for column, width in layout:
        title = column.title(lang, width)
        if column.key == sort_column:
            title += " ▼" if descending else " ▲"
        segments.append(Segment(fit(title, width, column.right) + " ", style))
    return Strip(segments)


def placeholder_strip(layout: Layout, style: Style) -> Strip:
    """A row whose page is still being fetched."""
    return Strip([Segment(fit("  …", sum(width + 1 for _, width in layout)), style)])


def column_at(layout: Layout, x: int) -> Column | None:
    """The column under cell `x` of a line (None past the last one)."""
    for column, width in layout:
        if x < width + 1:
            return column
        x -= width + 1
    return None
